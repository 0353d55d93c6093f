// Component faults (label `faults`): RabbitMQ, dockerd and the registry of the local stack are
// stopped with SIGSTOP for 10 s, then killed with SIGKILL and started again (`scripts/stack.sh
// signal`, `start`), while the real `maiev serve` autoscales a worker from its real queue or
// runs an upgrade plan. Throughout,
// the worker's replicas stay within its bounds, maiev keeps answering, nothing is scaled down on
// missing metrics, every replica count Docker showed was decided and recorded by maiev, and
// after each fault maiev resumes within a stated bound; each resume time is printed
// ("[fault] …") for docs/RELIABILITY.md.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "e2e/e2e_support.hpp"
#include "e2e/maiev_process.hpp"
#include "support/stack_test_support.hpp"

namespace {

using namespace maiev::stack_testing;
using namespace maiev::e2e_testing;
using json = nlohmann::json;
using std::chrono::seconds;

constexpr seconds kStopFor{10};
// What maiev promises after a component is back (docs/RELIABILITY.md): fresh metrics within
// this long after RabbitMQ answers again, a decision applied within this long after dockerd does.
constexpr seconds kMetricsResumeBound{30};
constexpr seconds kScalingResumeBound{30};
// How long a killed component may take to start again (`stack.sh start` waits for it).
constexpr seconds kRestartDeadline{120};

// Sends SIG`signal` to `component` of the stack; CONT is sent on destruction when it was STOP,
// so a failing test never leaves a component stopped.
class Signalled {
 public:
  Signalled(std::string component, const std::string& signal)
      : component_(std::move(component)), stopped_(signal == "STOP") {
    result_ = Shell(StackScript() + "signal " + component_ + " " + signal);
  }
  ~Signalled() { Continue(); }
  Signalled(const Signalled&) = delete;
  Signalled& operator=(const Signalled&) = delete;

  const CommandResult& result() const { return result_; }
  void Continue() {
    if (stopped_) Shell(StackScript() + "signal " + component_ + " CONT");
    stopped_ = false;
  }

