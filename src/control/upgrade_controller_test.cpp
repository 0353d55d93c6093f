// The upgrade loop over fakes: a scripted swarm (FakeOrchestrator), a registry
// (FakeRegistryClient), the real store in memory and a manual clock. Each test drives Pass() by
// hand; nothing sleeps.
#include "control/upgrade_controller.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "control/recording_event_sink.hpp"
#include "control/step_label.hpp"
#include "control/upgrade_test_support.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "registry/fake_registry_client.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::control {
namespace {

using orchestrator::ServiceInfo;
using orchestrator::UpdateState;
using std::chrono::seconds;
using store::RunState;

using upgrade_testing::Digest;
using upgrade_testing::kRegistry;
using upgrade_testing::Label;

class UpgradeControllerTest : public ::testing::Test {
 protected:
  UpgradeControllerTest() : store_(std::move(store::SqliteStore::Open(":memory:").value())) {
    clock_.Set(TimePoint{} + seconds{1'700'000'000});
    options_.poll_interval = Duration{300.0};
    options_.task_start = Duration{60.0};
  }

  UpgradeController& Controller() {
    if (!controller_) {
      controller_ = std::make_unique<UpgradeController>(
          swarm_,
          [this](std::string_view host) -> registry::RegistryClient* {
            return host == kRegistry ? &registry_ : nullptr;
          },
          *store_, clock_, options_, &events_);
    }
    return *controller_;
  }

  // A service running repo `name` at `tag` (pinned), 2 replicas all on that image.
  void RunService(const std::string& name, const std::string& tag, char digest,
                  std::map<std::string, std::string> labels = {}) {
    ServiceInfo s = upgrade_testing::PinnedService(name, tag, digest, std::move(labels));
    s.update_status.started_at = clock_.Now() - seconds{3600};
    swarm_.PutService(s);
  }

  void Push(const std::string& name, const std::string& tag, char digest,
            const std::string& label = "") {
    upgrade_testing::PushImage(registry_, name, tag, digest, label);
  }

  // a 1.0.0 provides a:rpc 1 and b 1.0.0 needs it; b 2.0.0 needs a:rpc 2, which only a 2.0.0
  // provides: the plan is a, then b. The running versions' dependencies come from the registry
  // (no local image in the fake).
  void ProviderAndConsumerWithNewVersions() {
    RunService("a", "1.0.0", '1');
    RunService("b", "1.0.0", '3');
    Push("a", "1.0.0", '1', Label(R"("a:rpc": 1)", ""));
    Push("b", "1.0.0", '3', Label("", R"("a:rpc >= 1")"));
    Push("a", "2.0.0", '2', Label(R"("a:rpc": 2)", ""));
    Push("b", "2.0.0", '4', Label("", R"("a:rpc >= 2")"));
  }

  // Swarm finishes the rolling update the service was asked for.
  void CompleteRollout(const std::string& name) {
    swarm_.EditService("id-" + name, [&](ServiceInfo& s) {
      s.update_status = {UpdateState::kCompleted, "update completed", clock_.Now(), clock_.Now()};
      s.running_images = {{s.image, s.replicas}};
    });
  }

  store::UpgradePlan OnlyPlan() {
    auto plans = store_->ListPlans(10);
    EXPECT_TRUE(plans.ok());
    EXPECT_EQ(plans->size(), 1U);
    return plans->empty() ? store::UpgradePlan{} : plans->front();
  }

  ManualClock clock_;
  orchestrator::FakeOrchestrator swarm_;
  registry::FakeRegistryClient registry_;
  std::unique_ptr<store::SqliteStore> store_;
  UpgradeOptions options_;
  testing::RecordingEventSink events_;
  std::unique_ptr<UpgradeController> controller_;
};

TEST_F(UpgradeControllerTest, NothingNewerMakesNoPlan) {
  RunService("a", "1.0.0", '1');
  Push("a", "1.0.0", '1');
  Push("a", "0.9.0", '0');
  Controller().Pass();
  EXPECT_TRUE(store_->ListPlans(10)->empty());
  EXPECT_TRUE(swarm_.image_calls().empty());
  auto view = Controller().View();
  ASSERT_TRUE(view.has_value());
  EXPECT_TRUE(view->decision.ok());
  EXPECT_EQ(view->decision.target.at("a"), "1.0.0");
  // One tag list, no manifest HEAD: nothing is newer than the running version.
  EXPECT_EQ(registry_.calls().list_tags, 1U);
  EXPECT_EQ(registry_.calls().resolve_digest, 0U);
}

TEST_F(UpgradeControllerTest, UpgradesTheProviderFirstAndStepsOneAtATime) {
  ProviderAndConsumerWithNewVersions();

  Controller().Pass();  // check → plan → step 1 requested
  store::UpgradePlan plan = OnlyPlan();
  EXPECT_EQ(plan.state, RunState::kRunning);
  ASSERT_EQ(plan.steps.size(), 2U);
  EXPECT_EQ(plan.steps[0].service, "a");
  EXPECT_EQ(plan.steps[1].service, "b");
  EXPECT_EQ(plan.reason, "new versions: a 1.0.0 → 2.0.0, b 1.0.0 → 2.0.0");
  Controller().Pass();
  const std::string a2 = std::string(kRegistry) + "/a:2.0.0@" + Digest('2');
  ASSERT_EQ(swarm_.image_calls().size(), 1U);
  EXPECT_EQ(swarm_.image_calls()[0].image, a2);
  EXPECT_EQ(store_->LoadPlan(plan.id)->steps[0].state, RunState::kRunning);
  EXPECT_EQ(store_->LoadPlan(plan.id)->steps[0].from_image,
            std::string(kRegistry) + "/a:1.0.0@" + Digest('1'));

  // Still updating: b waits.
  clock_.Advance(Duration{2.0});
  Controller().Pass();
  EXPECT_EQ(swarm_.image_calls().size(), 1U);

  clock_.Advance(Duration{2.0});
  CompleteRollout("a");
  Controller().Pass();  // a done → b requested at once
  ASSERT_EQ(swarm_.image_calls().size(), 2U);
  EXPECT_EQ(swarm_.image_calls()[1].image, std::string(kRegistry) + "/b:2.0.0@" + Digest('4'));

  clock_.Advance(Duration{2.0});
  CompleteRollout("b");
  Controller().Pass();
  plan = *store_->LoadPlan(plan.id);
  EXPECT_EQ(plan.state, RunState::kDone);
  EXPECT_EQ(plan.reason, "all 2 steps done");
  EXPECT_EQ(plan.steps[1].state, RunState::kDone);
  EXPECT_EQ(Controller().counters().steps_done, 2U);
}

TEST_F(UpgradeControllerTest, ARolledBackStepFailsThePlanAndIsNotTriedAgain) {
  RunService("a", "1.0.0", '1');
  Push("a", "1.0.0", '1');
  Push("a", "2.0.0", '2');
  Controller().Pass();
  Controller().Pass();
  ASSERT_EQ(swarm_.image_calls().size(), 1U);
  clock_.Advance(Duration{10.0});
  const std::string old_image = std::string(kRegistry) + "/a:1.0.0@" + Digest('1');
  swarm_.EditService("id-a", [&](ServiceInfo& s) {
    s.image = old_image;  // Swarm restored the previous spec
    s.update_status = {UpdateState::kRollbackCompleted, "rollback completed",
                       clock_.Now() - seconds{5}, clock_.Now()};
  });
  Controller().Pass();
  store::UpgradePlan plan = OnlyPlan();
  EXPECT_EQ(plan.state, RunState::kFailed);
  EXPECT_EQ(plan.steps[0].state, RunState::kFailed);
  EXPECT_EQ(plan.steps[0].error,
            "Swarm rolled the update back: Swarm reports rollback_completed: rollback completed");
  EXPECT_NE(plan.reason.find("a 1.0.0 → 2.0.0"), std::string::npos) << plan.reason;

  // The next check holds 2.0.0 back instead of planning it again.
  clock_.Advance(Duration{400.0});
  Controller().Pass();
  EXPECT_EQ(store_->ListPlans(10)->size(), 1U);
  auto view = Controller().View();
  ASSERT_TRUE(view.has_value());
  ASSERT_EQ(view->decision.held_back.size(), 1U);
  EXPECT_NE(view->decision.held_back[0].reason.find("its rollout failed in plan"),
            std::string::npos)
      << view->decision.held_back[0].reason;

  // A new push of the tag (another digest) is tried.
  Push("a", "2.0.0", '9');
  Controller().Hint({std::string(kRegistry), "a", "2.0.0", Digest('9')});
  Controller().Pass();
  EXPECT_EQ(store_->ListPlans(10)->size(), 2U);
}

TEST_F(UpgradeControllerTest, ApproveModeWaitsForTheOperator) {
  RunService("a", "1.0.0", '1', {{"maiev.update", "approve"}});
  Push("a", "1.0.0", '1');
  Push("a", "1.1.0", '2');
  Controller().Pass();
  store::UpgradePlan plan = OnlyPlan();
  EXPECT_EQ(plan.state, RunState::kPending);
  EXPECT_NE(plan.reason.find("waiting for approval (maiev.update=approve: a)"), std::string::npos)
      << plan.reason;
  Controller().Pass();
  EXPECT_TRUE(swarm_.image_calls().empty());

  ASSERT_TRUE(Controller().Approve(plan.id).ok());
  EXPECT_EQ(Controller().Approve(plan.id).error().code, "conflict");
  Controller().Pass();
  EXPECT_EQ(swarm_.image_calls().size(), 1U);
}

TEST_F(UpgradeControllerTest, AbortStopsThePlanAndSaysTheRolloutGoesOn) {
  RunService("a", "1.0.0", '1');
  RunService("b", "1.0.0", '3');
  Push("a", "1.0.0", '1');
  Push("b", "1.0.0", '3');
  Push("a", "2.0.0", '2');
  Push("b", "2.0.0", '4');
  Controller().Pass();
  Controller().Pass();
  const store::UpgradePlan plan = OnlyPlan();
  ASSERT_TRUE(Controller().Abort(plan.id).ok());
  const store::UpgradePlan aborted = *store_->LoadPlan(plan.id);
  EXPECT_EQ(aborted.state, RunState::kAborted);
  EXPECT_NE(aborted.reason.find("goes on in Swarm"), std::string::npos) << aborted.reason;
  EXPECT_EQ(aborted.steps[1].state, RunState::kAborted);
  EXPECT_EQ(Controller().Abort(plan.id).error().code, "conflict");
  EXPECT_EQ(Controller().Abort(plan.id + 7).error().code, "not_found");
}

TEST_F(UpgradeControllerTest, SomeoneElsesUpdateAbortsTheStep) {
  RunService("a", "1.0.0", '1');
  Push("a", "1.0.0", '1');
  Push("a", "2.0.0", '2');
  Controller().Pass();
  Controller().Pass();
  swarm_.EditService("id-a", [&](ServiceInfo& s) {
    s.image = std::string(kRegistry) + "/a:3.0.0@" + Digest('7');
  });
  clock_.Advance(Duration{1.0});
  Controller().Pass();
  const store::UpgradePlan plan = *store_->LoadPlan(OnlyPlan().id);
  EXPECT_EQ(plan.state, RunState::kAborted);
  EXPECT_NE(plan.steps[0].error.find("changed by someone else"), std::string::npos)
      << plan.steps[0].error;
}

TEST_F(UpgradeControllerTest, AStepThatNeverConvergesFailsAtItsDeadline) {
  RunService("a", "1.0.0", '1');
  Push("a", "1.0.0", '1');
  Push("a", "2.0.0", '2');
  Controller().Pass();
  Controller().Pass();
  // 2 replicas, parallelism 1, monitor 5 s, 60 s per task: 2 × 65 + 60 = 190 s.
  clock_.Advance(Duration{189.0});
  Controller().Pass();
  EXPECT_EQ(OnlyPlan().state, RunState::kRunning);
  clock_.Advance(Duration{2.0});
  Controller().Pass();
  const store::UpgradePlan plan = OnlyPlan();
  EXPECT_EQ(plan.state, RunState::kFailed);
  EXPECT_NE(plan.steps[0].error.find("deadline of 190 s"), std::string::npos)
      << plan.steps[0].error;
}

TEST_F(UpgradeControllerTest, AfterARestartTheRunningStepIsFollowedNotRequestedAgain) {
  RunService("a", "1.0.0", '1');
  Push("a", "1.0.0", '1');
  Push("a", "2.0.0", '2');
  Controller().Pass();
  Controller().Pass();
  ASSERT_EQ(swarm_.image_calls().size(), 1U);
  controller_.reset();  // maiev dies mid-step; a new one starts on the same store
  clock_.Advance(Duration{3.0});
  CompleteRollout("a");
  Controller().Pass();
  EXPECT_EQ(swarm_.image_calls().size(), 1U);
  EXPECT_EQ(OnlyPlan().state, RunState::kDone);
}

TEST_F(UpgradeControllerTest, AMaievWithAnEmptyStoreFollowsTheStepInFlightThenPlansTheRest) {
  ProviderAndConsumerWithNewVersions();
  Controller().Pass();
  Controller().Pass();  // step 1 (a) requested, recorded on the service
  ASSERT_EQ(swarm_.image_calls().size(), 1U);
  const std::string a2 = std::string(kRegistry) + "/a:2.0.0@" + Digest('2');
  auto label = swarm_.InspectService("a")->labels.at(std::string(kStepLabel));
  auto in_flight = ParseStepLabel(label);
  ASSERT_TRUE(in_flight) << in_flight.error().message;
  EXPECT_EQ(in_flight->step, 1);
  EXPECT_EQ(in_flight->steps, 2);
  EXPECT_EQ(in_flight->to_version, "2.0.0");
  EXPECT_EQ(in_flight->image, a2);

  // That maiev's node is lost with its disk; another starts with an empty store.
  controller_.reset();
  store_ = std::move(store::SqliteStore::Open(":memory:").value());
  ASSERT_TRUE(Controller().AdoptInFlightSteps());
  store::UpgradePlan adopted = OnlyPlan();
  EXPECT_EQ(adopted.state, RunState::kRunning);
  ASSERT_EQ(adopted.steps.size(), 1U);
  EXPECT_EQ(adopted.steps[0].service, "a");
  EXPECT_EQ(adopted.steps[0].state, RunState::kRunning);
  EXPECT_THAT(adopted.reason, ::testing::HasSubstr("resumed from the swarm: step 1 of 2"));
  // Adopting again finds it known.
  ASSERT_TRUE(Controller().AdoptInFlightSteps());
  EXPECT_EQ(store_->ListPlans(10)->size(), 1U);

  clock_.Advance(Duration{2.0});
  Controller().Pass();  // still updating: followed, not requested again
  EXPECT_EQ(swarm_.image_calls().size(), 1U);
  CompleteRollout("a");
  clock_.Advance(Duration{2.0});
  Controller().Pass();  // a done; the re-check plans b
  EXPECT_EQ(store_->LoadPlan(adopted.id)->state, RunState::kDone);
  Controller().Pass();
  ASSERT_EQ(swarm_.image_calls().size(), 2U);
  EXPECT_EQ(swarm_.image_calls()[1].image, std::string(kRegistry) + "/b:2.0.0@" + Digest('4'));
}

TEST_F(UpgradeControllerTest, AFinishedOrOverwrittenStepLabelIsNotAdopted) {
  const std::string a2 = std::string(kRegistry) + "/a:2.0.0@" + Digest('2');
  const InFlightStep step{7, 1, 1, "1.0.0", "2.0.0", "", a2, clock_.Now()};
  // Finished: the rollout completed on the labelled image.
  RunService("a", "2.0.0", '2', {{std::string(kStepLabel), StepLabelValue(step)}});
  // Overwritten: someone deployed another image since.
  RunService("b", "3.0.0", '9', {{std::string(kStepLabel), StepLabelValue(step)}});
  // Not maiev's JSON: skipped with a warning.
  RunService("c", "1.0.0", '5', {{std::string(kStepLabel), "{not json"}});
  ASSERT_TRUE(Controller().AdoptInFlightSteps());
  EXPECT_TRUE(store_->ListPlans(10)->empty());
}

TEST(StepLabel, RoundTripsAndNamesWhatIsWrong) {
  const InFlightStep step{3,
                          2,
                          2,
                          "1.0.0",
                          "2.0.0",
                          "r/a:1.0.0@sha256:aa",
                          "r/a:2.0.0@sha256:bb",
                          TimePoint{std::chrono::milliseconds{1'700'000'000'250}}};
  auto back = ParseStepLabel(StepLabelValue(step));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, step);
  EXPECT_THAT(ParseStepLabel(R"({"plan":1,"step":3,"steps":2})").error().message,
              ::testing::HasSubstr("step must be 1 to steps"));
  EXPECT_THAT(ParseStepLabel(R"({"plan":1,"step":1,"steps":1,"to":"2"})").error().message,
              ::testing::HasSubstr("image"));
  EXPECT_THAT(ParseStepLabel("[]").error().message, ::testing::HasSubstr(kStepLabel));
}

TEST_F(UpgradeControllerTest, ANewVersionDuringAStepIsPlannedWhenTheStepFinishes) {
  RunService("a", "1.0.0", '1');
  RunService("b", "1.0.0", '3');
  Push("a", "1.0.0", '1');
  Push("b", "1.0.0", '3');
  Push("a", "2.0.0", '2');
  Push("b", "2.0.0", '4');
  Controller().Pass();
  Controller().Pass();  // a → 2.0.0 requested
  const std::int64_t first = OnlyPlan().id;
  Push("b", "3.0.0", '5');
  Controller().Hint({std::string(kRegistry), "b", "3.0.0", Digest('5')});
  clock_.Advance(Duration{1.0});
  Controller().Pass();  // the step still runs: nothing changes
  EXPECT_EQ(store_->LoadPlan(first)->state, RunState::kRunning);
  CompleteRollout("a");
  clock_.Advance(Duration{1.0});
  Controller().Pass();  // a done → re-planned: b goes to 3.0.0 directly
  const store::UpgradePlan old_plan = *store_->LoadPlan(first);
  EXPECT_EQ(old_plan.state, RunState::kAborted);
  EXPECT_EQ(old_plan.reason, "superseded after step 1: new versions arrived, re-planned");
  EXPECT_EQ(old_plan.steps[0].state, RunState::kDone);
  auto plans = store_->ListPlans(10);
  ASSERT_EQ(plans->size(), 2U);
  const store::UpgradePlan& next = plans->front();
  ASSERT_EQ(next.steps.size(), 1U);
  EXPECT_EQ(next.steps[0].service, "b");
  EXPECT_EQ(next.steps[0].to_version, "3.0.0");
}

// A hint during a step asks for a re-check at the step's end; a registry that cannot be read
// then is no new fact, so the plan goes on as planned rather than being abandoned.
TEST_F(UpgradeControllerTest, ARegistryDownWhenAStepEndsIsNoReasonToAbandonThePlan) {
  ProviderAndConsumerWithNewVersions();
  Controller().Pass();
  Controller().Pass();  // a → 2.0.0 requested
  const std::int64_t plan = OnlyPlan().id;
  Controller().Hint({std::string(kRegistry), "b", "2.0.0", Digest('4')});
  registry_.SetDown(Error{"unavailable", "registry 127.0.0.1:5000: connection refused"});
  CompleteRollout("a");
  clock_.Advance(Duration{1.0});
  Controller().Pass();  // a done; the re-check fails; b is requested all the same
  EXPECT_EQ(store_->LoadPlan(plan)->state, RunState::kRunning);
  ASSERT_EQ(swarm_.image_calls().size(), 2U);
  EXPECT_EQ(swarm_.image_calls()[1].image, std::string(kRegistry) + "/b:2.0.0@" + Digest('4'));
  EXPECT_EQ(Controller().counters().check_failures, 1U);

  registry_.SetDown(std::nullopt);
  clock_.Advance(Duration{1.0});
  CompleteRollout("b");
  Controller().Pass();
  EXPECT_EQ(OnlyPlan().state, RunState::kDone);
  EXPECT_EQ(Controller().counters().steps_started, 2U);
  EXPECT_EQ(Controller().counters().steps_done, 2U);
}

TEST_F(UpgradeControllerTest, ALatestServiceIsPlacedByItsDigestAndMovesToVersions) {
  RunService("a", "latest", '1');
  Push("a", "latest", '1');
  Push("a", "1.0.0", '1');
  Push("a", "1.1.0", '2');
  Controller().Pass();
  auto view = Controller().View();
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->catalog.running.at("a"), "1.0.0");
  ASSERT_EQ(view->decision.steps.size(), 1U);
  EXPECT_EQ(view->decision.steps[0].image, std::string(kRegistry) + "/a:1.1.0@" + Digest('2'));
}

TEST_F(UpgradeControllerTest, AReCheckOfADigestOnlyServiceTriesTheTagFoundLastTimeFirst) {
  RunService("a", "latest", '1', {{"maiev.update", "off"}});  // newer versions are not read
  Push("a", "latest", '1');
  Push("a", "1.0.0", '1');
  for (char v = '1'; v <= '4'; ++v) Push("a", std::string("1.") + v + ".0", 'a' + (v - '1'));
  ASSERT_TRUE(Controller().Resolve().ok());
  EXPECT_EQ(registry_.calls().resolve_digest, 5U);  // newest first: 1.4.0 … 1.0.0
  EXPECT_EQ(Controller().Resolve()->catalog.running.at("a"), "1.0.0");
  EXPECT_EQ(registry_.calls().resolve_digest, 6U);  // 1.0.0 alone
  // The tag moved: it is forgotten and the digest found under another tag.
  Push("a", "1.0.0", '9');
  Push("a", "1.0.1", '1');
  EXPECT_EQ(Controller().Resolve()->catalog.running.at("a"), "1.0.1");
  EXPECT_EQ(registry_.calls().resolve_digest, 6U + 1U + 5U);  // 1.0.0, then 1.4.0 … 1.0.1
  EXPECT_EQ(Controller().Resolve()->catalog.running.at("a"), "1.0.1");
  EXPECT_EQ(registry_.calls().resolve_digest, 13U);
  // Pinned to a versioned tag, it needs no lookup; moved back to its digest, the search starts
  // over (nothing of the first search was kept).
  RunService("a", "1.0.1", '1', {{"maiev.update", "off"}});
  ASSERT_TRUE(Controller().Resolve().ok());
  EXPECT_EQ(registry_.calls().resolve_digest, 13U);
  RunService("a", "latest", '1', {{"maiev.update", "off"}});
  EXPECT_EQ(Controller().Resolve()->catalog.running.at("a"), "1.0.1");
  EXPECT_EQ(registry_.calls().resolve_digest, 13U + 5U);
}

TEST_F(UpgradeControllerTest, AVersionWhoseRequirementNothingMeetsIsNotDeployedAndSaysWhy) {
  RunService("c", "1.0.0", '1');
  Push("c", "1.0.0", '1');
  Push("c", "2.0.0", '2', Label("", R"("nothing:here > 0")"));
  Controller().Pass();
  Controller().Pass();
  EXPECT_TRUE(store_->ListPlans(10)->empty());
  EXPECT_TRUE(swarm_.image_calls().empty());
  auto view = Controller().View();
  ASSERT_EQ(view->decision.held_back.size(), 1U);
  EXPECT_EQ(view->decision.held_back[0].reason,
            "held back: requires `nothing:here > 0`, but no candidate version provides "
            "`nothing:here`");
}

TEST_F(UpgradeControllerTest, ADryRunNeitherPlansNorSwallowsAPendingRecheck) {
  RunService("a", "1.0.0", '1');
  Push("a", "1.0.0", '1');
  Controller().Pass();  // nothing new: the next poll is 300 s away
  Push("a", "1.1.0", '2');
  Controller().Hint({std::string(kRegistry), "a", "1.1.0", Digest('2')});
  auto resolved = Controller().Resolve();
  ASSERT_TRUE(resolved.ok());
  ASSERT_EQ(resolved->decision.steps.size(), 1U);
  EXPECT_TRUE(store_->ListPlans(10)->empty());
  clock_.Advance(Duration{1.0});
  Controller().Pass();  // the hint's re-check still happens
  EXPECT_EQ(store_->ListPlans(10)->size(), 1U);
}

TEST_F(UpgradeControllerTest, ARegistryFailureIsANoteAndTheCheckIsRetriedSooner) {
  RunService("a", "1.0.0", '1');
  Push("a", "1.0.0", '1');
  registry_.FailNextCall({"unavailable", "registry 127.0.0.1:5000: connection refused"});
  const TimePoint next = Controller().Pass();
  EXPECT_EQ(next, clock_.Now() + seconds{5});
  auto view = Controller().View();
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->gathered.notes.at("a"), "registry 127.0.0.1:5000: connection refused");
  EXPECT_EQ(Controller().counters().check_failures, 1U);
}

