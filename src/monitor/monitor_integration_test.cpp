// Against the RabbitMQ of the local stack (scripts/stack.sh; settings from RABBITMQ_* or the
// stack's defaults). The broker is shared: every test uses queues of its own and deletes them.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "monitor/amqp_queue_probe.hpp"
#include "monitor/rabbitmq_management_client.hpp"
#include "monitor/rabbitmq_monitor.hpp"

namespace maiev::monitor {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::Not;

constexpr auto kDeadline = 20s;       // counts and listings settle well within this
constexpr auto kRatesDeadline = 40s;  // rates need a few statistics intervals
constexpr auto kPollEvery = 100ms;

RabbitMqConfig StackConfig() {
  auto c = RabbitMqConfig::FromEnvironment();
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? *c : RabbitMqConfig{};
}

AmqpEndpoint StackAmqp() {
  const RabbitMqConfig c = StackConfig();
  return AmqpEndpoint{c.host, c.port, c.vhost, c.user, c.password};
}

ManagementEndpoint StackManagement() {
  const RabbitMqConfig c = StackConfig();
  return ManagementEndpoint{c.management_url, c.vhost, c.user, c.password};
}

std::string UniqueName(const std::string& what) {
  static int counter = 0;
  return "maiev-monitor-test-" + std::to_string(::getpid()) + "-" + what + "-" +
         std::to_string(++counter);
}

// Polls `condition` until it holds or the deadline passes.
bool Eventually(const std::function<bool()>& condition,
                std::chrono::steady_clock::duration deadline = kDeadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(kPollEvery);
  }
  return condition();
}

amqp_bytes_t Bytes(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

// A plain AMQP client to set up the broker side of a test: declares, publishes, consumes and
// deletes the queues it made. Channel 1 publishes and manages queues; consumers get their own.
class TestClient {
 public:
  TestClient() {
    const AmqpEndpoint e = StackAmqp();
    conn_ = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (amqp_socket_open(socket, e.host.c_str(), e.port) != AMQP_STATUS_OK) {
      ADD_FAILURE() << "test client cannot connect to the broker";
      return;
    }
    Check(amqp_login(conn_, e.vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, e.user.c_str(),
                     e.password.c_str()),
          "login");
    amqp_channel_open(conn_, 1);
    Check(amqp_get_rpc_reply(conn_), "channel.open");
  }
  ~TestClient() {
    for (const std::string& q : declared_) {
      amqp_queue_delete(conn_, 1, Bytes(q), 0, 0);
      amqp_get_rpc_reply(conn_);
    }
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  std::string Declare(const std::string& what, bool exclusive = false) {
    std::string q = UniqueName(what);
    amqp_queue_declare(conn_, 1, Bytes(q), 0, 0, exclusive ? 1 : 0, 0, amqp_empty_table);
    Check(amqp_get_rpc_reply(conn_), "queue.declare");
    declared_.push_back(q);
    return q;
  }

  void Publish(const std::string& queue, int n, std::optional<std::int64_t> timestamp = {}) {
    amqp_basic_properties_t props{};
    if (timestamp) {
      props._flags = AMQP_BASIC_TIMESTAMP_FLAG;
      props.timestamp = static_cast<std::uint64_t>(*timestamp);
    }
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(amqp_basic_publish(conn_, 1, amqp_empty_bytes, Bytes(queue), 0, 0, &props,
                                   amqp_cstring_bytes("m")),
                AMQP_STATUS_OK);
    }
  }

  // basic.get with auto-ack: counts as a delivery (deliver_get) for the broker.
  void Get(const std::string& queue) {
    amqp_basic_get(conn_, 1, Bytes(queue), 1);
    const amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn_);
    ASSERT_EQ(reply.reply_type, AMQP_RESPONSE_NORMAL);
    if (reply.reply.id == AMQP_BASIC_GET_OK_METHOD) {
      amqp_message_t message;
      ASSERT_EQ(amqp_read_message(conn_, 1, &message, 0).reply_type, AMQP_RESPONSE_NORMAL);
      amqp_destroy_message(&message);
    }
  }

  // A consumer on a channel of its own that never acknowledges (prefetch 1).
  void Consume(const std::string& queue) {
    const amqp_channel_t channel = next_channel_++;
    amqp_channel_open(conn_, channel);
    Check(amqp_get_rpc_reply(conn_), "channel.open");
    amqp_basic_qos(conn_, channel, 0, 1, 0);
    Check(amqp_get_rpc_reply(conn_), "basic.qos");
    amqp_basic_consume(conn_, channel, Bytes(queue), amqp_empty_bytes, 0, /*no_ack=*/0, 0,
                       amqp_empty_table);
    Check(amqp_get_rpc_reply(conn_), "basic.consume");
  }

 private:
  static void Check(const amqp_rpc_reply_t& reply, const char* what) {
    EXPECT_EQ(reply.reply_type, AMQP_RESPONSE_NORMAL) << "test client: " << what;
  }

  amqp_connection_state_t conn_ = nullptr;
  amqp_channel_t next_channel_ = 2;
  std::vector<std::string> declared_;
};

