#include "upgrade/step_judge.hpp"

#include <algorithm>

#include "versions/version.hpp"

namespace maiev::upgrade {
namespace {

std::string Seconds(Duration d) { return std::to_string(static_cast<long long>(d.count())) + " s"; }

std::string SwarmSays(const StepObservation& seen) {
  std::string text =
      "Swarm reports " + (seen.rollout_state.empty() ? "no update status" : seen.rollout_state);
  if (!seen.rollout_message.empty()) text += ": " + seen.rollout_message;
  return text;
}

// Whether the rollout Swarm reports began after the step's request (not an earlier one's).
bool OursOrLater(const StepContext& step, const StepObservation& seen) {
  if (!step.requested || !seen.rollout_started) return false;
  return *seen.rollout_started >=
         *step.requested - std::chrono::duration_cast<TimePoint::duration>(kClockSkewAllowance);
}

}  // namespace

bool SameImage(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto x = versions::ParseImageRef(a);
  auto y = versions::ParseImageRef(b);
  if (!x || !y) return false;
  if (x->digest.empty() || y->digest.empty()) return *x == *y;  // normalised: `nginx:1` too
  return x->registry == y->registry && x->repository == y->repository && x->digest == y->digest;
}

StepJudgement JudgeStep(const StepContext& step, const StepObservation& seen, TimePoint now) {
  if (!seen.exists) return {StepVerdict::kAborted, "the service was removed"};
  const bool overdue =
      step.requested &&
      now - *step.requested > std::chrono::duration_cast<TimePoint::duration>(step.deadline);
  if (SameImage(seen.spec_image, step.image)) {
    if (!step.requested) return {StepVerdict::kWait, ""};  // requested, not yet recorded
    if (seen.rollout == Rollout::kStuck && OursOrLater(step, seen)) {
      return {StepVerdict::kFailed, "the rolling update stopped: " + SwarmSays(seen)};
    }
    const bool settled = seen.rollout == Rollout::kNone ||
                         (seen.rollout == Rollout::kCompleted && OursOrLater(step, seen));
    if (settled && seen.running_on_image >= seen.desired_tasks) {
      return {StepVerdict::kDone, ""};
    }
    if (overdue) {
      return {StepVerdict::kFailed, "the step's deadline of " + Seconds(step.deadline) +
                                        " passed with " + std::to_string(seen.running_on_image) +
                                        " of " + std::to_string(seen.desired_tasks) +
                                        " tasks on the new image; " + SwarmSays(seen)};
    }
    return {StepVerdict::kWait, ""};
  }
  if (SameImage(seen.spec_image, step.from_image)) {
    // Back on the old image: Swarm rolled the step back, or the request never reached it.
    if (step.requested && seen.rollout == Rollout::kStuck && OursOrLater(step, seen)) {
      return {StepVerdict::kFailed, "Swarm rolled the update back: " + SwarmSays(seen)};
    }
    if (overdue) {
      return {StepVerdict::kFailed, "the step's deadline of " + Seconds(step.deadline) +
                                        " passed and the service still runs its old image"};
    }
    return {StepVerdict::kRequest, ""};
  }
  return {StepVerdict::kAborted,
          "the service was changed by someone else: it now runs " + seen.spec_image};
}

Duration StepDeadline(const RolloutConfig& config, Duration task_start) {
  const std::uint64_t tasks = std::max<std::uint64_t>(config.tasks, 1);
  const std::uint64_t batches =
      config.parallelism == 0 ? 1 : (tasks + config.parallelism - 1) / config.parallelism;
  return static_cast<double>(batches) * (task_start + config.delay + config.monitor) + task_start;
}

}  // namespace maiev::upgrade