 private:
  std::string component_;
  bool stopped_;
  CommandResult result_;
};

// Starts again whatever a KILL ended, also when the test fails half-way.
struct StackRestarted {
  ~StackRestarted() { Shell(StackScript() + "start"); }
};

void Report(const std::string& what, double seconds_taken) {
  std::printf("[fault] %s: %.1f s\n", what.c_str(), seconds_taken);
  std::fflush(stdout);
}

// Every scale-down maiev recorded read the queue's metrics, and every replica count Docker
// showed for the service (but its first) is one maiev decided.
void ExpectOnlyDecidedChangesWithMetrics(MaievServer& maiev, const std::string& name,
                                         const std::set<int>& shown, int initial) {
  std::set<int> decided = {initial};
  for (const auto& d : maiev.Decisions(name)) {
    decided.insert(d.value("new_replicas", -1));
    if (d.value("new_replicas", 0) < d.value("old_replicas", 0)) {
      EXPECT_TRUE(d["metrics"].is_object() && d["metrics"].value("rmq", json()).is_object())
          << "scaled down without metrics: " << d.dump();
    }
  }
  for (int replicas : shown) {
    EXPECT_TRUE(decided.count(replicas) == 1)
        << "Docker showed " << replicas << " replicas that maiev did not record deciding";
  }
}

TEST(ComponentFaults, RabbitMqStoppedAndKilledNoScaleDownOnMissingMetricsAndMetricsResume) {
  constexpr int kMax = 3;
  TempDir dir;
  const std::string name = Unique("faults-rmq");
  // scale_down holds whenever `backlog` is false — also while metrics are missing (null
  // comparisons are false), so only maiev's hold keeps the replicas during a fault.
  const json config = ScaleConfig(name, 1, kMax, {{"backlog", "rmq:waiting > 0"}}, "rules:backlog",
                                  "not rules:backlog");
  ScopedService service(WithWork(WithConfig(Worker(name, 1), config), 500));
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kServiceStartDeadline, [&] { return HasConsumers(name, 1); }));
  ReplicaSampler sampler(name);

  MaievServer maiev(dir.path());
  ASSERT_TRUE(maiev.Start());
  ASSERT_TRUE(Eventually(kDiscoveryDeadline, [&] { return StateOf(maiev, name) == "monitored"; }));
  ASSERT_EQ(Publish(name, 2000).exit_code, 0);
  ASSERT_TRUE(Eventually(seconds{30}, [&] { return DesiredReplicas(name) == kMax; }))
      << maiev.Log();
  ASSERT_TRUE(Eventually(seconds{5}, [&] { return sampler.Latest() == kMax; }));
  sampler.ResetMin();

  StackRestarted restart_on_exit;
  {
    // SIGSTOP: the broker holds its connections but answers nothing.
    const std::int64_t before = LastDecisionId(maiev, name);
    Signalled stop("rabbitmq", "STOP");
    ASSERT_EQ(stop.result().exit_code, 0) << stop.result().output;
    const auto stopped = SteadyClock::now();
    EXPECT_TRUE(Eventually(kStopFor + seconds{5}, [&] {
      return SecondsSince(stopped) >= kStopFor.count() && maiev.Healthy();
    }));
    EXPECT_TRUE(maiev.Healthy()) << "maiev answers while the broker is stopped";
    EXPECT_EQ(sampler.Min(), kMax) << "replicas dropped while RabbitMQ was stopped";
    EXPECT_EQ(LastDecisionId(maiev, name), before) << maiev.Decisions(name).dump();
    stop.Continue();
    const auto resumed = SteadyClock::now();
    // Metrics that are fresh again: read after the CONT (the broker answers what waited first).
    EXPECT_TRUE(Eventually(kMetricsResumeBound,
                           [&] {
                             auto s = maiev.Service(name);
                             return s && MetricsPresent(maiev, name) &&
                                    LastReason(maiev, name).find("metrics missing") ==
                                        std::string::npos;
                           }))
        << LastReason(maiev, name) << "\n"
        << maiev.Log();
    Report("RabbitMQ SIGSTOP 10 s: fresh metrics after SIGCONT", SecondsSince(resumed));
  }
  {
    // SIGKILL, then started again: the queue (not durable) is declared again by the workers.
    sampler.ResetMin();
    const int replicas = sampler.Latest();
    const std::int64_t before = LastDecisionId(maiev, name);
    Signalled kill("rabbitmq", "KILL");
    ASSERT_EQ(kill.result().exit_code, 0) << kill.result().output;
    EXPECT_TRUE(Eventually(seconds{20}, [&] {
      return LastReason(maiev, name).find("metrics missing") != std::string::npos;
    })) << LastReason(maiev, name);
    EXPECT_TRUE(maiev.Healthy());
    EXPECT_EQ(sampler.Min(), replicas) << "replicas dropped while RabbitMQ was dead";
    EXPECT_EQ(LastDecisionId(maiev, name), before) << maiev.Decisions(name).dump();
    const auto restarting = SteadyClock::now();
    const CommandResult started = Shell(StackScript() + "start");
    ASSERT_EQ(started.exit_code, 0) << started.output;
    const double restart_took = SecondsSince(restarting);
    EXPECT_LT(restart_took, kRestartDeadline.count());
    const auto back = SteadyClock::now();
    EXPECT_TRUE(Eventually(kMetricsResumeBound, [&] { return MetricsPresent(maiev, name); }))
        << maiev.Log();
    Report("RabbitMQ SIGKILL: broker started again", restart_took);
    Report("RabbitMQ SIGKILL: fresh metrics after the broker is back", SecondsSince(back));
  }
  EXPECT_TRUE(maiev.Running());
  EXPECT_GE(sampler.Min(), 1);
  EXPECT_LE(sampler.Max(), kMax);
  ExpectOnlyDecidedChangesWithMetrics(maiev, name, sampler.Values(), 1);
}

