// The autoscaling loop of `maiev serve` (SPEC §4): knows every Swarm service, the scale config of
// each, and on every cycle evaluates the rules of the monitored ones against fresh queue metrics,
// decides, asks the orchestrator for the new replica count, and records what it did.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
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
#include "control/decision_journal.hpp"
#include "control/events.hpp"
#include "control/leader_election.hpp"
#include "control/sample_history.hpp"
#include "control/service_status.hpp"
#include "monitor/queue_metrics_source.hpp"
#include "orchestrator/orchestrator.hpp"
#include "rules/explanation.hpp"
#include "rules/ruleset.hpp"
#include "scaling/decision.hpp"
#include "store/store.hpp"

namespace maiev::control {

// How many cycles of each service the autoscaler keeps in memory (Autoscaler::History): 15 minutes
// at the default 1 s interval (SampleHistory says what a sample costs).
inline constexpr std::size_t kHistoryCapacity = 900;

// What an operator's scale asked for, and what it did (Autoscaler::Scale).
struct ManualScale {
  std::string service;
  int from = 0;
  int to = 0;
};

// An expression tested against a service's live metrics and rule states (Autoscaler::TestRule).
struct RuleTest {
  std::string service;
  std::string expression;
  TimePoint at;
  rules::Explanation explanation;  // the expression is its scale_up trace
};

// Thread-safe: Discover/Refresh/Remove (event thread), RunCycle (evaluation loop) and Status
// (API threads) may run concurrently; mutex_ guards the service table. Network calls to the
// orchestrator are made, and events published, without holding mutex_.
//
// Events (control/events.hpp) go to `events` when given: a decision per recorded change (the
// cycle's and the operator's), a service event when a service is added, removed, paused, resumed
// or its effective config changes, a config error when a (re)loaded config is invalid, and a
// cycle summary at the end of each RunCycle.
class Autoscaler {
 public:
  Autoscaler(orchestrator::Orchestrator& orchestrator, monitor::QueueMetricsSource& metrics,
             store::Store& store, const Clock& clock, EventSink* events = nullptr);

  // The autoscaler acts only while `leadership` allows (one active maiev per swarm): a cycle
  // evaluates the rules and keeps their history either way, but changes nothing and records no
  // decision; an operator's scale is refused ("unavailable"). nullptr (the default): it always
  // acts. Set before the loops start; not owned.
  void SetLeadership(const Leadership* leadership) { leadership_ = leadership; }
  bool MayAct() const { return leadership_ == nullptr || leadership_->MayAct(); }

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

  // Sets the scale config of a service through the API: parsed and validated like a label
  // (error "invalid" listing every problem by field path, nothing changed), stored, and from
  // then on winning over the service's labels (config_origin "api") until UnsetConfig. Error
  // "not_found" when the service is unknown, the store's when it could not be kept.
  Result<ServiceStatus> SetConfig(const std::string& name, std::string_view config_json);
  // Returns a service to the config of its labels; a service without an API config is left as
  // it is.
  Result<ServiceStatus> UnsetConfig(const std::string& name);

  // Sets a replicated service's replicas as an operator asks, and pauses its autoscaling (kept
  // in the store) so the next cycle does not undo it; the change is recorded as a decision.
  // Errors: "not_found"; "conflict" for a service that is not replicated; "invalid" when
  // `replicas` is negative, or outside the config's min/max and not `force`; the store's or the
  // orchestrator's error (then nothing changed but the pause).
  Result<ManualScale> Scale(const std::string& name, int replicas, bool force);

  // Evaluates `expression` as a rule of the service would be, against the latest metrics and
  // the rule states as of now. Errors: "not_found"; "conflict" when the service has no rules;
  // "invalid" with the column ("expression: col 7: …").
  Result<RuleTest> TestRule(const std::string& name, const std::string& expression) const;

  // The samples kept of a service's cycles (kHistoryCapacity at most), those of the last
  // `window`, oldest first; nullopt when the service is unknown.
  std::optional<ServiceHistory> History(const std::string& name, Duration window) const;

  // What /metrics counts of the cycles: how long they took, and the decisions they made.
  struct CycleStats {
    // Upper bounds of the duration histogram's buckets, in seconds (+Inf is implied).
    static constexpr std::array<double, 8> kBuckets = {0.001, 0.005, 0.01, 0.05,
                                                       0.1,   0.5,   1.0,  5.0};
    std::uint64_t cycles = 0;
    double seconds = 0;                           // total duration
    std::array<std::uint64_t, 8> in_bucket = {};  // cumulative: cycles within kBuckets[i]
    std::uint64_t scaled_up = 0;
    std::uint64_t scaled_down = 0;
    std::uint64_t failed = 0;  // decided, but the orchestrator refused the change
  };
  CycleStats cycle_stats() const;
  // Decisions waiting in memory for the store, dropped, recorded late (DecisionJournal).
  DecisionJournal::Counts unrecorded_decisions() const { return decisions_.counts(); }

  // Every service, each with the text of its latest explanation (ServiceStatus::explanation null).
  std::vector<ServiceStatus> Snapshot() const;
  // The same, with the generation it is of (see generation()).
  std::vector<ServiceStatus> Snapshot(std::uint64_t& generation) const;
  // Grows with every change of the service table (a cycle, a service found, changed, removed,
  // paused, configured or scaled): a reader that kept what it made of Snapshot(generation) may
  // keep using it while this still answers the same generation. Lock-free.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // One service by id or name, with its explanation as data (built on each call by re-running
  // the service's latest pass: tens of µs); nullopt when unknown.
  std::optional<ServiceStatus> ServiceSnapshot(const std::string& id_or_name) const;

