// One step of an upgrade plan, judged from what Swarm shows (SPEC §5 "Execution",
// docs/UPGRADES.md "Executing"). Pure: the upgrade controller observes the service and the
// clock, this says whether to request the update, wait, or end the step, and why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"

namespace maiev::upgrade {

// Swarm's UpdateStatus.State as a step sees it.
enum class Rollout {
  kNone,       // no update status
  kUpdating,   // updating
  kCompleted,  // completed
  kStuck,      // paused, rollback_started, rollback_paused, rollback_completed, unknown states
};

struct StepObservation {
  bool exists = true;      // false: the service is gone
  std::string spec_image;  // the image its spec names now
  Rollout rollout = Rollout::kNone;
  std::string rollout_state;    // Swarm's word for it ("rollback_completed"), for messages
  std::string rollout_message;  // Swarm's explanation; may be empty
  std::optional<TimePoint> rollout_started;  // UpdateStatus.StartedAt
  std::uint64_t desired_tasks = 0;           // replicas, or running tasks for a global service
  std::uint64_t running_on_image = 0;        // running tasks of the step's image
};

struct StepContext {
  std::string image;                   // the step's pinned image
  std::string from_image;              // the image the service ran before the step
  std::optional<TimePoint> requested;  // when its update was requested; nullopt: not yet
  Duration deadline{600.0};            // from `requested`
};

enum class StepVerdict {
  kRequest,  // ask Swarm for the update (not asked yet, or the request was lost)
  kWait,     // the rolling update is under way
  kDone,     // every task runs the new image and Swarm says completed
  kFailed,   // Swarm gave up or rolled back, or the deadline passed
  kAborted,  // the service is gone or someone else changed its image
};

struct StepJudgement {
  StepVerdict verdict = StepVerdict::kWait;
  std::string why;  // empty for kRequest and kWait

  friend bool operator==(const StepJudgement&, const StepJudgement&) = default;
};

// Images are the same when they name the same repository and digest, or, when either lacks a
// digest, when they are the same reference once normalised (`nginx:1` is
// `docker.io/library/nginx:1`): Swarm may write back a reference in another form.
bool SameImage(const std::string& a, const std::string& b);

// How long Swarm's clock may lag maiev's when telling an old rollout from the one a step asked
// for (UpdateStatus.StartedAt against the request time).
inline constexpr Duration kClockSkewAllowance{2.0};

StepJudgement JudgeStep(const StepContext& step, const StepObservation& seen, TimePoint now);

// What a rolling update of `tasks` tasks should take at most under the service's UpdateConfig:
// one batch per `parallelism` tasks (0: all at once), each allowed `task_start` to start plus the
// config's delay and monitor period, and one more `task_start` of slack.
struct RolloutConfig {
  std::uint64_t parallelism = 1;
  Duration delay{0.0};
  Duration monitor{5.0};
  std::uint64_t tasks = 1;
};
Duration StepDeadline(const RolloutConfig& config, Duration task_start);

}  // namespace maiev::upgrade
