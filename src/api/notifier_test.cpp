// The notifier against receivers on loopback (cpp-httplib servers on free 127.0.0.1 ports): what
// it sends, its retries (pauses recorded, not slept), what a slow or unreachable receiver does to
// it. Tests poll with deadlines.
#include "api/notifier.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/loopback_test_support.hpp"
#include "common/free_port.hpp"

namespace maiev::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using SteadyClock = std::chrono::steady_clock;
using testing::Eventually;

// A webhook receiver on 127.0.0.1: answers POST /hook with `statuses` in turn, then 200; while
// held, each request waits until released.
class Receiver {
 public:
  explicit Receiver(std::vector<int> statuses = {}) : statuses_(std::move(statuses)) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::unique_lock lock(mutex_);
      ++in_flight_;
      released_.wait(lock, [this] { return !held_; });
      --in_flight_;
      bodies_.push_back(req.body);
      content_types_.push_back(req.get_header_value("Content-Type"));
      res.status = answered_ < statuses_.size() ? statuses_[answered_] : 200;
      ++answered_;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    Release();
    while (!server_.is_running()) std::this_thread::yield();
    server_.stop();
    thread_.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void Hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    released_.notify_all();
  }
  int in_flight() {
    std::lock_guard lock(mutex_);
    return in_flight_;
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard lock(mutex_);
    return content_types_;
  }
  // The ids of the events received, in order.
  std::vector<int> Ids() {
    std::vector<int> ids;
    for (const std::string& body : bodies()) ids.push_back(nlohmann::json::parse(body)["id"]);
    return ids;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;  // guards what follows
  std::condition_variable released_;
  const std::vector<int> statuses_;
  std::size_t answered_ = 0;
  bool held_ = false;
  int in_flight_ = 0;
  std::vector<std::string> bodies_;
  std::vector<std::string> content_types_;
};

// The pauses a notifier asked for; none is slept.
class RecordedPauses {
 public:
  std::function<bool(Duration, const std::stop_token&)> Function() {
    return [this](Duration d, const std::stop_token& stop) {
      std::lock_guard lock(mutex_);
      pauses_.push_back(d.count());
      return !stop.stop_requested();
    };
  }
  std::vector<double> pauses() {
    std::lock_guard lock(mutex_);
    return pauses_;
  }

 private:
  std::mutex mutex_;
  std::vector<double> pauses_;  // seconds; guarded by mutex_
};

NotifyTarget Target(const std::string& url) {
  auto target = ParseNotifyUrl(url);
  EXPECT_TRUE(target.ok()) << target.error().message;
  return target.ok() ? *target : NotifyTarget{};
}

TEST(NotifyUrl, IsHttpOrHttpsWithAHostAndIsShownWithoutItsSecrets) {
  auto target =
      ParseNotifyUrl("https://hook-user:hook-pass@hooks.example.com:8443/x/y?token=abc#f");
  ASSERT_TRUE(target.ok()) << target.error().message;
  EXPECT_EQ(target->label, "https://hooks.example.com:8443/x/y");
  EXPECT_THAT(target->secrets, ElementsAre("hook-user", "hook-pass", "token=abc"));
  EXPECT_EQ(Target("http://127.0.0.1:9/").label, "http://127.0.0.1:9/");
  EXPECT_EQ(UrlWithoutSecrets("http://a@b@host/p@q?x"), "http://host/p@q");

  for (const char* bad : {"ftp://hooks.example.com/x", "hooks.example.com/x", "http://", "",
                          "https://user:pw-9f1@/x"}) {
    auto refused = ParseNotifyUrl(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code, "invalid");
    EXPECT_THAT(refused.error().message, HasSubstr("expected http(s)://HOST[:PORT][/PATH]"));
    EXPECT_THAT(refused.error().message, Not(HasSubstr("pw-9f1")));
  }
  EXPECT_THAT(ParseNotifyUrl("ftp://h/x").error().message, HasSubstr("http or https, not 'ftp'"));
}

