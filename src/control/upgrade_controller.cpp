#include "control/upgrade_controller.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "control/step_label.hpp"
#include "upgrade/step_judge.hpp"

namespace maiev::control {
namespace {

using store::RunState;
using store::UpgradePlan;
using store::UpgradeStep;

std::string StepText(const UpgradeStep& step) {
  return step.service + " " + (step.from_version.empty() ? "(new)" : step.from_version) + " → " +
         step.to_version;
}

upgrade::Rollout RolloutOf(orchestrator::UpdateState state) {
  switch (state) {
    case orchestrator::UpdateState::kNone:
      return upgrade::Rollout::kNone;
    case orchestrator::UpdateState::kUpdating:
      return upgrade::Rollout::kUpdating;
    case orchestrator::UpdateState::kCompleted:
      return upgrade::Rollout::kCompleted;
    default:
      return upgrade::Rollout::kStuck;
  }
}

std::uint64_t DesiredTasks(const orchestrator::ServiceInfo& service) {
  if (service.mode == orchestrator::ServiceMode::kReplicated) return service.replicas;
  return service.running_tasks.value_or(0);
}

upgrade::StepObservation Observe(const orchestrator::ServiceInfo& service,
                                 const std::string& image) {
  upgrade::StepObservation seen;
  seen.spec_image = service.image;
  seen.rollout = RolloutOf(service.update_status.state);
  if (service.update_status.state != orchestrator::UpdateState::kNone) {
    seen.rollout_state = std::string(orchestrator::ToString(service.update_status.state));
  }
  seen.rollout_message = service.update_status.message;
  seen.rollout_started = service.update_status.started_at;
  seen.desired_tasks = DesiredTasks(service);
  for (const auto& [task_image, count] : service.running_images) {
    if (upgrade::SameImage(task_image, image)) seen.running_on_image += count;
  }
  return seen;
}

// The plan's steps not yet done, as (service, to, image).
std::vector<std::tuple<std::string, std::string, std::string>> Remaining(const UpgradePlan& plan) {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const UpgradeStep& step : plan.steps) {
    if (step.state == RunState::kDone) continue;
    out.emplace_back(step.service, step.to_version, step.image);
  }
  return out;
}

std::vector<std::tuple<std::string, std::string, std::string>> Planned(
    const upgrade::UpgradeDecision& decision) {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& step : decision.steps) out.emplace_back(step.service, step.to, step.image);
  return out;
}

}  // namespace

void UpgradeController::RecordStep(std::int64_t plan_id, const UpgradeStep& step, RunState state,
                                   TimePoint now, const std::string& error) {
  if (auto st = store_.SetStepState(plan_id, step.index, state, now, error); !st) {
    spdlog::error("upgrades: plan {} step {}: cannot record it {}: {}", plan_id, step.index + 1,
                  store::ToString(state), st.error().message);
    return;
  }
  Publish(StepEvent{plan_id, step.index, step.service, step.from_version, step.to_version, state,
                    error});
}

Status UpgradeController::RecordPlan(std::int64_t plan_id, RunState state,
                                     const std::string& reason, TimePoint now) {
  Status st = store_.SetPlanState(plan_id, state, reason, now);
  if (st) Publish(PlanEvent{plan_id, state, reason});
  return st;
}

void UpgradeController::Publish(Event event) {
  if (events_ != nullptr) events_->Publish(std::move(event));
}

UpgradeController::UpgradeController(orchestrator::Orchestrator& orchestrator,
                                     RegistryFor registry_for, store::Store& store,
                                     const Clock& clock, UpgradeOptions options, EventSink* events)
    : orchestrator_(orchestrator),
      registry_for_(std::move(registry_for)),
      store_(store),
      clock_(clock),
      options_(options),
      events_(events) {}

void UpgradeController::Hint(const registry::PushHint& hint) {
  {
    std::lock_guard lock(mutex_);
    recheck_ = true;
    ++counters_.hints;
  }
  spdlog::info("upgrades: {}/{}:{} was pushed; re-checking", hint.registry, hint.repository,
               hint.tag);
  Wake();
}

