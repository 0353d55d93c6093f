#include "monitor/rabbitmq_monitor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "monitor/fake_queue_metrics_source.hpp"

namespace maiev::monitor {
namespace {

using testing::HasSubstr;
using testing::Not;

RabbitMqConfig::Getenv Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(RabbitMqConfig, DefaultsMatchTheLocalStack) {
  auto c = RabbitMqConfig::FromEnvironment(Env({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 5672);
  EXPECT_EQ(c->vhost, "/");
  EXPECT_EQ(c->user, "guest");
  EXPECT_EQ(c->password, "guest");
  EXPECT_EQ(c->management_url, "http://127.0.0.1:15672");
  EXPECT_EQ(c->counts_interval.count(), 1.0);
  EXPECT_EQ(c->stats_interval.count(), 5.0);
}

TEST(RabbitMqConfig, ReadsEveryVariable) {
  auto c = RabbitMqConfig::FromEnvironment(Env({{"RABBITMQ_HOST", "10.1.2.3"},
                                                {"RABBITMQ_PORT", "5673"},
                                                {"RABBITMQ_VHOST", "prod"},
                                                {"RABBITMQ_USER", "mon"},
                                                {"RABBITMQ_PASSWORD", "pw"},
                                                {"RABBITMQ_MANAGEMENT_URL", "https://mq:443"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "10.1.2.3");
  EXPECT_EQ(c->port, 5673);
  EXPECT_EQ(c->vhost, "prod");
  EXPECT_EQ(c->user, "mon");
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(c->management_url, "https://mq:443");
}

TEST(RabbitMqConfig, ManagementUrlFollowsTheHostByDefault) {
  auto c = RabbitMqConfig::FromEnvironment(Env({{"RABBITMQ_HOST", "rabbit"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->management_url, "http://rabbit:15672");
}

TEST(RabbitMqConfig, RejectsABadPortNamingTheVariable) {
  for (const char* bad : {"abc", "0", "65536", "56 72", "-1"}) {
    auto c = RabbitMqConfig::FromEnvironment(Env({{"RABBITMQ_PORT", bad}}));
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().code, "invalid");
    EXPECT_THAT(c.error().message, HasSubstr("RABBITMQ_PORT"));
    EXPECT_THAT(c.error().message, HasSubstr("1 to 65535"));
  }
}

TEST(RabbitMqConfig, RejectsCredentialsInTheManagementUrlWithoutEchoingThem) {
  auto c = RabbitMqConfig::FromEnvironment(
      Env({{"RABBITMQ_MANAGEMENT_URL", "http://admin:hunter2@127.0.0.1:15672"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("RABBITMQ_MANAGEMENT_URL"));
  EXPECT_THAT(c.error().message, Not(HasSubstr("hunter2")));
}

TEST(RabbitMqConfig, RejectsANonHttpManagementUrl) {
  auto c = RabbitMqConfig::FromEnvironment(Env({{"RABBITMQ_MANAGEMENT_URL", "127.0.0.1:15672"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("http://"));
}

TEST(RabbitMqConfig, RejectsAnEmptyVhost) {
  auto c = RabbitMqConfig::FromEnvironment(Env({{"RABBITMQ_VHOST", ""}}));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("RABBITMQ_VHOST"));
}

TEST(BackoffPolicy, DoublesFromInitialUpToMax) {
  const BackoffPolicy p{Duration{1.0}, Duration{30.0}, 2.0};
  EXPECT_EQ(p.Delay(1).count(), 1.0);
  EXPECT_EQ(p.Delay(2).count(), 2.0);
  EXPECT_EQ(p.Delay(5).count(), 16.0);
  EXPECT_EQ(p.Delay(6).count(), 30.0);
  EXPECT_EQ(p.Delay(10'000).count(), 30.0);
}

// Loopback port 1 is closed: both sides fail at once, nothing is invented.
RabbitMqConfig Unreachable() {
  RabbitMqConfig c;
  c.port = 1;
  c.management_url = "http://127.0.0.1:1";
  c.password = "do-not-leak-me";
  return c;
}

TEST(RabbitMqMonitor, UnreachableBrokerLeavesTrackedQueuesWithMissingMetrics) {
  ManualClock clock;
  RabbitMqMonitor monitor(Unreachable(), clock);
  monitor.Track({"a", "b"});

  const Status counts = monitor.RunCountsCycle();
  const Status stats = monitor.RunStatsCycle();

  ASSERT_FALSE(counts.ok());
  EXPECT_EQ(counts.error().code, "unavailable");
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.error().code, "unavailable");
  EXPECT_THAT(counts.error().message, Not(HasSubstr("do-not-leak-me")));
  EXPECT_THAT(stats.error().message, Not(HasSubstr("do-not-leak-me")));
  const auto snapshot = monitor.Snapshot(clock.Now());
  ASSERT_EQ(snapshot.size(), 2u);
  for (const auto& [name, metrics] : snapshot) EXPECT_FALSE(metrics.HasAnyMetric()) << name;
}

TEST(RabbitMqMonitor, UntrackedQueuesLeaveTheSnapshot) {
  ManualClock clock;
  RabbitMqMonitor monitor(Unreachable(), clock);
  monitor.Track({"a", "b"});
  monitor.Track({"b"});
  const auto snapshot = monitor.Snapshot(clock.Now());
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_TRUE(snapshot.contains("b"));
}

TEST(FakeQueueMetricsSource, ReportsSetMetricsOfTrackedQueuesOnly) {
  FakeQueueMetricsSource fake;
  QueueMetrics busy;
  busy.exists = true;
  busy.waiting = 40.0;
  fake.Set("busy", busy);
  fake.Set("untracked", busy);
  QueueMetricsSource& source = fake;
  source.Track({"busy", "unset"});
  const auto snapshot = source.Snapshot(TimePoint{});
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot.at("busy"), busy);
  EXPECT_FALSE(snapshot.at("unset").HasAnyMetric());
}

}  // namespace
}  // namespace maiev::monitor