TEST_F(UpgradeControllerTest, APlanAndItsStepsArePublishedAsTheyChangeState) {
  RunService("a", "1.0.0", '1');
  Push("a", "1.0.0", '1');
  Push("a", "2.0.0", '2');
  Controller().Pass();  // the plan
  auto events = events_.Take();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<PlanEvent>(events[0]));
  const PlanEvent created = std::get<PlanEvent>(events[0]);  // a copy: events is reused
  EXPECT_EQ(created.id, OnlyPlan().id);
  EXPECT_EQ(created.state, RunState::kRunning);
  EXPECT_EQ(created.reason, "new versions: a 1.0.0 → 2.0.0");

  Controller().Pass();  // its step requested
  events = events_.Take();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<StepEvent>(events[0]));
  const StepEvent& step = std::get<StepEvent>(events[0]);
  EXPECT_EQ(step.plan, created.id);
  EXPECT_EQ(step.index, 0);
  EXPECT_EQ(step.service, "a");
  EXPECT_EQ(step.from, "1.0.0");
  EXPECT_EQ(step.to, "2.0.0");
  EXPECT_EQ(step.state, RunState::kRunning);
  EXPECT_EQ(step.error, "");

  clock_.Advance(Duration{2.0});
  Controller().Pass();  // still rolling: nothing changed
  EXPECT_TRUE(events_.Take().empty());
  CompleteRollout("a");
  Controller().Pass();
  EXPECT_EQ(events_.TakeLines(), (std::vector<std::string>{"step 1.0 a done", "plan 1 done"}));
}

TEST_F(UpgradeControllerTest, ApprovalAndAbortArePublished) {
  RunService("a", "1.0.0", '1', {{"maiev.update", "approve"}});
  Push("a", "1.0.0", '1');
  Push("a", "1.1.0", '2');
  Controller().Pass();
  const store::UpgradePlan plan = OnlyPlan();
  ASSERT_TRUE(Controller().Approve(plan.id).ok());
  EXPECT_FALSE(Controller().Approve(plan.id).ok());  // refused: nothing published
  Controller().Pass();
  ASSERT_TRUE(Controller().Abort(plan.id).ok());
  EXPECT_EQ(events_.TakeLines(),
            (std::vector<std::string>{
                "plan 1 pending", "plan 1 running", "step 1.0 a running",
                "step 1.0 a aborted: aborted by an operator while its rolling update ran",
                "plan 1 aborted"}));
}

}  // namespace
}  // namespace maiev::control
