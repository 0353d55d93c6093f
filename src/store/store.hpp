// maiev's persistent state (SPEC §4, §5, §6): services it knows, rule history (so that
// `rules:X:since` survives a restart), the decision log, and upgrade plans with their steps.
//
// Plain records only: the store knows nothing of rules, scaling or versions; the daemon converts.
// Services are keyed by their Swarm service *name* (unique in a swarm at any time, and stable when
// a service is re-created, unlike its id); rule history and decisions refer to services by name.
// Times are wall-clock TimePoints, stored with microsecond precision (finer parts are truncated).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace maiev::store {

struct ServiceRecord {
  std::string name;               // Swarm service name; the key
  std::string id;                 // Swarm service id as last seen
  std::string scale_config_json;  // the effective config as JSON text; empty when none
  // A config set through the API (JSON text), which wins over the service's labels; empty when
  // none.
  std::string config_override_json;
  bool monitored = false;            // maiev watches its queues and scales it
  bool paused = false;               // an operator paused autoscaling
  std::optional<int> last_replicas;  // replicas last observed; absent before the first look
  TimePoint updated;

  friend bool operator==(const ServiceRecord&, const ServiceRecord&) = default;
};

// One rule's last value and since when it has had it.
struct StoredRuleState {
  bool value = false;
  TimePoint since;

  friend bool operator==(const StoredRuleState&, const StoredRuleState&) = default;
};
using RuleHistory = std::map<std::string, StoredRuleState, std::less<>>;  // rule name → state
using RuleHistories = std::map<std::string, RuleHistory, std::less<>>;    // service → its rules

// One scaling decision (SPEC §4: inputs, rule values, old → new replicas, why).
struct DecisionRecord {
  std::int64_t id = 0;  // assigned by AppendDecision; increases with each append
  TimePoint time;
  std::string service;
  int old_replicas = 0;
  int new_replicas = 0;
  std::string reason;
  std::string rule_values_json;  // JSON object text, rule name → value
  std::string metrics_json;      // JSON object text, as the daemon chose to record them
  // JSON object text: why, as data (the daemon's explanation; `reason` is its text). Empty for
  // decisions recorded before the store kept it.
  std::string explanation_json;

  friend bool operator==(const DecisionRecord&, const DecisionRecord&) = default;
};

// Which decisions QueryDecisions returns: all of them match every field given.
struct DecisionQuery {
  std::optional<std::string> service;
  std::optional<TimePoint> since;                    // time >= since
  std::optional<TimePoint> until;                    // time < until
  enum class Direction { kAny, kUp, kDown, kNone };  // new vs old replicas: >, <, ==
  Direction direction = Direction::kAny;
  std::optional<std::int64_t> before_id;  // id < before_id: the next page after that id
  std::size_t limit = 50;
};

// The state of an upgrade plan or of one of its steps.
enum class RunState { kPending, kRunning, kDone, kFailed, kAborted };
std::string_view ToString(RunState state);  // "pending", "running", "done", "failed", "aborted"
std::optional<RunState> ParseRunState(std::string_view text);

struct UpgradeStep {
  int index = 0;  // 0-based position in the plan, executed in order
  std::string service;
  std::string from_version;
  std::string to_version;
  std::string image;  // the reference to deploy, pinned by digest
  RunState state = RunState::kPending;
  std::string from_image;            // the reference the service ran before the step
  std::string error;                 // why it failed or was aborted; empty otherwise
  std::optional<TimePoint> started;  // when it was set running (its update requested)

  friend bool operator==(const UpgradeStep&, const UpgradeStep&) = default;
};

struct UpgradePlan {
  std::int64_t id = 0;  // assigned by CreatePlan
  TimePoint created;
  TimePoint updated;  // last state change of the plan
  RunState state = RunState::kPending;
  std::string reason;  // why it exists, then why it ended (failed/aborted)
  std::vector<UpgradeStep> steps;

  friend bool operator==(const UpgradePlan&, const UpgradePlan&) = default;
};

// The store interface. Errors: code "io" (the database could not be read or written), "invalid"
// (a record breaks a constraint, e.g. an empty name), "not_found". Implementations are
// thread-safe. Every method is a single transaction: it applies fully or not at all.
class Store {
 public:
  virtual ~Store() = default;

  // --- services
  // Inserts or replaces the record with this name.
  virtual Status UpsertService(const ServiceRecord& service) = 0;
  virtual Result<std::optional<ServiceRecord>> FindService(std::string_view name) = 0;
  virtual Result<std::vector<ServiceRecord>> ListServices() = 0;  // by name
  // Removes the service and its rule history; its decisions stay until retention drops them.
  // Removing an unknown service is not an error.
  virtual Status DeleteService(std::string_view name) = 0;

  // --- rule history
  virtual Result<RuleHistory> LoadRuleHistory(std::string_view service) = 0;  // empty if none
  // Inserts or replaces every entry of every service in `by_service`, all or none, in one
  // transaction (a cycle's changes of every service cost one commit); rules not given keep their
  // stored entry.
  virtual Status SaveRuleHistories(const RuleHistories& by_service) = 0;
  // SaveRuleHistories for one service.
  Status SaveRuleHistory(std::string_view service, const RuleHistory& states) {
    return SaveRuleHistories({{std::string(service), states}});
  }

  // --- decision log
  // Stores `decision` (its id is ignored) and returns the id given to it. Older decisions of the
  // same service beyond the store's retention are dropped in the same transaction.
  virtual Result<std::int64_t> AppendDecision(const DecisionRecord& decision) = 0;
  // The `limit` most recent decisions, of one service or of all, newest first (by time, then
  // by id).
  virtual Result<std::vector<DecisionRecord>> RecentDecisions(
      std::size_t limit, std::optional<std::string_view> service = std::nullopt) = 0;

  // Decisions matching `query`, newest first (by id, which increases with time).
  virtual Result<std::vector<DecisionRecord>> QueryDecisions(const DecisionQuery& query) = 0;

  // --- upgrade plans
  // Stores `plan` and its steps (the plan's id is ignored) and returns the id given to it. Step
  // indexes must be distinct and non-negative.
  virtual Result<std::int64_t> CreatePlan(const UpgradePlan& plan) = 0;
  virtual Result<UpgradePlan> LoadPlan(std::int64_t id) = 0;  // "not_found" if unknown
  virtual Result<std::vector<UpgradePlan>> ListPlans(std::size_t limit) = 0;  // newest first
  // Plans pending or running (to resume or abort after a restart), oldest first.
  virtual Result<std::vector<UpgradePlan>> UnfinishedPlans() = 0;
  // How many plans there are in each state; states without a plan are absent (for /metrics).
  virtual Result<std::map<RunState, std::size_t>> CountPlansByState() = 0;
  // Sets the plan's state, reason and updated time. "not_found" if unknown.
  virtual Status SetPlanState(std::int64_t id, RunState state, std::string_view reason,
                              TimePoint at) = 0;
  // Sets one step's state and error (kept as given: empty clears it) and the plan's updated
  // time; the step's `started` becomes `at` the first time it is set running. "not_found" if
  // unknown.
  virtual Status SetStepState(std::int64_t plan_id, int index, RunState state, TimePoint at,
                              std::string_view error) = 0;
};

}  // namespace maiev::store