TEST(ComponentFaults, DockerStoppedAndKilledMaievAnswersThroughoutAndScalesAfter) {
  constexpr int kMax = 3;
  TempDir dir;
  const std::string name = Unique("faults-docker");
  ScopedService service(WithWork(WithConfig(Worker(name, 1), BacklogConfig(name, 1, kMax)), 50));
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kServiceStartDeadline, [&] { return HasConsumers(name, 1); }));
  ReplicaSampler sampler(name);

  MaievServer maiev(dir.path());
  ASSERT_TRUE(maiev.Start());
  ASSERT_TRUE(Eventually(kDiscoveryDeadline, [&] { return StateOf(maiev, name) == "monitored"; }));

  StackRestarted restart_on_exit;
  {
    // SIGSTOP: the Engine accepts connections but answers nothing. A backlog arrives meanwhile.
    Signalled stop("docker", "STOP");
    ASSERT_EQ(stop.result().exit_code, 0) << stop.result().output;
    ASSERT_EQ(Publish(name, 3000).exit_code, 0);
    const auto stopped = SteadyClock::now();
    bool answered = true;
    while (SecondsSince(stopped) < kStopFor.count()) {
      answered = answered && maiev.Healthy();
      std::this_thread::sleep_for(std::chrono::milliseconds{500});
    }
    EXPECT_TRUE(answered) << "maiev stopped answering while dockerd was stopped";
    stop.Continue();
    const auto resumed = SteadyClock::now();
    EXPECT_TRUE(Eventually(kScalingResumeBound, [&] { return DesiredReplicas(name) == kMax; }))
        << LastReason(maiev, name) << "\n"
        << maiev.Log();
    Report("dockerd SIGSTOP 10 s: the backlog's scale-up applied after SIGCONT",
           SecondsSince(resumed));
  }
  // Drained and back at min (empty for 5 s), so that the next backlog needs a new decision.
  ASSERT_TRUE(Eventually(seconds{90}, [&] { return DesiredReplicas(name) == 1; }))
      << LastReason(maiev, name);
  {
    Signalled kill("docker", "KILL");
    ASSERT_EQ(kill.result().exit_code, 0) << kill.result().output;
    EXPECT_TRUE(maiev.Healthy()) << "maiev answers while dockerd is dead";
    const auto restarting = SteadyClock::now();
    const CommandResult started = Shell(StackScript() + "start");
    ASSERT_EQ(started.exit_code, 0) << started.output;
    const double restart_took = SecondsSince(restarting);
    EXPECT_TRUE(maiev.Running());
    ASSERT_TRUE(Eventually(kServiceStartDeadline, [&] { return HasConsumers(name, 1); }));
    const auto back = SteadyClock::now();
    ASSERT_EQ(Publish(name, 3000).exit_code, 0);
    EXPECT_TRUE(Eventually(kScalingResumeBound, [&] { return DesiredReplicas(name) == kMax; }))
        << LastReason(maiev, name) << "\n"
        << maiev.Log();
    Report("dockerd SIGKILL: dockerd started again", restart_took);
    Report("dockerd SIGKILL: a backlog's scale-up applied after dockerd is back",
           SecondsSince(back));
  }
  EXPECT_TRUE(maiev.Running());
  const std::set<int> values = sampler.Values();
  ASSERT_FALSE(values.empty());
  EXPECT_GE(*values.begin(), 1);
  EXPECT_LE(*values.rbegin(), kMax);
  ExpectOnlyDecidedChangesWithMetrics(maiev, name, values, 1);
}

// A plan of two steps under a fault: a provider's rolling update (two tasks, 12 s apart), then
// the service that needs its new capability. SetUp deploys both at 1.0.0, starts maiev, pushes
// 2.0.0 of both and returns once the first step has been requested. Every image is on the one
// node already (pushed from it), so the rolling updates do not need the registry.
class PlanUnderFault : public ::testing::Test {
 protected:
  static constexpr const char* kWebhookToken = "faults-webhook-token";

