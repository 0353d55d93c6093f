#include "monitor/rabbitmq_monitor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
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

TEST(RabbitMqConfig, FlagsOverrideTheEnvironmentSettingBySetting) {
  RabbitMqSettings flags;
  flags.host = "flag-host";
  flags.password = "flag-pw";
  flags.counts_interval = 0.5;
  auto c = RabbitMqConfig::Resolve(flags, Env({{"RABBITMQ_HOST", "env-host"},
                                               {"RABBITMQ_PORT", "5673"},
                                               {"RABBITMQ_USER", "env-user"},
                                               {"RABBITMQ_PASSWORD", "env-pw"}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->host, "flag-host");
  EXPECT_EQ(c->port, 5673);
  EXPECT_EQ(c->user, "env-user");
  EXPECT_EQ(c->password, "flag-pw");
  EXPECT_EQ(c->management_url, "http://flag-host:15672");
  EXPECT_EQ(c->counts_interval.count(), 0.5);
  EXPECT_EQ(c->staleness.counts.count(), 1.5);
  EXPECT_EQ(c->staleness.stats.count(), 15.0);
}

TEST(RabbitMqConfig, AFlagHidesABadVariable) {
  RabbitMqSettings flags;
  flags.port = "5674";
  auto c = RabbitMqConfig::Resolve(flags, Env({{"RABBITMQ_PORT", "not-a-port"}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->port, 5674);
}

TEST(RabbitMqConfig, ABadFlagIsReportedUnderTheFlagsName) {
  for (const char* bad : {"99999", "0", "x"}) {
    RabbitMqSettings flags;
    flags.port = bad;
    auto c = RabbitMqConfig::Resolve(flags, Env({}));
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().code, "invalid");
    EXPECT_THAT(c.error().message, HasSubstr("--rabbitmq-port: `" + std::string(bad) + "`"));
    EXPECT_THAT(c.error().message, HasSubstr("1 to 65535"));
  }
  RabbitMqSettings empty_vhost;
  empty_vhost.vhost = "";
  auto vhost = RabbitMqConfig::Resolve(empty_vhost, Env({}));
  ASSERT_FALSE(vhost.ok());
  EXPECT_THAT(vhost.error().message, HasSubstr("--rabbitmq-vhost: must not be empty"));
  RabbitMqSettings empty_host;
  empty_host.host = "";
  auto host = RabbitMqConfig::Resolve(empty_host, Env({}));
  ASSERT_FALSE(host.ok());
  EXPECT_THAT(host.error().message, HasSubstr("--rabbitmq-host: must not be empty"));
  auto env_host = RabbitMqConfig::Resolve({}, Env({{"RABBITMQ_HOST", ""}}));
  ASSERT_FALSE(env_host.ok());
  EXPECT_THAT(env_host.error().message, HasSubstr("RABBITMQ_HOST: must not be empty"));
}

TEST(RabbitMqConfig, RejectsUserInfoInTheManagementUrlFromAFlagWithoutEchoingIt) {
  for (const char* url : {"http://admin:hunter2@127.0.0.1:15672", "http://hunter2@mq",
                          "https://admin:hunter2@mq:443/api", "http://admin:hunter2@"}) {
    RabbitMqSettings flags;
    flags.management_url = url;
    auto c = RabbitMqConfig::Resolve(flags, Env({}));
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_THAT(c.error().message, HasSubstr("--rabbitmq-management-url: must not contain "
                                             "credentials"));
    EXPECT_THAT(c.error().message, HasSubstr("--rabbitmq-password"));
    EXPECT_THAT(c.error().message, Not(HasSubstr("hunter2")));
    EXPECT_THAT(c.error().message, Not(HasSubstr("admin")));
  }
}

TEST(RabbitMqConfig, AnAtSignAfterTheHostIsNoUserInfo) {
  RabbitMqSettings flags;
  flags.management_url = "http://mq:15672/prefix@1";
  auto c = RabbitMqConfig::Resolve(flags, Env({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->management_url, "http://mq:15672/prefix@1");
}

TEST(RabbitMqConfig, ManagementUrlOfAnIpv6HostHasBrackets) {
  auto c = RabbitMqConfig::Resolve({}, Env({{"RABBITMQ_HOST", "::1"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->management_url, "http://[::1]:15672");
}

TEST(RabbitMqConfig, IntervalsMustBePositiveSeconds) {
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    RabbitMqSettings flags;
    flags.stats_interval = bad;
    auto c = RabbitMqConfig::Resolve(flags, Env({}));
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_THAT(c.error().message, HasSubstr("--stats-interval: expected seconds > 0"));
  }
}

TEST(RabbitMqConfig, RateWindowDefaultsToTwentySecondsAndHoldsTwoListings) {
  auto c = RabbitMqConfig::Resolve({}, Env({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->rate_window.count(), 20.0);
  RabbitMqSettings slow;
  slow.stats_interval = 15;
  c = RabbitMqConfig::Resolve(slow, Env({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->rate_window.count(), 30.0);  // not given: grows with the listing interval
}

TEST(RabbitMqConfig, ARateWindowShorterThanTwoListingsIsRefused) {
  RabbitMqSettings flags;
  flags.stats_interval = 5;
  flags.rate_window = 8;
  auto c = RabbitMqConfig::Resolve(flags, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "--rate-window: expected at least twice --stats-interval (10 s), so that the window "
            "holds two listings; got 8 s");
  flags.rate_window = 10;
  EXPECT_TRUE(RabbitMqConfig::Resolve(flags, Env({})).ok());
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

TEST(RabbitMqMonitor, AnUnreachableBrokerIsFoundOutWithoutAnyTrackedQueue) {
  ManualClock clock;
  RabbitMqMonitor monitor(Unreachable(), clock);
  const Status counts = monitor.RunCountsCycle();
  ASSERT_FALSE(counts.ok());
  EXPECT_EQ(counts.error().code, "unavailable");
  EXPECT_THAT(counts.error().message, HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(counts.error().message, Not(HasSubstr("do-not-leak-me")));
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
