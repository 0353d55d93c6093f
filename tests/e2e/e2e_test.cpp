// End-to-end tests: the real `maiev serve` binary against the local stack (scripts/stack.sh):
// dockerd in swarm mode, RabbitMQ and the test worker image. Each test deploys its own
// host-network worker services (labelled maiev.test=1) on queues of its own, runs maiev as a child
// process with a store in a temp dir, drives load with maiev-loadgen, and removes everything it
// created at the end. Conditions are polled with deadlines; a fixed window is used only to assert
// that something does NOT happen.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/time_format.hpp"
#include "e2e/e2e_support.hpp"
#include "e2e/maiev_process.hpp"
#include "support/stack_test_support.hpp"

namespace {

using namespace maiev::stack_testing;
using namespace maiev::e2e_testing;
using json = nlohmann::json;

// An image with neither a scale-config label nor a working scale_info (built by the test).
constexpr const char* kPlainImage = "maiev-e2e-plain:1";

// Builds kPlainImage: the worker binary alone, so the image declares no scale config at all.
bool BuildPlainImage(std::string& error) {
  TempDir context;
  std::filesystem::copy_file(MAIEV_WORKER, context.path() + "/maiev-worker");
  std::ofstream(context.path() + "/Dockerfile")
      << "FROM scratch\nCOPY maiev-worker /maiev-worker\n"
         "ENV WORKER_SCALE_CONFIG_FILE=/nonexistent\nUSER 65534:65534\n"
         "ENTRYPOINT [\"/maiev-worker\"]\n";
  const CommandResult built = Shell("DOCKER_BUILDKIT=0 " + Docker() + "build -q -t " + kPlainImage +
                                    " " + Quote(context.path()));
  error = built.output;
  return built.exit_code == 0;
}

// ---------------------------------------------------------------------------------------------
// The scenarios

TEST(Autoscaling, BurstScalesUpToAtLeastThreeWithinMaxThenBackToMin) {
  constexpr int kMin = 1;
  constexpr int kMax = 4;
  constexpr int kBurst = 800;
  TempDir dir;
  const std::string name = Unique("e2e-burst");
  ScopedService service(
      WithWork(WithConfig(Worker(name, kMin), BacklogConfig(name, kMin, kMax)), 50));
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kServiceStartDeadline, [&] { return HasConsumers(name, 1); }));

  MaievServer maiev(dir.path());
  ASSERT_TRUE(maiev.Start());
  ASSERT_TRUE(Eventually(kDiscoveryDeadline, [&] { return StateOf(maiev, name) == "monitored"; }))
      << maiev.Log();

  ReplicaSampler sampler(name);
  ASSERT_EQ(Publish(name, kBurst).exit_code, 0);
  const auto published = SteadyClock::now();
  EXPECT_TRUE(Eventually(seconds{30}, [&] { return sampler.Latest() >= 3; }))
      << "replicas " << sampler.Latest() << " 30 s after the burst\n"
      << maiev.Log();
  const double to_three = SecondsSince(published);

  const bool back_to_min = Eventually(seconds{150}, [&] {
    const json q = QueueInfo(name);
    return q.is_object() && q.value("messages_ready", -1) == 0 && sampler.Latest() == kMin;
  });
  EXPECT_TRUE(back_to_min) << "replicas " << sampler.Latest() << "\n" << maiev.Log();
  std::printf(
      "burst of %d: >= 3 replicas after %.1f s, peak %d, back to %d after %.1f s (%d samples)\n",
      kBurst, to_three, sampler.Max(), kMin, SecondsSince(published), sampler.Samples());

  EXPECT_GE(sampler.Max(), 3);
  EXPECT_LE(sampler.Max(), kMax) << "Docker's desired replicas went above max";
  const json decisions = maiev.Decisions(name);
  EXPECT_FALSE(decisions.empty());
  for (const auto& d : decisions) {
    EXPECT_LE(d.value("new_replicas", 0), kMax) << d.dump();
    EXPECT_GE(d.value("new_replicas", 0), kMin) << d.dump();
  }
}