std::optional<QueueCounts> Counts(AmqpQueueProbe& probe, const std::string& queue) {
  auto counts = probe.Declare(queue);
  EXPECT_TRUE(counts.ok()) << counts.error().message;
  if (!counts) return std::nullopt;
  return *counts;
}

const ManagementQueue* Find(const QueueListing& listing, const std::string& name) {
  for (const ManagementQueue& q : listing.queues) {
    if (q.name == name) return &q;
  }
  return nullptr;
}

TEST(AmqpQueueProbe, CountsReadyMessagesOfAQueueWithoutConsumers) {
  TestClient client;
  const std::string q = client.Declare("ready");
  client.Publish(q, 25);
  AmqpQueueProbe probe(StackAmqp());
  EXPECT_TRUE(Eventually([&] { return Counts(probe, q) == QueueCounts{true, 25, 0}; }));
}

TEST(AmqpQueueProbe, CountsConsumersAttached) {
  TestClient client;
  const std::string q = client.Declare("consumers");
  client.Consume(q);
  client.Consume(q);
  AmqpQueueProbe probe(StackAmqp());
  EXPECT_TRUE(Eventually([&] {
    auto c = Counts(probe, q);
    return c && c->exists && c->consumers == 2;
  }));
}

TEST(AmqpQueueProbe, MissingQueueIsNonExistentAndTheProbeKeepsWorking) {
  TestClient client;
  const std::string q = client.Declare("survivor");
  client.Publish(q, 3);
  AmqpQueueProbe probe(StackAmqp());
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Counts(probe, UniqueName("missing")), QueueCounts{}) << "round " << round;
    EXPECT_TRUE(Eventually([&] {
      return Counts(probe, q) == QueueCounts{true, 3, 0};
    })) << "round "
        << round;
  }
  EXPECT_TRUE(probe.connected());
}

TEST(AmqpQueueProbe, AnotherConnectionsExclusiveQueueIsDeniedWithoutBreakingTheProbe) {
  TestClient client;
  const std::string exclusive = client.Declare("exclusive", /*exclusive=*/true);
  const std::string shared = client.Declare("shared");
  AmqpQueueProbe probe(StackAmqp());
  auto denied = probe.Declare(exclusive);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "denied");
  EXPECT_THAT(denied.error().message, HasSubstr(exclusive));
  EXPECT_EQ(Counts(probe, shared), (QueueCounts{true, 0, 0}));
}

// More queues than one pipelined batch, with missing, denied and invalid names among them: every
// answer lands on its own queue, in order, and a second pass (missing queues now known) agrees.
TEST(AmqpQueueProbe, DeclareAllAnswersEveryQueueInOrderAcrossBatches) {
  TestClient client;
  const std::size_t n = AmqpQueueProbe::kPipelineWindow * 2 + 17;
  std::vector<std::string> queues;
  std::vector<QueueCounts> expected;
  const std::string exclusive = client.Declare("exclusive", /*exclusive=*/true);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 50 == 7) {  // missing: the broker closes the channel in the middle of a batch
      queues.push_back(UniqueName("absent"));
      expected.push_back(QueueCounts{});
    } else if (i == 100) {
      queues.push_back(exclusive);
      expected.push_back(QueueCounts{});  // placeholder: checked as an error below
    } else if (i == 101) {
      queues.emplace_back();  // not a queue name
      expected.push_back(QueueCounts{});
    } else {
      queues.push_back(client.Declare("batch"));
      const int messages = static_cast<int>(i % 5);
      client.Publish(queues.back(), messages);
      expected.push_back(QueueCounts{true, static_cast<std::uint64_t>(messages), 0});
    }
  }
  AmqpQueueProbe probe(StackAmqp());
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<Result<QueueCounts>> all;
    ASSERT_TRUE(Eventually([&] {
      auto answered = probe.DeclareAll(queues);
      if (!answered) return false;
      all = std::move(*answered);
      for (std::size_t i = 0; i < n; ++i) {
        if (i == 100 || i == 101) continue;
        if (!all[i] || *all[i] != expected[i]) return false;
      }
      return true;
    })) << "pass "
        << pass;
    ASSERT_EQ(all.size(), n);
    ASSERT_FALSE(all[100].ok());
    EXPECT_EQ(all[100].error().code, "denied");
    ASSERT_FALSE(all[101].ok());
    EXPECT_EQ(all[101].error().code, "invalid");
  }
  EXPECT_TRUE(probe.connected());
}