void UpgradeController::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void UpgradeController::Run(const std::stop_token& stop) {
  bool acted = false;
  while (!stop.stop_requested()) {
    const bool may_act = leadership_ == nullptr || leadership_->MayAct();
    // A maiev that starts, or becomes the leader, first looks for steps it did not start.
    // Retried on the next pass when the swarm or the store could not be read.
    acted = may_act && (acted || AdoptInFlightSteps());
    const TimePoint next =
        may_act
            ? Pass()
            : clock_.Now() + std::chrono::duration_cast<TimePoint::duration>(options_.step_poll);
    std::unique_lock lock(mutex_);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - clock_.Now());
    if (wait.count() > 0) wake_.wait_for(lock, stop, wait, [this] { return woken_; });
  }
}

TimePoint UpgradeController::Pass() {
  std::lock_guard plan_lock(plan_mutex_);
  {
    std::lock_guard lock(mutex_);
    woken_ = false;
  }
  const TimePoint now = clock_.Now();
  const auto step_poll = std::chrono::duration_cast<TimePoint::duration>(options_.step_poll);
  auto unfinished = store_.UnfinishedPlans();
  if (!unfinished) {
    spdlog::error("upgrades: cannot read the plans: {}", unfinished.error().message);
    return now + step_poll;
  }
  // One plan runs at a time: the oldest running one.
  for (UpgradePlan& plan : *unfinished) {
    if (plan.state != RunState::kRunning) continue;
    if (!Advance(plan, now)) return now + step_poll;
    std::lock_guard lock(mutex_);
    recheck_ = true;  // what it changed may allow more
    break;
  }
  bool due = false;
  {
    std::lock_guard lock(mutex_);
    due = recheck_ || !next_poll_ || now >= *next_poll_;
  }
  if (due) {
    UpgradeCheck check = Check(now, true);
    unfinished = store_.UnfinishedPlans();
    if (unfinished && MaybePlan(check, *unfinished, now)) return now;  // it runs at once
  }
  std::lock_guard lock(mutex_);
  return next_poll_.value_or(now + step_poll);
}