  void SetUp() override {
    ASSERT_EQ(PushImage(repo_a_, "1.0.0", VersionLabel({{"a:rpc", 1}}, {}, 2)), "");
    ASSERT_EQ(PushImage(repo_b_, "1.0.0", VersionLabel(json::object(), {"a:rpc >= 1"})), "");
    a_.emplace(Unique("faults-plan-a"), repo_a_, "1.0.0",
               "--replicas 2 --update-parallelism 1 --update-delay 12s");
    b_.emplace(Unique("faults-plan-b"), repo_b_, "1.0.0");
    ASSERT_TRUE(a_->ok() && b_->ok()) << a_->error() << b_->error();
    ASSERT_TRUE(Eventually(
        seconds{90}, [&] { return a_->Runs(repo_a_, "1.0.0") && b_->Runs(repo_b_, "1.0.0"); }));
    ASSERT_TRUE(maiev_.Start());
    ASSERT_EQ(PushImage(repo_b_, "2.0.0", VersionLabel(json::object(), {"a:rpc >= 2"})), "");
    ASSERT_EQ(PushImage(repo_a_, "2.0.0", VersionLabel({{"a:rpc", 2}}, {}, 2)), "");
    ASSERT_TRUE(Eventually(seconds{60}, [&] {
      return SpecImage(a_->name()).find(":2.0.0@") != std::string::npos;
    })) << maiev_.Log();
  }

  std::string PlanState() {
    const auto plans = maiev_.Get("/api/v1/plans");
    return plans && (*plans)["plans"].size() == 1 ? (*plans)["plans"][0].value("state", "") : "";
  }

  // Maiev answered every 0.5 s for kStopFor.
  bool AnsweredThroughout() {
    const auto stopped = SteadyClock::now();
    bool answered = true;
    while (SecondsSince(stopped) < kStopFor.count()) {
      answered = answered && maiev_.Healthy();
      std::this_thread::sleep_for(std::chrono::milliseconds{500});
    }
    return answered;
  }

  // Starts what a KILL ended; `what` names it for the printed time it took.
  static void StartAgain(const std::string& what) {
    const auto restarting = SteadyClock::now();
    const CommandResult started = Shell(StackScript() + "start");
    ASSERT_EQ(started.exit_code, 0) << started.output;
    Report(what, SecondsSince(restarting));
  }

  // The plan completes; `what` names the fault for the printed time since `from`.
  void ExpectThePlanCompletesEachStepOnce(const std::string& what, SteadyClock::time_point from) {
    EXPECT_TRUE(Eventually(seconds{120},
                           [&] {
                             return a_->Runs(repo_a_, "2.0.0") && b_->Runs(repo_b_, "2.0.0") &&
                                    PlanState() == "done";
                           }))
        << maiev_.Get("/api/v1/plans").value_or(json()).dump() << "\n"
        << maiev_.Log();
    Report(what, SecondsSince(from));
    // a's rolling update completed before b's began, and no step was issued twice.
    EXPECT_LT(Inspect(a_->name(), "{{.UpdateStatus.CompletedAt}}"),
              Inspect(b_->name(), "{{.UpdateStatus.StartedAt}}"));
    const std::string metrics =
        Shell("curl -fsS http://127.0.0.1:" + std::to_string(maiev_.port()) + "/metrics").output;
    for (const char* line : {R"(maiev_upgrade_steps_total{result="started"} 2)",
                             R"(maiev_upgrade_steps_total{result="done"} 2)",
                             R"(maiev_upgrade_steps_total{result="failed"} 0)"}) {
      EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
    }
    EXPECT_TRUE(maiev_.Running());
  }