TEST(Autoscaling, LeavesUnconfiguredInvalidAndGlobalServicesAlone) {
  TempDir dir;
  std::string build_error;
  ASSERT_TRUE(BuildPlainImage(build_error)) << build_error;

  const std::string plain = Unique("e2e-plain");
  const std::string invalid = Unique("e2e-invalid");
  const std::string global = Unique("e2e-global");
  const std::string control = Unique("e2e-control");
  // min 3 while running 1: a config applied even in part would bring it to 3 at once.
  const std::string invalid_config =
      ScaleConfig(invalid, 3, 4, {{"busy", "rmq:waiting > 0 and rules:nope"}}, "rules:busy", "")
          .dump();
  // Would scale on every cycle if it were replicated: below min, and scale_up always true.
  const json always_up = ScaleConfig(global, 2, 5, {{"up", "rmq:exists"}}, "rules:up", "");
  ServiceSpec plain_spec = Worker(plain, 2);
  plain_spec.image = kPlainImage;
  ServiceSpec invalid_spec = Worker(invalid, 1);
  invalid_spec.raw_config = invalid_config;
  ServiceSpec global_spec = WithConfig(Worker(global, 1), always_up);
  global_spec.global = true;
  ScopedService plain_service(plain_spec);
  ScopedService invalid_service(invalid_spec);
  ScopedService global_service(global_spec);
  // The control proves maiev's cycles ran: the same config on a replicated service.
  ScopedService control_service(WithConfig(
      Worker(control, 1), ScaleConfig(control, 2, 4, {{"up", "rmq:exists"}}, "rules:up", "")));
  for (const ScopedService* s :
       {&plain_service, &invalid_service, &global_service, &control_service}) {
    ASSERT_TRUE(s->ok()) << s->name() << ": " << s->error();
  }

  MaievServer maiev(dir.path());
  ASSERT_TRUE(maiev.Start());
  ASSERT_TRUE(Eventually(kDiscoveryDeadline, [&] {
    return StateOf(maiev, plain) == "unconfigured" && StateOf(maiev, invalid) == "invalid" &&
           StateOf(maiev, global) == "monitored" && StateOf(maiev, control) == "monitored";
  })) << maiev.Log();
  // The control goes 1 → 2 (min) → 3 → 4 (max) over several cycles with metrics.
  ASSERT_TRUE(Eventually(seconds{60}, [&] { return DesiredReplicas(control) == 4; }))
      << LastReason(maiev, control) << "\n"
      << maiev.Log();
  ASSERT_TRUE(Eventually(seconds{10}, [&] { return MetricsPresent(maiev, global); }));

  EXPECT_EQ(DesiredReplicas(plain), 2);
  EXPECT_EQ(DesiredReplicas(invalid), 1);
  EXPECT_TRUE(IsGlobal(global));
  EXPECT_TRUE(maiev.Decisions(plain).empty()) << maiev.Decisions(plain).dump();
  EXPECT_TRUE(maiev.Decisions(invalid).empty()) << maiev.Decisions(invalid).dump();
  EXPECT_TRUE(maiev.Decisions(global).empty()) << maiev.Decisions(global).dump();
  EXPECT_GE(maiev.Decisions(control).size(), 3u);

  auto invalid_status = maiev.Service(invalid);
  ASSERT_TRUE(invalid_status);
  ASSERT_FALSE((*invalid_status)["config_errors"].empty()) << invalid_status->dump();
  const std::string error = (*invalid_status)["config_errors"][0];
  EXPECT_NE(error.find("scale.rules[0].expression"), std::string::npos) << error;
  EXPECT_NE(error.find("nope"), std::string::npos) << error;
  EXPECT_EQ(invalid_status->value("config_origin", ""), "service_label");

  auto global_status = maiev.Service(global);
  ASSERT_TRUE(global_status);
  EXPECT_EQ(global_status->value("mode", ""), "global");
  EXPECT_NE(global_status->value("last_reason", "").find("global"), std::string::npos)
      << global_status->dump();
}