 private:
  struct Entry {
    orchestrator::ServiceInfo info;
    std::optional<config::ScaleConfig> config;
    std::string config_origin;
    std::vector<std::string> config_errors;
    std::string config_override;  // a config set through the API (JSON text); empty: none
    bool paused = false;
    std::optional<TimePoint> last_change;
    // Rule states in the rule set's declaration order; nullopt: never evaluated nor stored.
    std::vector<std::optional<rules::RuleState>> rule_states;
    // Rule states changed since the store last took them: this cycle's changes until the cycle
    // saves them all (SaveRuleHistories), and any the store could not take before.
    store::RuleHistory unsaved_history;
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
    SampleHistory history{kHistoryCapacity};  // one sample per cycle
  };
  // A decision to apply, taken under mutex_ and applied without it.
  struct PendingChange {
    std::string id;
    std::string name;
    int from = 0;
    int to = 0;
    DecisionExplanation explained;
    std::vector<RuleStatus> rules;
    std::vector<ResourceStatus> metrics;
    TimePoint at;
  };

  Entry Load(const orchestrator::ServiceInfo& info);
  // The events of a service's entry replaced by `to` (`from` null: it is new): added or
  // config_changed, and config_error when `to` has errors it did not have.
  static void ChangeEvents(const Entry* from, const Entry& to, std::vector<Event>& out);
  void Publish(std::vector<Event> events);
  // Rule history by name (what the store keeps), and back: a reloaded config keeps the states
  // of the rules it still has.
  static rules::RuleHistory HistoryOf(const Entry& entry);
  static void SetHistory(Entry& entry, const rules::RuleHistory& history);
  // Carries what this process learnt of a service (history, last change, latest cycle) over to
  // its reloaded entry.
  static void CarryOver(Entry& from, Entry& to);
  static std::vector<RuleStatus> RulesOf(const Entry& entry);
  static std::vector<ResourceStatus> ResourcesOf(const Entry& entry);
  // The entry of a service by id or name; nullptr when unknown. REQUIRES: mutex_ held.
  Entry* Find(const std::string& id_or_name);
  const Entry* Find(const std::string& id_or_name) const;
  // Re-reads a service's config from the store and its labels, keeping what this process learnt
  // of it; nullopt when it is no longer known.
  std::optional<ServiceStatus> Reload(const std::string& name);
  // Keeps the store's record of a service, with `change` applied, under mutex_ (REQUIRES held).
  Status UpdateRecord(const Entry& entry, const std::function<void(store::ServiceRecord&)>& change);
  void RecordSample(Entry& entry, TimePoint now);  // REQUIRES: mutex_ held
  static std::vector<std::string> ResourceNames(const Entry& entry);
  static ServiceStatus StatusOf(const std::string& id, const Entry& entry, bool with_explanation);
  // The latest cycle's decision explained (keeps the text). REQUIRES: latest.decision.
  static DecisionExplanation ExplainLatest(const Entry& entry);
  static const std::string& LatestText(const Entry& entry);  // REQUIRES: latest.decision
  void Track();                                              // REQUIRES: mutex_ held
  std::optional<PendingChange> Evaluate(Entry& entry,
                                        const std::map<std::string, monitor::QueueMetrics>& queues,
                                        TimePoint now);
  // Evaluates the rules on fresh metrics (entry.slots filled), notes changed rule states in
  // entry.unsaved_history, sets the triggers.
  void EvaluateRules(Entry& entry, TimePoint now, scaling::DecisionInput& input);
  // Stores every entry's unsaved rule states in one transaction; under mutex_.
  void SaveRuleHistories();
  void Apply(const PendingChange& change, TimePoint now);

  orchestrator::Orchestrator& orchestrator_;
  monitor::QueueMetricsSource& metrics_;
  store::Store& store_;
  const Clock& clock_;
  EventSink* const events_;                 // not owned; may be null (nothing is published)
  const Leadership* leadership_ = nullptr;  // not owned; null: always acts
  DecisionJournal decisions_;               // thread-safe on its own; never called under mutex_

  // mutex_ held for a change of the service table: the generation grows as it is taken, so
  // what readers made of an older snapshot is known to be stale once the change is visible.
  class ChangeLock {
   public:
    explicit ChangeLock(Autoscaler& autoscaler) : lock_(autoscaler.mutex_) {
      autoscaler.generation_.fetch_add(1, std::memory_order_acq_rel);
    }

   private:
    std::lock_guard<std::mutex> lock_;
  };

  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> generation_{0};  // written under mutex_ (ChangeLock)
  std::map<std::string, Entry> services_;     // by service ID; guarded by mutex_
  // The times of the entries' history samples, a cycle's once (two histories' worth, so that one
  // pushed at every cycle never outlives its times); guarded by mutex_.
  SampleTimes sample_times_{2 * kHistoryCapacity};
  CycleStats stats_;  // guarded by mutex_
  // The store refused the latest SaveRuleHistories (said once per outage); guarded by mutex_.
  bool history_unsaved_ = false;
};

}  // namespace maiev::control