  const std::string repo_a_ = Unique("maiev-faults-plan-a");
  const std::string repo_b_ = Unique("maiev-faults-plan-b");
  std::optional<UpgradedService> a_;  // created once their images are pushed
  std::optional<UpgradedService> b_;
  TempDir dir_;
  MaievServer maiev_{dir_.path(),
                     {"--registry-poll-interval", "1", "--webhook-token", kWebhookToken}};
  StackRestarted restart_on_exit_;
};

// The registry stopped (SIGSTOP, 10 s) right after the first step was requested, then killed and
// left dead until the second step has been requested, then started again. A push announced while
// it is stopped asks for a re-check when the first step ends, and the registry is dead then: the
// plan goes on and completes, each step started once and done once, and maiev answers throughout.
TEST_F(PlanUnderFault, RegistryStoppedAndKilledEachStepIsIssuedOnceAndThePlanCompletes) {
  {
    Signalled stop("registry", "STOP");
    ASSERT_EQ(stop.result().exit_code, 0) << stop.result().output;
    // The registry's notification of b's push (again): a hint, so a re-check at the step's end.
    EXPECT_EQ(maiev_
                  .Post("/api/v1/webhooks/registry",
                        PushNotification(repo_b_, "2.0.0", RegistryDigest(repo_b_, "2.0.0")),
                        kWebhookToken)
                  .first,
              202);
    EXPECT_TRUE(AnsweredThroughout()) << "maiev stopped answering while the registry was stopped";
  }
  Signalled kill("registry", "KILL");
  ASSERT_EQ(kill.result().exit_code, 0) << kill.result().output;
  EXPECT_TRUE(Eventually(seconds{90}, [&] {
    return SpecImage(b_->name()).find(":2.0.0@") != std::string::npos;
  })) << maiev_.Log();
  EXPECT_TRUE(maiev_.Healthy()) << "maiev answers while the registry is dead";
  ASSERT_NO_FATAL_FAILURE(StartAgain("registry SIGKILL mid-plan: registry started again"));
  ExpectThePlanCompletesEachStepOnce(
      "registry STOP 10 s then SIGKILL mid-plan: plan done after the registry is back",
      SteadyClock::now());
  // The fault was seen: the re-check at a's end could not read the registry.
  EXPECT_NE(maiev_.Log().find("the re-check could not read everything; the plan goes on"),
            std::string::npos)
      << maiev_.Log();
}

// During the first step: RabbitMQ killed (a plan needs no broker), dockerd stopped (SIGSTOP,
// 10 s), then dockerd killed and, with the broker, started again. maiev cannot read the service
// it follows, keeps answering, and follows the step again once the Engine answers — after the
// SIGKILL a new Engine, whose swarm carries on the rolling update it had begun; the plan
// completes, each step started once and done once.
TEST_F(PlanUnderFault,
       RabbitMqKilledDockerStoppedThenKilledEachStepIsFollowedOnceAndThePlanCompletes) {
  Signalled kill_broker("rabbitmq", "KILL");
  ASSERT_EQ(kill_broker.result().exit_code, 0) << kill_broker.result().output;
  {
    Signalled stop("docker", "STOP");
    ASSERT_EQ(stop.result().exit_code, 0) << stop.result().output;
    EXPECT_TRUE(AnsweredThroughout()) << "maiev stopped answering while dockerd was stopped";
  }
  EXPECT_NE(PlanState(), "done") << "the first step ended before dockerd could be killed in it";
  Signalled kill_docker("docker", "KILL");
  ASSERT_EQ(kill_docker.result().exit_code, 0) << kill_docker.result().output;
  EXPECT_TRUE(maiev_.Healthy()) << "maiev answers while dockerd and RabbitMQ are dead";
  ASSERT_NO_FATAL_FAILURE(StartAgain("dockerd and RabbitMQ SIGKILL mid-plan: both started again"));
  ExpectThePlanCompletesEachStepOnce(
      "dockerd STOP 10 s then SIGKILL, RabbitMQ SIGKILL, mid-plan: plan done after both are back",
      SteadyClock::now());
}

}  // namespace