TEST(Notifier, PostsEachNotifiedEventAsJsonToEveryUrl) {
  Receiver first;
  Receiver second;
  EventHub hub;
  Notifier notifier({.targets = {Target(first.Url()), Target(second.Url())}});
  hub.AddListener(notifier);
  hub.PublishJson("cycle", "{}");  // not notified
  hub.PublishJson("decision", R"({"id":7,"service":"worker"})");
  hub.Publish(control::ServiceEvent{"worker", control::ServiceChange::kPaused});  // not notified
  hub.Publish(control::PlanEvent{1, store::RunState::kRunning, "new versions"});
  ASSERT_TRUE(
      Eventually([&] { return first.bodies().size() == 2 && second.bodies().size() == 2; }));
  EXPECT_EQ(nlohmann::json::parse(first.bodies()[0]),
            (nlohmann::json{
                {"id", 2}, {"type", "decision"}, {"data", {{"id", 7}, {"service", "worker"}}}}));
  EXPECT_EQ(
      nlohmann::json::parse(second.bodies()[1]),
      (nlohmann::json{{"id", 4},
                      {"type", "plan"},
                      {"data", {{"id", 1}, {"state", "running"}, {"reason", "new versions"}}}}));
  EXPECT_THAT(first.content_types(), ElementsAre("application/json", "application/json"));
  ASSERT_TRUE(Eventually([&] { return notifier.counts(1).sent == 2; }));
  EXPECT_EQ(notifier.counts(0).failed, 0u);
  EXPECT_THAT(hub.MetricsText(),
              HasSubstr("maiev_notify_sent_total{url=\"" + second.Url() + "\"} 2\n"));
}

TEST(Notifier, RetriesAFailingReceiverWithItsBackoffUntilItAccepts) {
  Receiver flaky({500, 500, 200});
  RecordedPauses pauses;
  Notifier notifier({.targets = {Target(flaky.Url())}, .wait = pauses.Function()});
  notifier.Deliver(std::make_shared<const StreamEvent>(StreamEvent{9, "step", "{}"}));
  ASSERT_TRUE(Eventually([&] { return notifier.counts(0).sent == 1; }));
  EXPECT_THAT(flaky.Ids(), ElementsAre(9, 9, 9));
  EXPECT_THAT(pauses.pauses(), ElementsAre(0.5, 1.0));
  EXPECT_EQ(notifier.counts(0).failed, 0u);
}

TEST(Notifier, GivesUpOnAFinalAnswerAtOnceAndOnAnUnreachableReceiverAfterEveryTry) {
  Receiver refusing({400});
  RecordedPauses pauses;
  const std::string unreachable =
      "http://127.0.0.1:" + std::to_string(common::testing::FreeLoopbackPort()) + "/hook";
  Notifier notifier(
      {.targets = {Target(refusing.Url()), Target(unreachable)}, .wait = pauses.Function()});
  notifier.Deliver(std::make_shared<const StreamEvent>(StreamEvent{1, "config_error", "{}"}));
  ASSERT_TRUE(Eventually([&] { return notifier.counts(0).failed == 1; }));
  ASSERT_TRUE(Eventually([&] { return notifier.counts(1).failed == 1; }));
  EXPECT_EQ(refusing.bodies().size(), 1u);
  // Four tries of the unreachable one, three pauses between them.
  EXPECT_THAT(pauses.pauses(), ElementsAre(0.5, 1.0, 2.0));
  EXPECT_EQ(notifier.counts(1).sent, 0u);
  EXPECT_THAT(notifier.MetricsText(),
              HasSubstr("maiev_notify_failed_total{url=\"" + unreachable + "\"} 1\n"));
}

TEST(Notifier, ASlowReceiverBlocksNoPublisherAndItsBoundedQueueDropsTheOldest) {
  Receiver slow;
  slow.Hold();
  EventHub hub;
  Notifier notifier({.targets = {Target(slow.Url())},
                     .timeout = Duration{60.0},  // held far longer than any test waits
                     .queue_capacity = 3});
  hub.AddListener(notifier);
  hub.PublishJson("decision", "{}");  // 1: in flight, held
  ASSERT_TRUE(Eventually([&] { return slow.in_flight() == 1; }));
  // Published while the receiver holds the first: each returns at once; 2 to 7 are pushed out.
  for (int i = 2; i <= 10; ++i) hub.PublishJson("decision", "{}");
  EXPECT_EQ(notifier.counts(0).dropped, 6u);
  EXPECT_EQ(notifier.counts(0).sent, 0u);
  slow.Release();
  ASSERT_TRUE(Eventually([&] { return notifier.counts(0).sent == 4; }));
  EXPECT_THAT(slow.Ids(), ElementsAre(1, 8, 9, 10));
  EXPECT_THAT(notifier.MetricsText(),
              HasSubstr("maiev_notify_dropped_total{url=\"" + slow.Url() + "\"} 6\n"));
}

TEST(Notifier, StoppingAbandonsAPostInFlight) {
  Receiver slow;
  slow.Hold();
  auto notifier = std::make_unique<Notifier>(
      NotifierOptions{.targets = {Target(slow.Url())}, .timeout = Duration{60.0}});
  notifier->Deliver(std::make_shared<const StreamEvent>(StreamEvent{1, "plan", "{}"}));
  ASSERT_TRUE(Eventually([&] { return slow.in_flight() == 1; }));
  const auto started = SteadyClock::now();
  notifier.reset();
  EXPECT_LT(SteadyClock::now() - started, std::chrono::seconds(3));
}

}  // namespace
}  // namespace maiev::api
