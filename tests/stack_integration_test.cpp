// Smoke test of the local stack (scripts/stack.sh) and the test workload: the Engine answers, a
// host-network swarm service of the worker image converges and drains a burst published by
// maiev-loadgen. Drives the components through their own CLIs and HTTP APIs, on loopback only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/stack_test_support.hpp"

namespace {

using namespace maiev::stack_testing;
using std::chrono::seconds;

constexpr seconds kConvergeDeadline{60};
constexpr seconds kDrainDeadline{60};
constexpr int kBurst = 300;

// A swarm service removed when the test ends, whatever its outcome.
class ScopedService {
 public:
  explicit ScopedService(std::string name) : name_(std::move(name)) {}
  ~ScopedService() { Shell(Docker() + "service rm " + name_); }
  ScopedService(const ScopedService&) = delete;
  ScopedService& operator=(const ScopedService&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

TEST(Stack, DockerEngineAnswersPing) {
  const CommandResult ping = Shell("curl -fsS --max-time 5 --unix-socket " + StackDir() +
                                   "/docker.sock http://docker/_ping");
  EXPECT_EQ(ping.exit_code, 0) << ping.output;
  EXPECT_EQ(ping.output, "OK");
}

TEST(Stack, DockerIsASwarmManagerWithoutRoutingMesh) {
  const CommandResult state = Shell(Docker() + "info --format '{{.Swarm.LocalNodeState}}'");
  EXPECT_EQ(state.output, "active\n");
  EXPECT_NE(Shell(Docker() + "network inspect ingress").exit_code, 0) << "ingress still exists";
}

TEST(Stack, NoStackProcessListensOnANonLoopbackAddress) {
  const CommandResult listeners = Shell(
      "ss -H -ltunp | grep -E '\"(dockerd|containerd|beam.smp|epmd|docker-registry)\"' | "
      "awk '{print $5}'");
  ASSERT_EQ(listeners.exit_code, 0) << listeners.output;
  ASSERT_FALSE(listeners.output.empty()) << "no stack process found listening";
  std::size_t start = 0;
  for (std::size_t end; (end = listeners.output.find('\n', start)) != std::string::npos;
       start = end + 1) {
    const std::string address = listeners.output.substr(start, end - start);
    const bool loopback = address.starts_with("127.") || address.starts_with("[::1]:") ||
                          address.starts_with("[::ffff:127.");
    EXPECT_TRUE(loopback) << address;
  }
}

TEST(Stack, RegistryListsTheWorkerTag) {
  const CommandResult tags =
      Shell("curl -fsS --max-time 5 http://127.0.0.1:5000/v2/maiev-worker/tags/list");
  ASSERT_EQ(tags.exit_code, 0) << tags.output;
  const auto json = nlohmann::json::parse(tags.output, nullptr, false);
  ASSERT_TRUE(json.contains("tags")) << tags.output;
  EXPECT_NE(std::find(json["tags"].begin(), json["tags"].end(), "worker-1.0.0"),
            json["tags"].end());
}

TEST(Stack, WorkerImageLabelAndScaleInfoCarryTheSameScaleConfig) {
  const CommandResult label =
      Shell(Docker() + "image inspect --format " +
            "'{{index .Config.Labels \"maiev.scale_config\"}}' " + kWorkerImage);
  ASSERT_EQ(label.exit_code, 0) << label.output;
  const auto from_label = nlohmann::json::parse(label.output, nullptr, false);
  ASSERT_FALSE(from_label.is_discarded()) << label.output;
  EXPECT_EQ(from_label["min"], 1);
  EXPECT_EQ(from_label["max"], 6);
  EXPECT_EQ(from_label["scale"]["resources"][0]["identifier"], "maiev-demo");

  const CommandResult info =
      Shell(Docker() + "run --rm --network none " + kWorkerImage + " scale_info");
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_EQ(nlohmann::json::parse(info.output, nullptr, false), from_label);
}

TEST(Stack, HostNetworkWorkerServiceConvergesAndDrainsABurst) {
  const std::string queue = "maiev-smoke-" + std::to_string(getpid());
  Management("DELETE", "/api/queues/%2F/" + queue);
  ScopedService service(queue);
  const CommandResult created =
      Shell(Docker() + "service create -d --name " + service.name() +
            " --network host --replicas 2 --label maiev.test=1 -e WORKER_QUEUE=" + queue +
            " -e WORKER_WORK_MS=2 " + kWorkerImage);
  ASSERT_EQ(created.exit_code, 0) << created.output;

  EXPECT_TRUE(Eventually(kConvergeDeadline, [&] {
    return Shell(Docker() + "service ls --filter name=" + queue + " --format '{{.Replicas}}'")
               .output == "2/2\n";
  })) << Shell(Docker() + "service ps --no-trunc " + queue).output;
  ASSERT_TRUE(Eventually(kConvergeDeadline,
                         [&] {
                           const auto info = QueueInfo(queue);
                           return info.contains("consumers") && info["consumers"] == 2;
                         }))
      << "workers did not attach to " << queue << ": "
      << Shell(Docker() + "service logs " + queue).output;

  const CommandResult sent = Shell(std::string(MAIEV_LOADGEN) + " --queue " + queue + " --burst " +
                                   std::to_string(kBurst));
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  EXPECT_EQ(sent.output, "sent " + std::to_string(kBurst) + "\n");

  // Drained: every message acknowledged (cumulative, so stale statistics cannot pass) and
  // nothing waiting.
  nlohmann::json info;
  EXPECT_TRUE(Eventually(kDrainDeadline, [&] {
    info = QueueInfo(queue);
    return info.value("messages_ready", -1) == 0 && info.contains("message_stats") &&
           info["message_stats"].value("ack", 0) >= kBurst;
  })) << info.dump();
  Management("DELETE", "/api/queues/%2F/" + queue);
}

}  // namespace