TEST(AmqpQueueProbe, UnreachableBrokerIsAnErrorWithoutCredentials) {
  AmqpEndpoint e = StackAmqp();
  e.port = 1;
  e.password = "never-in-messages";
  AmqpQueueProbe probe(e);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto counts = probe.Declare("anything");
    ASSERT_FALSE(counts.ok());
    EXPECT_EQ(counts.error().code, "unavailable");
    EXPECT_THAT(counts.error().message, HasSubstr("127.0.0.1:1"));
    EXPECT_THAT(counts.error().message, Not(HasSubstr("never-in-messages")));
  }
  EXPECT_FALSE(probe.connected());
}

TEST(AmqpQueueProbe, RefusedLoginIsAnAuthErrorWithoutThePassword) {
  AmqpEndpoint e = StackAmqp();
  e.password = "wrong-password-xyz";
  AmqpQueueProbe probe(e);
  auto counts = probe.Declare("anything");
  ASSERT_FALSE(counts.ok());
  EXPECT_THAT(counts.error().code, testing::AnyOf("auth", "unavailable"));
  EXPECT_THAT(counts.error().message, Not(HasSubstr("wrong-password-xyz")));
}

TEST(RabbitMqManagementClient, OneRequestListsFiftyQueues) {
  TestClient client;
  std::set<std::string> made;
  for (int i = 0; i < 50; ++i) made.insert(client.Declare("bulk"));
  RabbitMqManagementClient management(StackManagement());
  std::optional<QueueListing> last;
  EXPECT_TRUE(Eventually([&] {
    auto listing = management.ListQueues();
    if (!listing) return false;
    last = std::move(*listing);
    return std::ranges::all_of(made, [&](const auto& q) { return Find(*last, q) != nullptr; });
  }));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->requests, 1);  // the shared vhost holds far fewer than 500 queues
  EXPECT_TRUE(last->complete);
}

TEST(RabbitMqManagementClient, SmallPagesStillListEveryQueue) {
  TestClient client;
  std::set<std::string> made;
  for (int i = 0; i < 50; ++i) made.insert(client.Declare("paged"));
  RabbitMqManagementClient management(StackManagement(), ManagementTimeouts{}, /*page_size=*/20);
  std::optional<QueueListing> last;
  EXPECT_TRUE(Eventually([&] {
    auto listing = management.ListQueues();
    if (!listing) return false;
    last = std::move(*listing);
    return std::ranges::all_of(made, [&](const auto& q) { return Find(*last, q) != nullptr; });
  }));
  ASSERT_TRUE(last);
  EXPECT_GE(last->requests, 3);
  EXPECT_FALSE(last->complete);
}

TEST(RabbitMqManagementClient, ReportsTheCountersOfASteadyFlow) {
  TestClient client;
  const std::string q = client.Declare("counters");
  RabbitMqManagementClient management(StackManagement());
  std::optional<QueueCounters> first;
  std::optional<QueueCounters> seen;
  auto next_listing = std::chrono::steady_clock::now();
  EXPECT_TRUE(Eventually(
      [&] {
        client.Publish(q, 2);  // 2 in and 1 out (a get without acknowledgement) per poll
        client.Get(q);
        if (std::chrono::steady_clock::now() < next_listing) return false;
        next_listing += 1s;
        auto listing = management.ListQueues();
        if (!listing) return false;
        const ManagementQueue* found = Find(*listing, q);
        if (!found || !found->counters || found->counters->done == 0) return false;
        if (!first) first = found->counters;
        seen = found->counters;
        return seen->done > first->done;  // the counters move from one refresh to the next
      },
      kRatesDeadline));
  ASSERT_TRUE(seen);
  EXPECT_GT(seen->published, seen->done);  // twice as many in as out
}