TEST(Resilience, HoldsReplicasWhileRabbitMqIsDownAndResumesAfter) {
  constexpr int kMax = 3;
  TempDir dir;
  const std::string name = Unique("e2e-rmq-outage");
  // scale_down is true whenever `backlog` is false — also when metrics are missing (null
  // comparisons are false), so only maiev's hold keeps the replicas during the outage.
  const json config = ScaleConfig(name, 1, kMax, {{"backlog", "rmq:waiting > 0"}}, "rules:backlog",
                                  "not rules:backlog");
  ScopedService service(WithWork(WithConfig(Worker(name, 1), config), 500));
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kServiceStartDeadline, [&] { return HasConsumers(name, 1); }));

  MaievServer maiev(dir.path());
  ASSERT_TRUE(maiev.Start());
  ASSERT_TRUE(Eventually(kDiscoveryDeadline, [&] { return StateOf(maiev, name) == "monitored"; }));
  ASSERT_EQ(Publish(name, 1000).exit_code, 0);
  ASSERT_TRUE(Eventually(seconds{30}, [&] { return DesiredReplicas(name) == kMax; }))
      << maiev.Log();

  ReplicaSampler sampler(name);
  ASSERT_TRUE(Eventually(seconds{5}, [&] { return sampler.Latest() == kMax; }));
  sampler.ResetMin();
  const std::int64_t before_outage = LastDecisionId(maiev, name);

  const CommandResult stopped = Shell(StackScript() + "stop-rabbitmq");
  // Whatever happens below, the broker is started again before the test ends.
  struct Restart {
    ~Restart() { Shell(StackScript() + "start-rabbitmq"); }
  } restart_on_exit;
  ASSERT_EQ(stopped.exit_code, 0) << stopped.output;

  EXPECT_TRUE(Eventually(seconds{20}, [&] {
    return LastReason(maiev, name).find("metrics missing") != std::string::npos;
  })) << LastReason(maiev, name);
  // Several cycles with missing metrics: each would scale down if maiev did not hold.
  const auto outage = SteadyClock::now();
  EXPECT_TRUE(Eventually(seconds{10}, [&] { return SecondsSince(outage) > 5 && maiev.Healthy(); }));
  EXPECT_TRUE(maiev.Healthy());
  EXPECT_EQ(sampler.Min(), kMax) << "replicas dropped while RabbitMQ was down";
  EXPECT_EQ(LastDecisionId(maiev, name), before_outage) << maiev.Decisions(name).dump();

  const CommandResult started = Shell(StackScript() + "start-rabbitmq");
  ASSERT_EQ(started.exit_code, 0) << started.output;
  // The broker lost the transient queue; the workers declare it again, empty: metrics come
  // back, and scale_down (no backlog) brings the service down again.
  EXPECT_TRUE(Eventually(seconds{60}, [&] { return MetricsPresent(maiev, name); })) << maiev.Log();
  EXPECT_TRUE(Eventually(seconds{60}, [&] { return LastDecisionId(maiev, name) > before_outage; }))
      << LastReason(maiev, name);
  EXPECT_TRUE(maiev.Running());
  for (const auto& d : maiev.Decisions(name)) {
    if (d.value("new_replicas", 0) < d.value("old_replicas", 0)) {
      EXPECT_TRUE(d["metrics"].is_object() && d["metrics"].value("rmq", json()).is_object())
          << "scaled down without metrics: " << d.dump();
    }
  }
}

