// maiev as a one-replica swarm service on the three-manager swarm of `scripts/stack.sh
// start-nodes 3` (docs/STACK.md, "Several swarm nodes"). While a plan's first step (a rolling
// update that takes a while) is in flight and an autoscaled worker drains a backlog, the node
// running maiev is killed. Swarm reschedules maiev on another manager, whose disk has no store;
// that maiev takes the lease, finds the step in flight on the swarm and completes the plan, and
// the worker's replicas stay within their bounds throughout. Each phase's time since the kill is
// printed ("[failover] …") for docs/RELIABILITY.md.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "e2e/e2e_support.hpp"
#include "e2e/maiev_process.hpp"
#include "support/stack_test_support.hpp"

namespace {

using namespace maiev::stack_testing;
using namespace maiev::e2e_testing;
using json = nlohmann::json;
using std::chrono::seconds;

constexpr int kNodes = 3;
constexpr int kApiPort = 18480;  // inside each node's own network namespace
// The lease of maiev's flags below: a standby takes over at most this long after the last renewal.
constexpr int kLeaseSeconds = 8;
constexpr seconds kNodeDeadline{120};
constexpr seconds kPlanDeadline{180};

// The docker CLI of node `node`, bounded: a manager without a Raft leader (just after the leader's
// node was lost) may keep a request waiting, and the polls must go on.
std::string NodeDocker(int node) {
  return "timeout 10 docker -H unix://" + StackDir() + "/nodes/n" + std::to_string(node) +
         "/docker.sock ";
}

// `command` run inside node `node`'s network namespace, where maiev's API listens.
std::string InNode(int node, const std::string& command) {
  return "nsenter --net=/run/netns/maiev-n" + std::to_string(node) + " " + command;
}

// GET `path` of the maiev API inside node `node`; nullopt unless it answers 200 with JSON.
std::optional<json> NodeApi(int node, const std::string& path) {
  const CommandResult r = Shell(
      InNode(node, "curl -fsS --max-time 2 http://127.0.0.1:" + std::to_string(kApiPort) + path));
  if (r.exit_code != 0) return std::nullopt;
  json body = json::parse(r.output, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

// The node (1..kNodes) where `service`'s one running task runs, asked of node `ask`; 0 for none.
int RunningOn(int ask, const std::string& service) {
  const CommandResult r =
      Shell(NodeDocker(ask) + "service ps " + service +
            " --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'");
  if (r.exit_code != 0) return 0;
  const std::string prefix = "maiev-n";
  std::size_t at = 0;
  while ((at = r.output.find(prefix, at)) != std::string::npos) {
    const std::size_t end = r.output.find('\n', at);
    const std::string line = r.output.substr(at, end - at);
    if (line.find(" Running ") != std::string::npos) return std::atoi(line.c_str() + prefix.size());
    at += prefix.size();
  }
  return 0;
}

std::string NodeInspect(int node, const std::string& service, const std::string& format) {
  const CommandResult r =
      Shell(NodeDocker(node) + "service inspect --format " + Quote(format) + " " + service);
  return r.exit_code == 0 ? r.output.substr(0, r.output.find('\n')) : "";
}

// `service` runs `repository:tag` pinned by the registry's digest and its update has completed.
bool NodeRuns(int node, const std::string& service, const std::string& repository,
              const std::string& tag) {
  const std::string digest = RegistryDigest(repository, tag);
  const std::string state =
      NodeInspect(node, service, "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}");
  return !digest.empty() &&
         NodeInspect(node, service, "{{.Spec.TaskTemplate.ContainerSpec.Image}}") ==
             std::string(kRegistry) + "/" + repository + ":" + tag + "@" + digest &&
         (state.empty() || state == "completed");
}

// What maiev's container on `node` logged, for failure messages.
std::string MaievLog(int node, const std::string& service) {
  return Shell(NodeDocker(node) + "ps -aq --filter label=com.docker.swarm.service.name=" + service +
               " | head -1 | xargs -r " + NodeDocker(node) + "logs 2>&1 | tail -60")
      .output;
}

class NodesFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    const CommandResult nodes = Shell(StackScript() + "start-nodes " + std::to_string(kNodes));
    ASSERT_EQ(nodes.exit_code, 0) << nodes.output;
  }
  void TearDown() override {
    // Everything on the nodes' swarm goes with it; the queues live in the stack's RabbitMQ.
    Shell(StackScript() + "stop-nodes");
    for (const std::string& queue : queues_) Management("DELETE", "/api/queues/%2F/" + queue);
  }

  std::vector<std::string> queues_;
};

TEST_F(NodesFailover, MaievOnAKilledNodeIsRescheduledTakesTheLeaseAndCompletesThePlan) {
  const CommandResult image = Shell("MAIEV_WORKER_BIN=" MAIEV_WORKER " bash " MAIEV_SOURCE_DIR
                                    "/scripts/build-images.sh --maiev " MAIEV_EXE " 2>&1");
  ASSERT_EQ(image.exit_code, 0) << image.output;
  std::atomic<int> live{1};  // a node whose CLI answers
  const std::string maiev = "maiev-failover";
  const CommandResult created =
      Shell(NodeDocker(1) + "service create -d -q --name " + maiev +
            " --network host --label maiev.update=off --constraint node.role==manager" +
            " --restart-delay 1s --stop-grace-period 2s" +
            " --mount type=volume,src=maiev-store,dst=/var/lib/maiev" +
            " -e DOCKER_HOST=tcp://127.0.0.1:2375 -e RABBITMQ_HOST=127.0.0.1 -e RABBITMQ_VHOST=/" +
            " -e RABBITMQ_USER=guest -e RABBITMQ_PASSWORD=guest" +
            " -e MAIEV_LISTEN=127.0.0.1:" + std::to_string(kApiPort) + " " + kRegistry +
            "/maiev:dev serve --interval 1 --counts-interval 1 --stats-interval 1" +
            " --registry-poll-interval 1 --lease-duration " + std::to_string(kLeaseSeconds) +
            " --lease-renew-deadline 6 --lease-renew-interval 1");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  int victim = 0;
  ASSERT_TRUE(Eventually(kNodeDeadline, [&] { return (victim = RunningOn(1, maiev)) != 0; }))
      << Shell(NodeDocker(1) + "service ps --no-trunc " + maiev).output;
  ASSERT_TRUE(Eventually(kNodeDeadline, [&] {
    auto leader = NodeApi(victim, "/api/v1/leader");
    return leader && leader->value("leading", false);
  })) << MaievLog(victim, maiev);
  live = victim % kNodes + 1;

  // The workload stays off maiev's node: what is lost is maiev, not the services it drives.
  const std::string elsewhere = " --constraint node.hostname!=maiev-n" + std::to_string(victim);
  const auto deploy = [&](const std::string& name, const std::string& image_ref,
                          const std::string& flags) {
    queues_.push_back(name);
    return Shell(NodeDocker(live) + "service create -d -q --name " + name + elsewhere + " " +
                 flags + " --network host --stop-grace-period 2s" +
                 " --update-failure-action rollback --update-monitor 2s --rollback-monitor 2s" +
                 " -e WORKER_QUEUE=" + name + " -e RABBITMQ_HOST=127.0.0.1 -e RABBITMQ_PORT=5672 " +
                 image_ref);
  };
  const std::string repo_a = Unique("maiev-failover-a"), repo_b = Unique("maiev-failover-b");
  ASSERT_EQ(PushImage(repo_a, "1.0.0", VersionLabel({{"a:rpc", 1}}, {}, 2)), "");
  ASSERT_EQ(PushImage(repo_b, "1.0.0", VersionLabel(json::object(), {"a:rpc >= 1"})), "");
  // a's rolling update takes a while: two tasks, one at a time, 20 s apart.
  ASSERT_EQ(deploy("failover-a", std::string(kRegistry) + "/" + repo_a + ":1.0.0",
                   "--replicas 2 --update-parallelism 1 --update-delay 20s")
                .exit_code,
            0);
  ASSERT_EQ(deploy("failover-b", std::string(kRegistry) + "/" + repo_b + ":1.0.0", "--replicas 1")
                .exit_code,
            0);
  const std::string worker = "failover-worker";
  ASSERT_EQ(deploy(worker, kWorkerImage,
                   "--replicas 1 --label maiev.update=off -e WORKER_WORK_MS=200 --label " +
                       Quote("maiev.scale_config=" + BacklogConfig(worker, 1, 3).dump()))
                .exit_code,
            0);
  ASSERT_TRUE(Eventually(kPlanDeadline, [&] {
    return NodeRuns(live, "failover-a", repo_a, "1.0.0") &&
           NodeRuns(live, "failover-b", repo_b, "1.0.0") && HasConsumers(worker, 1);
  })) << MaievLog(victim, maiev);
  ReplicaSampler replicas(worker, [&] { return NodeDocker(live); });

  // A backlog the worker drains through the failover, then the plan: b 2.0 needs a 2.0.
  ASSERT_EQ(Publish(worker, 600).exit_code, 0);
  ASSERT_TRUE(Eventually(seconds{60}, [&] { return replicas.Latest() >= 2; }))
      << MaievLog(victim, maiev);
  ASSERT_EQ(PushImage(repo_b, "2.0.0", VersionLabel(json::object(), {"a:rpc >= 2"})), "");
  ASSERT_EQ(PushImage(repo_a, "2.0.0", VersionLabel({{"a:rpc", 2}}, {}, 2)), "");
  ASSERT_TRUE(Eventually(kPlanDeadline, [&] {
    return NodeInspect(live, "failover-a", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")
               .find(":2.0.0@") != std::string::npos;
  })) << MaievLog(victim, maiev);
  ASSERT_FALSE(NodeRuns(live, "failover-a", repo_a, "2.0.0")) << "a's update ended before the kill";

  // The node running maiev is lost with its disk.
  const std::string managers =
      Shell(NodeDocker(victim) + "node ls --format " + Quote("{{.Hostname}} {{.ManagerStatus}}"))
          .output;
  const bool with_leader =
      managers.find("maiev-n" + std::to_string(victim) + " Leader") != std::string::npos;
  const auto killed = SteadyClock::now();
  const CommandResult kill = Shell(StackScript() + "kill-node " + std::to_string(victim));
  ASSERT_EQ(kill.exit_code, 0) << kill.output;

  ASSERT_TRUE(Eventually(kNodeDeadline, [&] {
    return Shell(NodeDocker(live) + "node ls --format '{{.Hostname}} {{.Status}}'")
               .output.find("maiev-n" + std::to_string(victim) + " Down") != std::string::npos;
  }));
  const double down = SecondsSince(killed);
  int rescheduled = 0;
  ASSERT_TRUE(Eventually(kNodeDeadline, [&] {
    rescheduled = RunningOn(live, maiev);
    return rescheduled != 0 && rescheduled != victim;
  })) << Shell(NodeDocker(live) + "service ps --no-trunc " + maiev).output;
  const double running = SecondsSince(killed);
  ASSERT_TRUE(Eventually(kNodeDeadline, [&] {
    return NodeApi(rescheduled, "/readyz").has_value();
  })) << MaievLog(rescheduled, maiev);
  const double serving = SecondsSince(killed);
  ASSERT_TRUE(Eventually(kNodeDeadline, [&] {
    auto leader = NodeApi(rescheduled, "/api/v1/leader");
    return leader && leader->value("leading", false);
  })) << MaievLog(rescheduled, maiev);
  const double leading = SecondsSince(killed);
  EXPECT_TRUE(Eventually(kPlanDeadline, [&] {
    return NodeRuns(live, "failover-a", repo_a, "2.0.0") &&
           NodeRuns(live, "failover-b", repo_b, "2.0.0");
  })) << MaievLog(rescheduled, maiev);
  const double plan_done = SecondsSince(killed);
  const std::string log = MaievLog(rescheduled, maiev);
  EXPECT_NE(log.find("was in flight"), std::string::npos) << log;
  // a's update completed before b's began.
  EXPECT_LT(NodeInspect(live, "failover-a", "{{.UpdateStatus.CompletedAt}}"),
            NodeInspect(live, "failover-b", "{{.UpdateStatus.StartedAt}}"));
  // The worker kept its bounds, and no scale-down came of the lost history while messages waited.
  EXPECT_GE(replicas.Samples(), 10);
  EXPECT_LE(replicas.Max(), 3);
  EXPECT_GE(replicas.Min(), 1);
  std::printf(
      "[failover] node %d killed (%s): Down after %.1f s, maiev running on node %d after "
      "%.1f s, serving after %.1f s, leading after %.1f s, plan done after %.1f s; worker "
      "replicas %d..%d in %d samples\n",
      victim, with_leader ? "the Raft leader" : "a follower", down, rescheduled, running, serving,
      leading, plan_done, replicas.Min(), replicas.Max(), replicas.Samples());
}

}  // namespace