TEST(RabbitMqManagementClient, ReportsTheHeadMessageTimestamp) {
  TestClient client;
  const std::string q = client.Declare("timestamp");
  const std::int64_t stamp = 1'700'000'000;
  client.Publish(q, 1, stamp);
  client.Publish(q, 1, stamp + 100);
  RabbitMqManagementClient management(StackManagement());
  EXPECT_TRUE(Eventually([&] {
    auto listing = management.ListQueues();
    const ManagementQueue* found = listing ? Find(*listing, q) : nullptr;
    return found && found->head_message_timestamp == stamp;
  }));
}

TEST(RabbitMqManagementClient, CancelAbortsTheListing) {
  RabbitMqManagementClient management(StackManagement());
  std::stop_source cancel;
  cancel.request_stop();
  auto listing = management.ListQueues(cancel.get_token());
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().code, "cancelled");
  EXPECT_TRUE(management.ListQueues().ok());  // the client stays usable
}

TEST(RabbitMqManagementClient, UnknownVhostIsNotFound) {
  ManagementEndpoint e = StackManagement();
  e.vhost = UniqueName("no-such-vhost");
  RabbitMqManagementClient management(e);
  auto listing = management.ListQueues();
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().code, "not_found");
}

TEST(RabbitMqManagementClient, WrongPasswordIsAnAuthErrorWithoutThePassword) {
  ManagementEndpoint e = StackManagement();
  e.password = "wrong-password-abc";
  RabbitMqManagementClient management(e);
  auto listing = management.ListQueues();
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().code, "auth");
  EXPECT_THAT(listing.error().message, Not(HasSubstr("wrong-password-abc")));
}

TEST(RabbitMqMonitor, MergesFreshCountsAndRatesOfTrackedQueues) {
  TestClient client;
  const std::string q = client.Declare("monitored");
  const std::string missing = UniqueName("never-declared");
  client.Publish(q, 12);
  RabbitMqConfig config = StackConfig();
  config.stats_interval = Duration{1.0};
  config.staleness = StalenessBounds{Duration{3.0}, Duration{3.0}};
  SystemClock clock;
  RabbitMqMonitor monitor(config, clock);
  monitor.Track({q, missing});
  monitor.Start();
  std::map<std::string, QueueMetrics> snapshot;
  EXPECT_TRUE(Eventually([&] {
    snapshot = monitor.Snapshot(clock.Now());
    const QueueMetrics& m = snapshot[q];
    // A queue the management statistics have just started to cover may lack some fields yet.
    return m.waiting == 12.0 && m.call_rate.has_value() && m.unacked.has_value() &&
           m.consumers.has_value() && m.latency.has_value() && snapshot[missing].exists == false;
  }));
  monitor.Stop();
  const rules::ResourceMetrics metrics = ToResourceMetrics(snapshot[q]);
  EXPECT_EQ(metrics.at("exists"), rules::Value::Bool(true));
  EXPECT_EQ(metrics.at("waiting"), rules::Value::Number(12));
  EXPECT_EQ(metrics.at("consumers"), rules::Value::Number(0));
  EXPECT_EQ(metrics.at("unacked"), rules::Value::Number(0));
  // 12 wait, no consumer, nothing done: an infinite wait, but nobody is stuck.
  EXPECT_EQ(metrics.at("latency"), rules::Value::Number(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(metrics.at("stalled"), rules::Value::Bool(false));
  EXPECT_EQ(snapshot[missing].waiting, 0.0);
  EXPECT_EQ(snapshot[missing].latency, std::nullopt);
  const BrokerHealth health = monitor.Health();
  EXPECT_TRUE(health.amqp_reachable);
  EXPECT_TRUE(health.management_reachable);
}

TEST(RabbitMqMonitor, UnreachableBrokerGivesMissingMetricsAndStopsPromptly) {
  RabbitMqConfig config = StackConfig();
  config.port = 1;
  config.management_url = "http://127.0.0.1:1";
  config.backoff =
      BackoffPolicy{0, Duration{60.0}, Duration{60.0}, 2.0};  // Stop must not wait it out
  SystemClock clock;
  RabbitMqMonitor monitor(config, clock);
  monitor.Track({"q"});
  monitor.Start();
  EXPECT_TRUE(Eventually([&] {
    const BrokerHealth h = monitor.Health();
    return h.amqp_error && h.management_error;
  }));
  EXPECT_FALSE(monitor.Snapshot(clock.Now()).at("q").HasAnyMetric());
  const auto before = std::chrono::steady_clock::now();
  monitor.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);  // waits are woken, not slept out
}

}  // namespace
}  // namespace maiev::monitor