bool UpgradeController::Advance(UpgradePlan& plan, TimePoint now) {
  std::size_t i = 0;
  while (i < plan.steps.size() && plan.steps[i].state == RunState::kDone) ++i;
  if (i == plan.steps.size()) {
    EndPlan(plan, RunState::kDone, "all " + std::to_string(plan.steps.size()) + " steps done", i,
            now);
    return true;
  }
  UpgradeStep& step = plan.steps[i];
  const std::string where = "plan " + std::to_string(plan.id) + " step " + std::to_string(i + 1) +
                            " (" + StepText(step) + ")";
  if (step.state != RunState::kPending && step.state != RunState::kRunning) {
    EndPlan(plan, step.state,
            where + " ended " + std::string(store::ToString(step.state)) +
                (step.error.empty() ? "" : ": " + step.error),
            i + 1, now);
    return true;
  }
  auto request = [&]() -> Status {
    // A leader that could not renew its lease stops before it asks.
    if (leadership_ != nullptr && !leadership_->MayAct()) {
      return Fail("unavailable", "this maiev no longer leads");
    }
    Status requested = orchestrator_.UpdateImage(step.service, step.image,
                                                 StepLabels(plan.id, step, plan.steps.size(), now));
    if (requested) {
      spdlog::info("upgrades: {}: rolling update to {} requested", where, step.image);
    } else {
      // Retried on the next pass (the judge sees the old image), until the step's deadline.
      spdlog::warn("upgrades: {}: the update could not be requested: {}", where,
                   requested.error().message);
    }
    return requested;
  };
  if (step.state == RunState::kPending) {
    // Recorded before it is asked for: after a crash the judge finds the request, or its absence.
    if (auto st = store_.SetStepState(plan.id, static_cast<int>(i), RunState::kRunning, now, "");
        !st) {  // not asked for unrecorded
      spdlog::error("upgrades: {}: cannot record the step: {}", where, st.error().message);
      return false;
    }
    Publish(StepEvent{plan.id, step.index, step.service, step.from_version, step.to_version,
                      RunState::kRunning, ""});
    {
      std::lock_guard lock(mutex_);
      ++counters_.steps_started;
    }
    if (auto requested = request(); !requested && requested.error().code == "not_found") {
      RecordStep(plan.id, step, RunState::kAborted, now, "the service was removed");
      EndPlan(plan, RunState::kAborted, where + " aborted: the service was removed", i + 1, now);
      return true;
    }
    return false;
  }

  auto service = orchestrator_.InspectService(step.service);
  upgrade::StepObservation seen;
  Duration deadline = options_.step_deadline.value_or(options_.task_start);
  if (service) {
    seen = Observe(*service, step.image);
    deadline = DeadlineOf(*service);
  } else if (service.error().code == "not_found") {
    seen.exists = false;
  } else {
    spdlog::warn("upgrades: {}: cannot read the service: {}", where, service.error().message);
    return false;
  }
  upgrade::StepContext context;
  context.image = step.image;
  context.from_image = step.from_image;
  context.requested = step.started.value_or(now);
  context.deadline = deadline;
  const upgrade::StepJudgement judged = upgrade::JudgeStep(context, seen, now);
  switch (judged.verdict) {
    case upgrade::StepVerdict::kRequest:
      (void)request();
      return false;
    case upgrade::StepVerdict::kWait:
      return false;
    case upgrade::StepVerdict::kDone:
      break;
    case upgrade::StepVerdict::kFailed:
    case upgrade::StepVerdict::kAborted: {
      const RunState state =
          judged.verdict == upgrade::StepVerdict::kFailed ? RunState::kFailed : RunState::kAborted;
      RecordStep(plan.id, step, state, now, judged.why);
      {
        std::lock_guard lock(mutex_);
        ++(state == RunState::kFailed ? counters_.steps_failed : counters_.steps_aborted);
      }
      EndPlan(plan, state, where + " " + std::string(store::ToString(state)) + ": " + judged.why,
              i + 1, now);
      return true;
    }
  }

  RecordStep(plan.id, step, RunState::kDone, now, "");
  step.state = RunState::kDone;
  {
    std::lock_guard lock(mutex_);
    ++counters_.steps_done;
  }
  spdlog::info("upgrades: {} done", where);
  if (i + 1 == plan.steps.size()) {
    EndPlan(plan, RunState::kDone, "all " + std::to_string(plan.steps.size()) + " steps done",
            i + 1, now);
    return true;
  }
  bool recheck = false;
  {
    std::lock_guard lock(mutex_);
    recheck = recheck_;
  }
  if (recheck) {
    // New versions arrived while the step ran: the plan goes on only if it is still the plan.
    UpgradeCheck check = Check(now, true);
    if (!check.error.empty() || !check.gathered.failed_identities.empty()) {
      // What could not be read (the registry or the swarm down) is no new fact: the plan goes
      // on as planned, and the re-check is tried again when the next step ends.
      spdlog::warn("upgrades: {}: the re-check could not read everything; the plan goes on", where);
      std::lock_guard lock(mutex_);
      recheck_ = true;
    } else if (!check.decision.ok() || Planned(check.decision) != Remaining(plan)) {
      EndPlan(plan, RunState::kAborted,
              "superseded after step " + std::to_string(i + 1) +
                  ": new versions arrived, "
                  "re-planned",
              i + 1, now);
      MaybePlan(check, {}, now);
      return false;  // the next pass runs the new plan, if any
    }
  }
  return Advance(plan, now);  // the next step is requested at once
}