TEST(Resilience, ReconnectsAfterDockerRestartAndResumesScaling) {
  constexpr int kMax = 3;
  TempDir dir;
  const std::string name = Unique("e2e-docker-restart");
  const std::string late = Unique("e2e-docker-late");
  ScopedService service(WithWork(WithConfig(Worker(name, 1), BacklogConfig(name, 1, kMax)), 50));
  ASSERT_TRUE(service.ok()) << service.error();

  MaievServer maiev(dir.path());
  ASSERT_TRUE(maiev.Start());
  ASSERT_TRUE(Eventually(kDiscoveryDeadline, [&] { return StateOf(maiev, name) == "monitored"; }));

  const CommandResult restarted = Shell(StackScript() + "restart-docker");
  ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  EXPECT_TRUE(maiev.Running());
  EXPECT_TRUE(maiev.Healthy());
  ASSERT_TRUE(Eventually(kServiceStartDeadline, [&] { return HasConsumers(name, 1); }));

  // The event stream is back: a service created now is discovered.
  ScopedService late_service(WithConfig(Worker(late, 1), BacklogConfig(late, 1, 2)));
  ASSERT_TRUE(late_service.ok()) << late_service.error();
  EXPECT_TRUE(Eventually(kDiscoveryDeadline, [&] { return StateOf(maiev, late) == "monitored"; }))
      << maiev.Log();

  // API calls work again: a burst scales the first service up.
  ASSERT_EQ(Publish(name, 600).exit_code, 0);
  EXPECT_TRUE(Eventually(seconds{30}, [&] { return DesiredReplicas(name) == kMax; }))
      << LastReason(maiev, name) << "\n"
      << maiev.Log();
}

TEST(Restart, RuleSinceContinuesFromTheStoreAfterMaievRestarts) {
  TempDir dir;
  const std::string name = Unique("e2e-restart");
  const json config =
      ScaleConfig(name, 1, 2, {{"empty", "rmq:exists and rmq:waiting == 0"}}, "", "");
  ScopedService service(WithConfig(Worker(name, 1), config));
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kServiceStartDeadline, [&] { return HasConsumers(name, 1); }));

  MaievServer maiev(dir.path());
  ASSERT_TRUE(maiev.Start());
  auto since = [&]() -> std::optional<double> {
    auto s = maiev.Service(name);
    if (!s) return std::nullopt;
    const json rule = (*s)["rules"].value("empty", json());
    if (!rule.is_object() || !rule.value("value", false)) return std::nullopt;
    return rule.value("since_seconds", 0.0);
  };
  ASSERT_TRUE(Eventually(seconds{30}, [&] { return since().value_or(0) >= 3; })) << maiev.Log();
  const double before = since().value_or(0);

  EXPECT_EQ(maiev.Stop(), 0) << "maiev did not exit cleanly on SIGTERM";
  ASSERT_TRUE(maiev.Start());
  // Read once the restarted daemon has fresh metrics, so the rule was evaluated again.
  ASSERT_TRUE(Eventually(seconds{30}, [&] { return MetricsPresent(maiev, name) && since(); }))
      << maiev.Service(name).value_or(json()).dump() << "\n"
      << maiev.Log();
  const double after = since().value_or(0);
  EXPECT_GE(after, before) << "the rule's since restarted from zero";
}

