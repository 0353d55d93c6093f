#include "api/readiness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::api {
namespace {

using nlohmann::json;
using State = ComponentReadiness::State;

const Error kNoSocket{"io",
                      "Docker Engine at unix:///run/docker.sock: No such file or directory "
                      "(GET /version)"};

TEST(DockerReadiness, ConnectingThenUnreachableSinceTheFirstFailureThenReachable) {
  ManualClock clock;
  DockerReadiness docker("unix:///run/docker.sock");
  EXPECT_EQ(docker.Get().state, State::kConnecting);
  EXPECT_FALSE(docker.Get().ready());

  const TimePoint first = clock.Now();
  docker.Listed(Unexpected<Error>{kNoSocket}, first);
  clock.Advance(Duration{30});
  docker.Listed(Fail("io", "Docker Engine at unix:///run/docker.sock: Permission denied"),
                clock.Now());
  ComponentReadiness down = docker.Get();
  EXPECT_EQ(down.state, State::kUnreachable);
  EXPECT_EQ(down.since, first);
  EXPECT_EQ(down.error, "Docker Engine at unix:///run/docker.sock: Permission denied");

  docker.Listed({}, clock.Now());
  EXPECT_TRUE(docker.Get().ready());
  EXPECT_EQ(docker.Get().error, std::nullopt);
  EXPECT_EQ(docker.Get().since, std::nullopt);
}

TEST(DockerReadiness, AFailedEventStreamMakesItUnreachableUntilTheStreamIsBack) {
  ManualClock clock;
  DockerReadiness docker("unix:///run/docker.sock");
  docker.Listed({}, clock.Now());
  docker.StreamFailed(kNoSocket, clock.Now());
  EXPECT_EQ(docker.Get().state, State::kUnreachable);
  EXPECT_EQ(docker.Get().error, kNoSocket.message);
  docker.StreamUp();
  EXPECT_TRUE(docker.Get().ready());
}

TEST(Readiness, BrokerSidesFollowTheMonitorsHealth) {
  monitor::BrokerHealth health;
  EXPECT_EQ(AmqpReadiness(health, "mq:5672 vhost /").state, State::kConnecting);
  health.amqp_error = Error{"unavailable", "AMQP mq:5672 vhost `/`: connect: refused"};
  health.management_reachable = true;
  const ComponentReadiness amqp = AmqpReadiness(health, "mq:5672 vhost /");
  EXPECT_EQ(amqp.name, "rabbitmq_amqp");
  EXPECT_EQ(amqp.state, State::kUnreachable);
  EXPECT_EQ(amqp.error, "AMQP mq:5672 vhost `/`: connect: refused");
  const ComponentReadiness management = ManagementReadiness(health, "http://mq:15672");
  EXPECT_EQ(management.name, "rabbitmq_management");
  EXPECT_TRUE(management.ready());
}

TEST(Readiness, StoreIsUnreachableWhileItsWritesFailSayingWhatWaitsInMemory) {
  store::StoreHealthState health;
  EXPECT_TRUE(StoreReadiness(health, "/var/lib/maiev/maiev.db", 0).ready());

  health.writable = false;
  health.last_error =
      "store \"/var/lib/maiev/maiev.db\": saving decision: database or disk is full";
  health.since = TimePoint{std::chrono::seconds{1'700'000'000}};
  health.failed_writes = 7;
  ComponentReadiness down = StoreReadiness(health, "/var/lib/maiev/maiev.db", 3);
  EXPECT_EQ(down.name, "store");
  EXPECT_EQ(down.address, "/var/lib/maiev/maiev.db");
  EXPECT_EQ(down.state, State::kUnreachable);
  EXPECT_EQ(down.since, health.since);
  EXPECT_EQ(down.error, *health.last_error + "; 3 decisions wait in memory to be recorded");
  EXPECT_EQ(StoreReadiness(health, "f", 1).error,
            *health.last_error + "; 1 decision waits in memory to be recorded");
  EXPECT_EQ(StoreReadiness(health, "f", 0).error, health.last_error);
}

TEST(Readiness, JsonNamesWhatItWaitsForAndWhy) {
  const auto docker =
      ComponentReadiness::Of("docker", "unix:///run/docker.sock", State::kUnreachable,
                             kNoSocket.message, TimePoint{std::chrono::seconds{1'700'000'000}});
  const auto amqp = ComponentReadiness::Of("rabbitmq_amqp", "mq:5672 vhost /", State::kConnecting);
  const auto management =
      ComponentReadiness::Of("rabbitmq_management", "http://mq:15672", State::kReachable);
  const Readiness readiness{{docker, amqp, management}};
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(ToJson(readiness), json::parse(R"json({
    "ready": false,
    "waiting_for": ["docker", "rabbitmq_amqp"],
    "components": [
      {"name": "docker", "address": "unix:///run/docker.sock", "state": "unreachable",
       "error": "Docker Engine at unix:///run/docker.sock: No such file or directory (GET /version)",
       "since": "2023-11-14T22:13:20Z"},
      {"name": "rabbitmq_amqp", "address": "mq:5672 vhost /", "state": "connecting"},
      {"name": "rabbitmq_management", "address": "http://mq:15672", "state": "reachable"}
    ]})json"));
  const Readiness all{{management}};
  EXPECT_TRUE(all.ready());
  EXPECT_EQ(ToJson(all)["waiting_for"], json::array());
}

TEST(Readiness, RedactedMasksEverySecretInTheErrors) {
  const auto amqp = ComponentReadiness::Of("rabbitmq_amqp", "mq:5672 vhost /", State::kUnreachable,
                                           "login refused: pw=hunter2, token tok-1");
  const Readiness redacted = Redacted(Readiness{{amqp}}, {"hunter2", "", "tok-1"});
  EXPECT_EQ(redacted.components[0].error, "login refused: pw=***, token ***");
}

}  // namespace
}  // namespace maiev::api