void UpgradeController::EndPlan(const UpgradePlan& plan, RunState state, const std::string& reason,
                                std::size_t abort_from, TimePoint now) {
  for (std::size_t k = abort_from; k < plan.steps.size(); ++k) {
    if (plan.steps[k].state == RunState::kPending) {
      RecordStep(plan.id, plan.steps[k], RunState::kAborted, now,
                 "the plan stopped before this step");
    }
  }
  if (auto st = RecordPlan(plan.id, state, reason, now); !st) {
    spdlog::error("upgrades: plan {}: cannot record its end: {}", plan.id, st.error().message);
  }
  if (state == RunState::kDone) {
    spdlog::info("upgrades: plan {} done: {}", plan.id, reason);
  } else {
    spdlog::warn("upgrades: plan {} {}: {}", plan.id, store::ToString(state), reason);
  }
}

Duration UpgradeController::DeadlineOf(const orchestrator::ServiceInfo& service) const {
  if (options_.step_deadline) return *options_.step_deadline;
  const orchestrator::UpdateConfig& config = service.update_config;
  return upgrade::StepDeadline(
      {config.parallelism, config.delay, config.monitor, DesiredTasks(service)},
      options_.task_start);
}

void UpgradeController::HoldBackFailed(Gathered& gathered) {
  auto plans = store_.ListPlans(20);
  if (!plans) return;
  for (const UpgradePlan& plan : *plans) {
    for (const UpgradeStep& step : plan.steps) {
      if (step.state != RunState::kFailed) continue;
      for (upgrade::WatchedService& service : gathered.services) {
        if (service.name != step.service) continue;
        for (upgrade::ImageVersion& v : service.newer) {
          if (v.digest.empty() || !v.rejection.empty()) continue;
          if (upgrade::SameImage(upgrade::PinnedImage(service.image, v), step.image)) {
            v.rejection = "its rollout failed in plan " + std::to_string(plan.id) + ": " +
                          step.error + " (a new push of the tag is tried again)";
          }
        }
      }
    }
  }
}

UpgradeCheck UpgradeController::Check(TimePoint now, bool scheduled) {
  std::lock_guard gather_lock(gather_mutex_);
  UpgradeCheck check;
  check.at = now;
  auto gathered =
      GatherUpgradeFacts(orchestrator_, registry_for_, options_.gather, &gather_memory_);
  bool failed = false;
  if (!gathered) {
    check.error = gathered.error().message;
    failed = true;
    spdlog::warn("upgrades: cannot list the swarm's services: {}", check.error);
  } else {
    check.gathered = std::move(*gathered);
    failed = !check.gathered.failed_identities.empty();
    for (const std::string& identity : check.gathered.failed_identities) {
      std::string why;
      for (const auto& service : check.gathered.services) {
        if (service.image.Identity() != identity) continue;
        if (auto note = check.gathered.notes.find(service.name);
            note != check.gathered.notes.end()) {
          why = note->second;
        }
        break;
      }
      spdlog::warn("upgrades: cannot read the registry for {}: {}", identity, why);
    }
    HoldBackFailed(check.gathered);
    check.catalog = upgrade::AssembleCatalog(check.gathered.services);
    check.decision = upgrade::Decide(check.catalog, options_.decide);
    if (!check.decision.ok()) {
      spdlog::warn("upgrades: no upgrade: {}{}", check.decision.message,
                   check.decision.reasons.empty() ? "" : " (" + check.decision.reasons[0] + ")");
    }
  }
  std::lock_guard lock(mutex_);
  ++counters_.checks;
  counters_.registry_requests += check.gathered.registry_requests;
  if (failed) ++counters_.check_failures;
  last_check_ = check;
  if (!scheduled) return check;
  recheck_ = false;
  if (failed) {
    retry_delay_ =
        std::min(retry_delay_.count() == 0 ? options_.retry_after_error : retry_delay_ * 2,
                 options_.poll_interval);
    next_poll_ = now + std::chrono::duration_cast<TimePoint::duration>(retry_delay_);
  } else {
    retry_delay_ = Duration{0.0};
    next_poll_ = now + std::chrono::duration_cast<TimePoint::duration>(options_.poll_interval);
  }
  return check;
}

