// The autoscaling loop of `maiev serve` (SPEC §4): knows every Swarm service, the scale config of
// each, and on every cycle evaluates the rules of the monitored ones against fresh queue metrics,
// decides, asks the orchestrator for the new replica count, and records what it did.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "config/scale_config.hpp"
#include "monitor/queue_metrics_source.hpp"
#include "orchestrator/orchestrator.hpp"
#include "rules/ruleset.hpp"
#include "scaling/decision.hpp"
#include "store/store.hpp"

namespace maiev::daemon {

// What the autoscaler knows of one service, as shown by `maiev status` and the API.
struct ServiceStatus {
  std::string id;
  std::string name;
  std::string mode;  // "replicated", "global", "job"
  std::uint64_t replicas = 0;
  std::optional<std::uint64_t> running_tasks;
  std::string image;
  // "monitored": has a valid config with rules; "sized": valid config without rules;
  // "invalid": its config was rejected (see config_error); "unconfigured": no config at all;
  // "paused": autoscaling paused by an operator.
  std::string state;
  std::string config_origin;  // "service_label", "image_label", "scale_info", or empty
  std::vector<std::string> config_errors;
  int min = 0;
  int max = 0;
  nlohmann::json metrics = nlohmann::json::object();  // resource → {metric: value}
  nlohmann::json rules = nlohmann::json::object();    // rule → {value, since_seconds}
  bool scale_up = false;
  bool scale_down = false;
  std::string last_reason;  // the latest decision's reason
  std::optional<TimePoint> last_change;
};

// Thread-safe: Discover/Refresh/Remove (event thread), RunCycle (evaluation loop) and Status
// (API threads) may run concurrently; mutex_ guards the service table. Network calls to the
// orchestrator are made without holding mutex_.
class Autoscaler {
 public:
  Autoscaler(orchestrator::Orchestrator& orchestrator, monitor::QueueMetricsSource& metrics,
             store::Store& store, const Clock& clock);

  // Lists every Swarm service and (re)loads each one's scale config; forgets services that no
  // longer exist. Call at start and after the event stream was down.
  Status Discover();
  // Re-reads one service (after a created/updated event).
  Status Refresh(const std::string& id_or_name);
  // Forgets a service (after a removed event).
  void Remove(const std::string& id_or_name);

  // Re-reads the running task count of every known service: tasks starting or stopping emit no
  // service event. On error the table is left as it was.
  Status RefreshTaskCounts();

  // One evaluation of every monitored service.
  void RunCycle();

  // Stops or resumes autoscaling of one service; error "not_found" when unknown, the store's
  // error ("io") when the flag could not be persisted (then nothing changed).
  Status SetPaused(const std::string& name, bool paused);

  std::vector<ServiceStatus> Snapshot() const;

 private:
  struct Entry {
    orchestrator::ServiceInfo info;
    std::optional<config::ScaleConfig> config;
    std::string config_origin;
    std::vector<std::string> config_errors;
    bool paused = false;
    std::optional<TimePoint> last_change;
    // Rule states in the rule set's declaration order; nullopt: never evaluated nor stored.
    std::vector<std::optional<rules::RuleState>> rule_states;
    // The rule set's slots, reused by every cycle (rules::RuleSet::EvaluateSlots).
    std::vector<rules::Value> slots;
    // What the latest cycle saw, turned into JSON only when asked (Snapshot, decisions).
    struct Latest {
      std::optional<TimePoint> at;
      std::vector<std::optional<monitor::QueueMetrics>> metrics;  // by resource; nullopt: none
      bool scale_up = false;
      bool scale_down = false;
      std::string reason;
    } latest;
  };
  // A decision to apply, taken under mutex_ and applied without it.
  struct PendingChange {
    std::string id;
    std::string name;
    int from = 0;
    int to = 0;
    std::string reason;
    nlohmann::json rules;
    nlohmann::json metrics;
  };

  Entry Load(const orchestrator::ServiceInfo& info);
  // Rule history by name (what the store keeps), and back: a reloaded config keeps the states
  // of the rules it still has.
  static rules::RuleHistory HistoryOf(const Entry& entry);
  static void SetHistory(Entry& entry, const rules::RuleHistory& history);
  // Carries what this process learnt of a service (history, last change, latest cycle) over to
  // its reloaded entry.
  static void CarryOver(Entry& from, Entry& to);
  static nlohmann::json RulesJson(const Entry& entry, TimePoint now);
  static nlohmann::json MetricsJson(const Entry& entry);
  void Track();  // REQUIRES: mutex_ held
  std::optional<PendingChange> Evaluate(Entry& entry,
                                        const std::map<std::string, monitor::QueueMetrics>& queues,
                                        TimePoint now);
  // Evaluates the rules on fresh metrics (entry.slots filled), records changed rule states,
  // sets the triggers.
  void EvaluateRules(Entry& entry, TimePoint now, scaling::DecisionInput& input);
  void Apply(const PendingChange& change, TimePoint now);

  orchestrator::Orchestrator& orchestrator_;
  monitor::QueueMetricsSource& metrics_;
  store::Store& store_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::map<std::string, Entry> services_;  // by service ID; guarded by mutex_
};

}  // namespace maiev::daemon