// Two maievs on one swarm (replicas 2 by mistake, or old and new during maiev's own update): one
// leads and acts, the other stands by and refuses changes; the leader killed, the standby takes
// over within the lease duration and acts, and no decision is ever made by both.
TEST(Failover, TheStandbyTakesOverWithinTheLeaseAndNeverActsWhileTheLeaderLives) {
  constexpr int kMin = 1;
  constexpr int kMax = 4;
  constexpr double kTakeoverBound = 15 + 2 + 1;  // lease duration + renew interval + a cycle
  const std::string name = Unique("e2e-failover");
  ScopedService service(
      WithWork(WithConfig(Worker(name, kMin), BacklogConfig(name, kMin, kMax)), 200));
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kServiceStartDeadline, [&] { return HasConsumers(name, 1); }));

  const std::string lease = Unique("maiev-e2e-failover");
  const std::string token = "e2e-token";
  TempDir dir_a;
  TempDir dir_b;
  const std::string id_a = Unique("e2e-a");
  const std::string id_b = Unique("e2e-b");
  MaievServer a(dir_a.path(), {"--lease-name", lease, "--instance-id", id_a, "--api-token", token});
  MaievServer b(dir_b.path(), {"--lease-name", lease, "--instance-id", id_b, "--api-token", token});
  auto leader_of = [](MaievServer& m) { return m.Get("/api/v1/leader").value_or(json()); };
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(Eventually(seconds{10}, [&] { return leader_of(a).value("leading", false); }))
      << leader_of(a).dump() << "\n"
      << a.Log();
  ASSERT_TRUE(b.Start());
  ASSERT_TRUE(Eventually(seconds{10}, [&] { return leader_of(b).value("leader", "") == id_a; }))
      << leader_of(b).dump();
  EXPECT_FALSE(leader_of(b).value("leading", true));
  EXPECT_EQ(leader_of(b).value("self", ""), id_b);
  const auto refused = b.Post("/api/v1/services/" + name + "/scale", R"({"replicas": 2})", token);
  EXPECT_EQ(refused.first, 503) << refused.second.dump();
  EXPECT_EQ(refused.second.value("error", ""), "not_leader");

  // The leader scales a burst up; the standby sees the same metrics and does nothing.
  ReplicaSampler sampler(name);
  ASSERT_TRUE(Eventually(kDiscoveryDeadline, [&] { return MetricsPresent(b, name); }));
  ASSERT_EQ(Publish(name, 300).exit_code, 0);
  ASSERT_TRUE(Eventually(seconds{30}, [&] { return sampler.Latest() >= 2; })) << a.Log();
  EXPECT_FALSE(a.Decisions(name).empty());
  EXPECT_TRUE(b.Decisions(name).empty()) << "the standby acted: " << b.Decisions(name).dump();

  // The leader dies without a word (SIGKILL): it releases nothing.
  a.Kill();
  const auto killed = SteadyClock::now();
  const auto killed_wall = std::chrono::system_clock::now();
  ASSERT_TRUE(Eventually(seconds{40}, [&] { return leader_of(b).value("leading", false); }))
      << leader_of(b).dump() << "\n"
      << b.Log();
  const double takeover = SecondsSince(killed);
  EXPECT_LE(takeover, kTakeoverBound) << b.Log();
  EXPECT_EQ(leader_of(b).value("transitions", 0), 1);
  // The new leader acts: the burst drains, and it scales back to min.
  ASSERT_TRUE(Eventually(seconds{120}, [&] { return sampler.Latest() == kMin; }))
      << "replicas " << sampler.Latest() << "\n"
      << b.Log();
  const json decisions_b = b.Decisions(name);
  ASSERT_FALSE(decisions_b.empty()) << b.Log();
  for (const auto& d : decisions_b) {
    auto at = maiev::ParseRfc3339(d.value("time", ""));
    ASSERT_TRUE(at) << d.dump();
    EXPECT_GT(*at, killed_wall) << "the standby decided while the leader lived: " << d.dump();
  }
  EXPECT_LE(sampler.Max(), kMax);
  EXPECT_GE(sampler.Min(), kMin);

  // A clean stop hands over at once: the old leader, back, takes the released lease.
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(Eventually(seconds{10}, [&] { return leader_of(a).value("leader", "") == id_b; }));
  EXPECT_EQ(b.Stop(), 0);
  const auto stopped = SteadyClock::now();
  ASSERT_TRUE(Eventually(seconds{10}, [&] { return leader_of(a).value("leading", false); }))
      << a.Log();
  const double handover = SecondsSince(stopped);
  EXPECT_LE(handover, 2 + 1) << "a released lease is taken at the next renewal";
  std::printf(
      "failover: takeover %.1f s after SIGKILL (bound %.0f s), handover %.1f s after "
      "SIGTERM; replicas within %d..%d\n",
      takeover, kTakeoverBound, handover, sampler.Min(), sampler.Max());
}

}  // namespace