bool UpgradeController::MaybePlan(const UpgradeCheck& check,
                                  const std::vector<UpgradePlan>& unfinished, TimePoint now) {
  if (!check.error.empty() || !check.decision.ok()) return false;
  const auto planned = Planned(check.decision);
  for (const UpgradePlan& plan : unfinished) {
    if (Remaining(plan) == planned) return false;  // already planned
  }
  for (const UpgradePlan& plan : unfinished) {
    if (plan.state != RunState::kPending) continue;
    EndPlan(plan, RunState::kAborted,
            planned.empty() ? "no longer needed: nothing to upgrade now"
                            : "superseded: the versions to deploy changed",
            0, now);
  }
  if (planned.empty()) return false;

  UpgradePlan plan;
  plan.created = now;
  plan.updated = now;
  std::string what;
  std::map<std::string, std::string> previous;  // service → image before its next step
  for (const upgrade::WatchedService& service : check.gathered.services) {
    previous[service.name] = service.image.ToString();
  }
  for (const upgrade::PlannedStep& planned_step : check.decision.steps) {
    UpgradeStep step;
    step.index = static_cast<int>(plan.steps.size());
    step.service = planned_step.service;
    step.from_version = planned_step.from;
    step.to_version = planned_step.to;
    step.image = planned_step.image;
    step.from_image = previous[planned_step.service];
    previous[planned_step.service] = planned_step.image;
    if (!what.empty()) what += ", ";
    what += planned_step.service + " " + planned_step.from + " → " + planned_step.to;
    plan.steps.push_back(std::move(step));
  }
  plan.reason = "new versions: " + what;
  if (check.decision.needs_approval.empty()) {
    plan.state = RunState::kRunning;
  } else {
    plan.state = RunState::kPending;
    std::string services;
    for (const std::string& name : check.decision.needs_approval) {
      services += (services.empty() ? "" : ", ") + name;
    }
    plan.reason += "; waiting for approval (maiev.update=approve: " + services + ")";
  }
  auto id = store_.CreatePlan(plan);
  if (!id) {
    spdlog::error("upgrades: cannot store the plan: {}", id.error().message);
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    ++counters_.plans_created;
  }
  Publish(PlanEvent{*id, plan.state, plan.reason});
  spdlog::info("upgrades: plan {} ({} steps, {}): {}", *id, plan.steps.size(),
               store::ToString(plan.state), plan.reason);
  return plan.state == RunState::kRunning;
}

Result<UpgradeCheck> UpgradeController::Resolve() {
  UpgradeCheck check = Check(clock_.Now(), false);
  if (!check.error.empty()) return Fail("unavailable", check.error);
  return check;
}

std::optional<UpgradeCheck> UpgradeController::View() const {
  std::lock_guard lock(mutex_);
  return last_check_;
}

Status UpgradeController::Approve(std::int64_t plan_id) {
  {
    std::lock_guard plan_lock(plan_mutex_);
    auto plan = store_.LoadPlan(plan_id);
    if (!plan) return Unexpected<Error>{plan.error()};
    if (plan->state != RunState::kPending) {
      return Fail("conflict", "plan " + std::to_string(plan_id) + " is " +
                                  std::string(store::ToString(plan->state)) +
                                  ": only a pending plan can be approved");
    }
    if (auto st =
            RecordPlan(plan_id, RunState::kRunning, plan->reason + "; approved", clock_.Now());
        !st) {
      return st;
    }
  }
  spdlog::info("upgrades: plan {} approved", plan_id);
  Wake();
  return {};
}

