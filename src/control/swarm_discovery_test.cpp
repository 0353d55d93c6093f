#include "control/swarm_discovery.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/captured_log.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::control {
namespace {

using orchestrator::testing::CapturedLog;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const Error kNoSocket{"io",
                      "Docker Engine at unix:///var/run/docker.sock: No such file or directory "
                      "(GET /version)"};

class SwarmDiscoveryTest : public ::testing::Test {
 protected:
  SwarmDiscoveryTest() : store_(std::move(store::SqliteStore::Open(":memory:").value())) {
    orchestrator::ServiceInfo worker;
    worker.id = "w1";
    worker.name = "worker";
    docker_.PutService(worker);
  }

  // Docker fails the next `n` listings; each wait advances the clock and is recorded.
  WaitFunction FailingFor(int n) {
    docker_.FailNextCall(kNoSocket);
    remaining_failures_ = n - 1;
    return [this](Duration d) {
      waits_.push_back(d.count());
      clock_.Advance(d);
      if (remaining_failures_-- > 0) docker_.FailNextCall(kNoSocket);
      return true;
    };
  }

  orchestrator::FakeOrchestrator docker_;
  monitor::FakeQueueMetricsSource queues_;
  std::unique_ptr<store::SqliteStore> store_;
  ManualClock clock_;
  Autoscaler autoscaler_{docker_, queues_, *store_, clock_};
  std::vector<double> waits_;
  int remaining_failures_ = 0;
};

TEST_F(SwarmDiscoveryTest, BacksOffUpToItsCapAndWarnsOncePlusAReminderEveryFiveMinutes) {
  CapturedLog log;
  // 8 + 40 × 30 s ≈ 21 min of outage.
  ASSERT_TRUE(DiscoverServices(autoscaler_, clock_, kDiscoveryBackoff, FailingFor(46)));

  ASSERT_EQ(waits_.size(), 46u);
  EXPECT_THAT(std::vector<double>(waits_.begin(), waits_.begin() + 7),
              ElementsAre(1, 2, 4, 8, 16, 30, 30));
  EXPECT_EQ(waits_.back(), 30);
  const auto lines = log.Lines("Docker");
  ASSERT_EQ(lines.size(), 6u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "warning: Docker unreachable: " + kNoSocket.message +
                          "; retrying, next attempt in 1s, with a reminder every 5m00s");
  for (int i = 1; i <= 4; ++i) {
    EXPECT_THAT(lines[i],
                StartsWith("warning: Docker still unreachable since 2023-11-14T22:13:20Z ("));
    EXPECT_THAT(lines[i], HasSubstr(kNoSocket.message));
  }
  EXPECT_EQ(lines[5], "info: Docker reachable again after 21m01s (46 failed attempts)");
  EXPECT_EQ(autoscaler_.Snapshot().size(), 1u);
}

TEST_F(SwarmDiscoveryTest, ReportsEveryAttemptAndStopsWhenTheWaitIsCut) {
  std::vector<std::string> outcomes;
  docker_.FailNextCall(kNoSocket);
  const bool discovered = DiscoverServices(
      autoscaler_, clock_, kDiscoveryBackoff, [](Duration) { return false; },
      [&](const Status& s, TimePoint) { outcomes.push_back(s.ok() ? "ok" : s.error().message); });
  EXPECT_FALSE(discovered);
  EXPECT_THAT(outcomes, ElementsAre(kNoSocket.message));
  EXPECT_TRUE(autoscaler_.Snapshot().empty());
}

TEST_F(SwarmDiscoveryTest, ADockerThatAnswersAtOnceLogsNoOutage) {
  CapturedLog log;
  ASSERT_TRUE(DiscoverServices(autoscaler_, clock_, kDiscoveryBackoff, [](Duration) {
    ADD_FAILURE() << "no wait expected";
    return false;
  }));
  EXPECT_THAT(log.Lines("Docker"), ::testing::IsEmpty());
}

}  // namespace
}  // namespace maiev::control
