// The upgrade loop of `maiev serve` (SPEC §5, docs/UPGRADES.md): learns of new versions (push
// hints from webhooks, and polling), decides the target and plan, stores the plan and executes it
// one rolling update at a time, surviving restarts.
//
// Thread-safety: Run (or Pass, in tests) on one thread; Hint, Resolve, Approve, Abort, View and
// counters from any other (API threads). Plans live in the store: every pass reads the unfinished
// ones back, so an operator's approval or abort is seen by the next pass. plan_mutex_ serialises
// the loop's work on a plan with Approve and Abort.
//
// Events (control/events.hpp) go to `events` when given: a plan event when a plan is created or
// changes state, a step event when a step does, each once the store has kept the change. They
// are published under plan_mutex_ (never under mutex_), so they come in the order of the changes;
// EventSink::Publish does not block.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "control/events.hpp"
#include "control/leader_election.hpp"
#include "control/upgrade_gatherer.hpp"
#include "orchestrator/orchestrator.hpp"
#include "registry/push_hint.hpp"
#include "store/store.hpp"
#include "upgrade/decision.hpp"

namespace maiev::control {

struct UpgradeOptions {
  Duration poll_interval{300.0};          // --registry-poll-interval: re-check every identity
  Duration retry_after_error{5.0};        // the first retry after a failed check, doubling
  Duration task_start{60.0};              // --upgrade-task-start: allowed per batch of tasks
  std::optional<Duration> step_deadline;  // --upgrade-step-deadline: instead of the derived one
  Duration step_poll{1.0};                // how often a running step is observed
  GatherLimits gather;
  upgrade::DecideLimits decide;
};

// The latest check (GET /api/v1/catalog).
struct UpgradeCheck {
  TimePoint at;
  std::string error;  // the swarm could not be listed: nothing else is known
  Gathered gathered;
  upgrade::UpgradeCatalog catalog;
  upgrade::UpgradeDecision decision;
};

struct UpgradeCounters {
  std::uint64_t checks = 0;
  std::uint64_t check_failures = 0;  // the swarm could not be listed, or a registry failed
  std::uint64_t registry_requests = 0;
  std::uint64_t hints = 0;
  std::uint64_t plans_created = 0;
  std::uint64_t steps_started = 0;
  std::uint64_t steps_done = 0;
  std::uint64_t steps_failed = 0;
  std::uint64_t steps_aborted = 0;
};

class UpgradeController {
 public:
  UpgradeController(orchestrator::Orchestrator& orchestrator, RegistryFor registry_for,
                    store::Store& store, const Clock& clock, UpgradeOptions options,
                    EventSink* events = nullptr);

  // The controller passes only while `leadership` allows (one active maiev per swarm); a standby
  // makes no plan and requests no update. nullptr (the default): it always may. Set before Run;
  // not owned.
  void SetLeadership(const Leadership* leadership) { leadership_ = leadership; }

  // A registry said a tag was pushed: the next pass re-checks (the hint is verified against the
  // registry, never trusted). Never blocks on I/O.
  void Hint(const registry::PushHint& hint);

  // Passes until `stop`, waiting between them for the next step poll, re-check or hint.
  void Run(const std::stop_token& stop);
  // One pass: advances the running plan by what Swarm shows, starts an approved or new plan,
  // re-checks when a hint came, the poll is due or a plan ended. Returns when the next pass is
  // wanted.
  TimePoint Pass();

  // What maiev would do now (dry run): gathers and decides, creates and executes nothing.
  Result<UpgradeCheck> Resolve();
  // The latest check; nullopt before the first.
  std::optional<UpgradeCheck> View() const;

  // A pending plan (waiting for approval) starts. Errors: "not_found", "conflict" (not pending),
  // the store's.
  Status Approve(std::int64_t plan_id);
  // A pending or running plan stops; a rolling update already requested goes on in Swarm.
  // Errors as for Approve ("conflict": already ended).
  Status Abort(std::int64_t plan_id);

  UpgradeCounters counters() const;

  // Steps in flight on the swarm (control/step_label.hpp) that no plan of the store follows — a
  // maiev that started them is gone with its store — become running one-step plans, judged as
  // any. Run calls it whenever this instance starts acting. False when the swarm or the store
  // could not be read (then nothing was adopted).
  bool AdoptInFlightSteps();

 private:
  // Advances `plan` (running) by one observation; true when it ended.
  bool Advance(store::UpgradePlan& plan, TimePoint now);
  // The store's SetStepState, and its event; a failure is logged (the next pass reads the state
  // back).
  void RecordStep(std::int64_t plan_id, const store::UpgradeStep& step, store::RunState state,
                  TimePoint now, const std::string& error);
  // The store's SetPlanState, and its event once kept.
  Status RecordPlan(std::int64_t plan_id, store::RunState state, const std::string& reason,
                    TimePoint now);
  void Publish(Event event);
  // Records the plan's end; its pending steps from `abort_from` on are aborted.
  void EndPlan(const store::UpgradePlan& plan, store::RunState state, const std::string& reason,
               std::size_t abort_from, TimePoint now);
  // Gathers and decides; records the check and the counters. The loop's checks (`scheduled`)
  // also settle the pending re-check and set the next poll; a dry run leaves both.
  UpgradeCheck Check(TimePoint now, bool scheduled);
  // Creates a plan from `check` when it has steps and no plan waits with the same ones; replaces
  // a waiting plan whose steps differ. True when it created a plan that runs at once.
  bool MaybePlan(const UpgradeCheck& check, const std::vector<store::UpgradePlan>& unfinished,
                 TimePoint now);
  // Versions whose rollout failed in a recent plan are held back until a new digest appears.
  void HoldBackFailed(Gathered& gathered);
  Duration DeadlineOf(const orchestrator::ServiceInfo& service) const;
  void Wake();

  orchestrator::Orchestrator& orchestrator_;
  RegistryFor registry_for_;
  store::Store& store_;
  const Clock& clock_;
  const UpgradeOptions options_;
  EventSink* const events_;                 // not owned; may be null (nothing is published)
  const Leadership* leadership_ = nullptr;  // not owned; null: always acts

  std::mutex plan_mutex_;       // the loop's work on plans, Approve, Abort
  std::mutex gather_mutex_;     // one gathering at a time (the loop, Resolve), and:
  GatherMemory gather_memory_;  // what the gatherings learnt (guarded by gather_mutex_)

  mutable std::mutex mutex_;  // what follows
  std::condition_variable_any wake_;
  bool recheck_ = true;  // a hint came, or a plan ended: re-check on the next pass
  bool woken_ = false;   // Hint, Approve or Abort since the pass began
  std::optional<TimePoint> next_poll_;
  Duration retry_delay_{0.0};
  std::optional<UpgradeCheck> last_check_;
  UpgradeCounters counters_;
};

}  // namespace maiev::control