Status UpgradeController::Abort(std::int64_t plan_id) {
  {
    std::lock_guard plan_lock(plan_mutex_);
    auto plan = store_.LoadPlan(plan_id);
    if (!plan) return Unexpected<Error>{plan.error()};
    if (plan->state != RunState::kPending && plan->state != RunState::kRunning) {
      return Fail("conflict", "plan " + std::to_string(plan_id) + " has ended (" +
                                  std::string(store::ToString(plan->state)) + ")");
    }
    const TimePoint now = clock_.Now();
    std::string reason = "aborted by an operator";
    for (const UpgradeStep& step : plan->steps) {
      if (step.state == RunState::kRunning) {
        reason += "; the rolling update of " + step.service + " to " + step.to_version +
                  ", already requested, goes on in Swarm";
        RecordStep(plan_id, step, RunState::kAborted, now,
                   "aborted by an operator while its rolling update ran");
      } else if (step.state == RunState::kPending) {
        RecordStep(plan_id, step, RunState::kAborted, now, "aborted by an operator");
      }
    }
    if (auto st = RecordPlan(plan_id, RunState::kAborted, reason, now); !st) return st;
  }
  spdlog::info("upgrades: plan {} aborted by an operator", plan_id);
  Wake();
  return {};
}

bool UpgradeController::AdoptInFlightSteps() {
  std::lock_guard plan_lock(plan_mutex_);
  auto services = orchestrator_.ListServices();
  if (!services) {
    spdlog::warn("upgrades: cannot look for steps in flight on the swarm: {}",
                 services.error().message);
    return false;
  }
  auto unfinished = store_.UnfinishedPlans();
  if (!unfinished) return false;
  const TimePoint now = clock_.Now();
  for (const orchestrator::ServiceInfo& service : *services) {
    auto label = service.labels.find(std::string(kStepLabel));
    if (label == service.labels.end()) continue;
    auto in_flight = ParseStepLabel(label->second);
    if (!in_flight) {
      spdlog::warn("upgrades: service {}: {}", service.name, in_flight.error().message);
      continue;
    }
    // Someone changed the image since: the label is history, not a step in flight.
    if (service.image != in_flight->image) continue;
    const bool known = std::any_of(unfinished->begin(), unfinished->end(), [&](const auto& plan) {
      return std::any_of(plan.steps.begin(), plan.steps.end(), [&](const UpgradeStep& step) {
        return step.service == service.name && step.image == in_flight->image;
      });
    });
    if (known) continue;
    // Ended already (done, or stuck for the judge to see)? A finished rollout needs nobody.
    const upgrade::StepObservation seen = Observe(service, in_flight->image);
    if (seen.rollout == upgrade::Rollout::kCompleted &&
        seen.running_on_image >= seen.desired_tasks) {
      continue;
    }
    UpgradePlan plan;
    plan.created = now;
    plan.updated = now;
    plan.state = RunState::kRunning;
    plan.reason = "resumed from the swarm: step " + std::to_string(in_flight->step) + " of " +
                  std::to_string(in_flight->steps) + " of plan " +
                  std::to_string(in_flight->plan_id) +
                  " of the maiev that started it, whose store is not here; the rest is "
                  "planned again once it ends";
    UpgradeStep step;
    step.index = 0;
    step.service = service.name;
    step.from_version = in_flight->from_version;
    step.to_version = in_flight->to_version;
    step.image = in_flight->image;
    step.from_image = in_flight->from_image;
    step.state = RunState::kRunning;
    step.started = in_flight->requested;
    plan.steps.push_back(step);
    auto id = store_.CreatePlan(plan);
    if (!id) {
      spdlog::error("upgrades: cannot record the step in flight of {}: {}", service.name,
                    id.error().message);
      return false;
    }
    spdlog::info("upgrades: service {}: {} → {} was in flight ({}); following it as plan {}",
                 service.name, step.from_version, step.to_version, plan.reason, *id);
    Publish(PlanEvent{*id, RunState::kRunning, plan.reason});
    Publish(StepEvent{*id, 0, step.service, step.from_version, step.to_version, RunState::kRunning,
                      ""});
  }
  return true;
}

UpgradeCounters UpgradeController::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace maiev::control
