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
#include "control/decision_explanation.hpp"
#include "monitor/queue_metrics_source.hpp"
#include "orchestrator/orchestrator.hpp"
#include "rules/ruleset.hpp"
#include "scaling/decision.hpp"
#include "store/store.hpp"

namespace maiev::control {

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
  // Why it has its size: the latest cycle's decision explained (DecisionExplanation), also when
  // it held; empty before the first cycle. `explanation`, the same as data, only from
  // ServiceSnapshot, else null.
  std::string last_reason;
  nlohmann::json explanation;
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

  // Every service, each with the text of its latest explanation (ServiceStatus::explanation null).
  std::vector<ServiceStatus> Snapshot() const;
  // One service by id or name, with its explanation as data (built on each call by re-running
  // the service's latest pass: tens of µs); nullopt when unknown.
  std::optional<ServiceStatus> ServiceSnapshot(const std::string& id_or_name) const;

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
    // What the latest cycle saw and decided, turned into JSON and explained only when asked
    // (Snapshot, a change): explaining re-runs the pass, so only its inputs are kept, and the
    // text, which is small.
    struct Latest {
      std::optional<TimePoint> at;
      std::vector<std::optional<monitor::QueueMetrics>> metrics;  // by resource; nullopt: none
      bool scale_up = false;
      bool scale_down = false;
      std::optional<scaling::Decision> decision;
      // The rule states on entry of the cycle's pass, with `slots` what RuleSet::Explain needs;
      // empty when the cycle evaluated no rules.
      std::vector<rules::RuleState> states;
      bool rules_evaluated = false;
      std::optional<std::string> failure;  // why the Engine refused the change it decided
      // ExplainLatest(...).text, kept until the next cycle (a refreshed config keeps the text
      // made with the config that decided).
      mutable std::optional<std::string> text;
    } latest;
  };
  // A decision to apply, taken under mutex_ and applied without it.
  struct PendingChange {
    std::string id;
    std::string name;
    int from = 0;
    int to = 0;
    DecisionExplanation explained;
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
  static ServiceStatus StatusOf(const std::string& id, const Entry& entry, bool with_explanation);
  // The latest cycle's decision explained (keeps the text). REQUIRES: latest.decision.
  static DecisionExplanation ExplainLatest(const Entry& entry);
  static const std::string& LatestText(const Entry& entry);  // REQUIRES: latest.decision
  void Track();                                              // REQUIRES: mutex_ held
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

}  // namespace maiev::control
