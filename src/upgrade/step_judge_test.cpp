#include "upgrade/step_judge.hpp"

#include <gtest/gtest.h>

namespace maiev::upgrade {
namespace {

using std::chrono::seconds;

const TimePoint kT0 = TimePoint{} + seconds{1'700'000'000};
const std::string kOld = "127.0.0.1:5000/a:1.0@sha256:" + std::string(64, '1');
const std::string kNew = "127.0.0.1:5000/a:2.0@sha256:" + std::string(64, '2');

StepContext Requested() {
  StepContext step;
  step.image = kNew;
  step.from_image = kOld;
  step.requested = kT0;
  step.deadline = Duration{100.0};
  return step;
}

StepObservation Seen(const std::string& image, Rollout rollout, std::string state,
                     std::uint64_t on_image, TimePoint started = kT0 + seconds{1}) {
  StepObservation seen;
  seen.spec_image = image;
  seen.rollout = rollout;
  seen.rollout_state = std::move(state);
  seen.rollout_started = started;
  seen.desired_tasks = 2;
  seen.running_on_image = on_image;
  return seen;
}

TEST(JudgeStep, NotRequestedYetAsksForTheUpdate) {
  StepContext step = Requested();
  step.requested.reset();
  EXPECT_EQ(JudgeStep(step, Seen(kOld, Rollout::kCompleted, "completed", 0), kT0).verdict,
            StepVerdict::kRequest);
}

TEST(JudgeStep, WaitsWhileUpdatingThenIsDoneWhenCompletedOnEveryTask) {
  const StepContext step = Requested();
  EXPECT_EQ(JudgeStep(step, Seen(kNew, Rollout::kUpdating, "updating", 1), kT0 + seconds{5}),
            (StepJudgement{StepVerdict::kWait, ""}));
  // Completed, but one task still starts: wait.
  EXPECT_EQ(
      JudgeStep(step, Seen(kNew, Rollout::kCompleted, "completed", 1), kT0 + seconds{6}).verdict,
      StepVerdict::kWait);
  EXPECT_EQ(JudgeStep(step, Seen(kNew, Rollout::kCompleted, "completed", 2), kT0 + seconds{7}),
            (StepJudgement{StepVerdict::kDone, ""}));
}

TEST(JudgeStep, ACompletedStatusFromAnEarlierUpdateIsNotThisStepsCompletion) {
  const StepContext step = Requested();
  auto stale = Seen(kNew, Rollout::kCompleted, "completed", 2, kT0 - seconds{60});
  EXPECT_EQ(JudgeStep(step, stale, kT0 + seconds{1}).verdict, StepVerdict::kWait);
  // Within the clock skew allowance it counts as this step's.
  auto skewed = Seen(kNew, Rollout::kCompleted, "completed", 2, kT0 - seconds{1});
  EXPECT_EQ(JudgeStep(step, skewed, kT0 + seconds{1}).verdict, StepVerdict::kDone);
}

TEST(JudgeStep, PausedFailsTheStepWithSwarmsWords) {
  auto paused = Seen(kNew, Rollout::kStuck, "paused", 0);
  paused.rollout_message = "update paused due to failure or early termination of task x";
  EXPECT_EQ(JudgeStep(Requested(), paused, kT0 + seconds{9}),
            (StepJudgement{StepVerdict::kFailed,
                           "the rolling update stopped: Swarm reports paused: update paused due "
                           "to failure or early termination of task x"}));
}

TEST(JudgeStep, ARollbackToTheOldImageFailsTheStep) {
  auto rolled_back = Seen(kOld, Rollout::kStuck, "rollback_completed", 0);
  rolled_back.rollout_message = "rollback completed";
  EXPECT_EQ(JudgeStep(Requested(), rolled_back, kT0 + seconds{20}),
            (StepJudgement{StepVerdict::kFailed,
                           "Swarm rolled the update back: Swarm reports rollback_completed: "
                           "rollback completed"}));
}

TEST(JudgeStep, OnTheOldImageWithoutARollbackTheRequestIsMadeAgain) {
  // e.g. maiev was killed between recording the step and asking Swarm.
  EXPECT_EQ(
      JudgeStep(Requested(), Seen(kOld, Rollout::kCompleted, "completed", 2, kT0 - seconds{3600}),
                kT0 + seconds{30})
          .verdict,
      StepVerdict::kRequest);
}

TEST(JudgeStep, TheDeadlineFailsAStepThatDoesNotConverge) {
  EXPECT_EQ(
      JudgeStep(Requested(), Seen(kNew, Rollout::kUpdating, "updating", 1), kT0 + seconds{101}),
      (StepJudgement{StepVerdict::kFailed,
                     "the step's deadline of 100 s passed with 1 of 2 tasks on the new "
                     "image; Swarm reports updating"}));
  EXPECT_EQ(
      JudgeStep(Requested(), Seen(kOld, Rollout::kCompleted, "completed", 2, kT0 - seconds{3600}),
                kT0 + seconds{101})
          .verdict,
      StepVerdict::kFailed);
}

TEST(JudgeStep, SomeoneElsesImageOrARemovedServiceAbortsTheStep) {
  const std::string theirs = "127.0.0.1:5000/a:9.9@sha256:" + std::string(64, '9');
  EXPECT_EQ(JudgeStep(Requested(), Seen(theirs, Rollout::kUpdating, "updating", 0), kT0),
            (StepJudgement{StepVerdict::kAborted,
                           "the service was changed by someone else: it now runs " + theirs}));
  StepObservation gone;
  gone.exists = false;
  EXPECT_EQ(JudgeStep(Requested(), gone, kT0),
            (StepJudgement{StepVerdict::kAborted, "the service was removed"}));
}

TEST(SameImage, ComparesRepositoryAndDigestWhenBothHaveOne) {
  EXPECT_TRUE(SameImage(kNew, kNew));
  EXPECT_TRUE(SameImage(kNew, "127.0.0.1:5000/a@sha256:" + std::string(64, '2')));
  EXPECT_FALSE(SameImage(kNew, "127.0.0.1:5000/b:2.0@sha256:" + std::string(64, '2')));
  EXPECT_FALSE(SameImage(kNew, kOld));
  EXPECT_FALSE(SameImage("127.0.0.1:5000/a:2.0", kNew));
  EXPECT_TRUE(SameImage("nginx:1.25", "docker.io/library/nginx:1.25"));
  EXPECT_FALSE(SameImage("nginx:1.25", "nginx:1.26"));
}

TEST(StepDeadline, OneBatchPerParallelismTasks) {
  // 5 tasks, 2 at a time: 3 batches of (60 + 10 + 5) s, plus 60 s.
  EXPECT_DOUBLE_EQ(StepDeadline({2, Duration{10.0}, Duration{5.0}, 5}, Duration{60.0}).count(),
                   3 * 75.0 + 60.0);
  // Parallelism 0: all at once.
  EXPECT_DOUBLE_EQ(StepDeadline({0, Duration{0.0}, Duration{5.0}, 50}, Duration{60.0}).count(),
                   65.0 + 60.0);
  // No task (0 replicas) counts as one batch.
  EXPECT_DOUBLE_EQ(StepDeadline({1, Duration{0.0}, Duration{5.0}, 0}, Duration{30.0}).count(),
                   35.0 + 30.0);
}

}  // namespace
}  // namespace maiev::upgrade
