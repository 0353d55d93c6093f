#include "api/event_hub.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "api/event_json.hpp"

namespace maiev::api {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr milliseconds kNoWait{0};

// The ids of what a subscription has now, without waiting.
std::vector<std::uint64_t> Ids(EventSubscription& subscription) {
  std::vector<std::uint64_t> ids;
  for (const StreamEventPtr& event : subscription.Take(kNoWait)) ids.push_back(event->id);
  return ids;
}

void PublishN(EventHub& hub, int n, const std::string& type = "cycle") {
  for (int i = 0; i < n; ++i) hub.PublishJson(type, "{}");
}

std::unique_ptr<EventSubscription> Subscribe(EventHub& hub,
                                             std::optional<std::uint64_t> after = std::nullopt,
                                             std::set<std::string> types = {}) {
  auto subscribed = hub.Subscribe(after, std::move(types));
  EXPECT_TRUE(subscribed.ok());
  return subscribed.ok() ? std::move(*subscribed) : nullptr;
}

class RecordingListener final : public EventListener {
 public:
  void Deliver(const StreamEventPtr& event) override { ids.push_back(event->id); }
  std::string MetricsText() const override { return "listener_line 1\n"; }
  std::vector<std::uint64_t> ids;  // the hub calls Deliver under its lock: no mutex needed here
};

TEST(EventHub, NumbersEventsFromOneAndFramesThemAsServerSentEvents) {
  EventHub hub;
  auto subscription = Subscribe(hub);
  EXPECT_EQ(hub.PublishJson("plan", R"({"id":1})"), 1u);
  EXPECT_EQ(hub.PublishJson("step", R"({"plan":1})"), 2u);
  const auto events = subscription->Take(kNoWait);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(SseFrame(*events[0]), "id: 1\nevent: plan\ndata: {\"id\":1}\n\n");
  EXPECT_EQ(events[1]->type, "step");
  EXPECT_TRUE(subscription->Take(kNoWait).empty());
  EXPECT_FALSE(subscription->ended());
}

TEST(EventHub, PublishesTheLoopsEventsAsOneLineOfJson) {
  EventHub hub;
  auto subscription = Subscribe(hub);
  hub.Publish(control::ServiceEvent{"worker", control::ServiceChange::kPaused});
  hub.Publish(control::PlanEvent{3, store::RunState::kFailed, "step 1 failed:\nrolled back"});
  const auto events = subscription->Take(kNoWait);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]->type, "service");
  EXPECT_EQ(events[0]->data, R"({"change":"paused","service":"worker"})");
  EXPECT_EQ(events[1]->type, "plan");
  EXPECT_EQ(events[1]->data.find('\n'), std::string::npos) << events[1]->data;
  EXPECT_EQ(nlohmann::json::parse(events[1]->data)["reason"], "step 1 failed:\nrolled back");
}

TEST(EventHub, KeepsOnlyTheLatestEventsInItsRing) {
  EventHub hub({.ring = 3});
  PublishN(hub, 5);
  auto all = Subscribe(hub, 0);
  EXPECT_THAT(Ids(*all), ElementsAre(3, 4, 5));
}

TEST(EventHub, AResumingClientGetsWhatFollowedItsIdThenLiveEventsWithoutDuplicates) {
  EventHub hub;
  PublishN(hub, 5);
  auto resumed = Subscribe(hub, 3);
  PublishN(hub, 1);
  EXPECT_THAT(Ids(*resumed), ElementsAre(4, 5, 6));
  PublishN(hub, 1);
  EXPECT_THAT(Ids(*resumed), ElementsAre(7));
  // Without a resume point: live events only.
  auto fresh = Subscribe(hub);
  PublishN(hub, 1);
  EXPECT_THAT(Ids(*fresh), ElementsAre(8));
  // Resuming at the newest: nothing to replay.
  auto current = Subscribe(hub, 8);
  EXPECT_TRUE(Ids(*current).empty());
}

TEST(EventHub, AnIdOlderThanTheRingStartsWithTheOldestKept) {
  EventHub hub({.ring = 3});
  PublishN(hub, 10);
  auto late = Subscribe(hub, 2);
  EXPECT_THAT(Ids(*late), ElementsAre(8, 9, 10));
}

TEST(EventHub, AnIdBeyondTheNewestIsOfAnEarlierRunAndGetsEverythingKept) {
  EventHub hub;
  PublishN(hub, 2);
  auto earlier_run = Subscribe(hub, 500);
  EXPECT_THAT(Ids(*earlier_run), ElementsAre(1, 2));
}

TEST(EventHub, FiltersReplayedAndLiveEventsByType) {
  EventHub hub;
  hub.PublishJson("cycle", "{}");
  hub.PublishJson("plan", "{}");
  hub.PublishJson("decision", "{}");
  auto plans = Subscribe(hub, 0, {"plan", "step"});
  hub.PublishJson("cycle", "{}");
  hub.PublishJson("step", "{}");
  EXPECT_THAT(Ids(*plans), ElementsAre(2, 5));
}

TEST(EventHub, ASlowSubscriberIsDroppedWhileOthersKeepGettingEvents) {
  EventHub hub({.client_queue = 4});
  RecordingListener listener;
  hub.AddListener(listener);
  auto slow = Subscribe(hub);
  auto fast = Subscribe(hub);
  std::vector<std::uint64_t> fast_ids;
  // Publish never waits for the slow one, which never takes: far more than its bound is
  // published, and each returns.
  for (int i = 0; i < 1000; ++i) {
    hub.PublishJson("cycle", "{}");
    for (std::uint64_t id : Ids(*fast)) fast_ids.push_back(id);
  }
  EXPECT_TRUE(slow->dropped());
  EXPECT_TRUE(slow->ended());
  EXPECT_TRUE(slow->Take(kNoWait).empty());
  EXPECT_FALSE(fast->ended());
  ASSERT_EQ(fast_ids.size(), 1000u);
  EXPECT_EQ(fast_ids.back(), 1000u);
  EXPECT_EQ(listener.ids.size(), 1000u);
  EXPECT_EQ(hub.clients(), 1u);
  EXPECT_THAT(hub.MetricsText(), HasSubstr("maiev_event_stream_dropped_total 1\n"));
}

TEST(EventHub, RefusesClientsBeyondItsMaximumUntilOneLeaves) {
  EventHub hub({.max_clients = 2});
  auto first = Subscribe(hub);
  auto second = Subscribe(hub);
  auto third = hub.Subscribe(std::nullopt, {});
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, "unavailable");
  EXPECT_THAT(third.error().message, HasSubstr("maximum of 2 clients"));
  first.reset();
  EXPECT_EQ(hub.clients(), 1u);
  EXPECT_TRUE(hub.Subscribe(std::nullopt, {}).ok());
}

TEST(EventHub, ClosingEndsAWaitingSubscriberAtOnceAndRefusesNewOnes) {
  EventHub hub;
  auto subscription = Subscribe(hub);
  std::vector<StreamEventPtr> taken = {nullptr};
  // Waits an hour unless closing wakes it; a hang here is the failure.
  std::thread waiter([&] { taken = subscription->Take(std::chrono::hours{1}); });
  hub.CloseSubscriptions();
  waiter.join();
  EXPECT_TRUE(taken.empty());
  EXPECT_TRUE(subscription->ended());
  EXPECT_FALSE(subscription->dropped());
  EXPECT_EQ(hub.Subscribe(std::nullopt, {}).error().code, "unavailable");
  // Publishing goes on for the listeners.
  RecordingListener listener;
  hub.AddListener(listener);
  hub.PublishJson("plan", "{}");
  EXPECT_THAT(listener.ids, ElementsAre(1));
}

TEST(EventHub, MetricsCountClientsEventsByTypeAndTheListenersLines) {
  EventHub hub;
  RecordingListener listener;
  hub.AddListener(listener);
  auto subscription = Subscribe(hub);
  hub.PublishJson("decision", "{}");
  hub.PublishJson("decision", "{}");
  const std::string text = hub.MetricsText();
  EXPECT_THAT(text, HasSubstr("maiev_event_stream_clients 1\n"));
  EXPECT_THAT(text, HasSubstr("maiev_events_total{type=\"decision\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("maiev_events_total{type=\"cycle\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("listener_line 1\n"));
}

TEST(EventJson, GivesEachEventItsTypeAndData) {
  store::DecisionRecord decision;
  decision.id = 7;
  decision.service = "worker";
  decision.old_replicas = 1;
  decision.new_replicas = 3;
  decision.reason = "1 → 3: scale_up";
  const control::Event events[] = {
      control::DecisionEvent{decision},
      control::ServiceEvent{"worker", control::ServiceChange::kConfigChanged},
      control::ConfigErrorEvent{"broken", {"max: min (5) > max (2)"}},
      control::PlanEvent{2, store::RunState::kRunning, "new versions: a 1 → 2"},
      control::StepEvent{2, 0, "a", "", "2.0.0", store::RunState::kFailed, "rolled back"},
      control::CycleEvent{TimePoint{} + std::chrono::seconds{1'700'000'000}, 1.5, 4, 1}};
  std::vector<std::string_view> types;
  for (const control::Event& event : events) types.push_back(EventType(event));
  EXPECT_EQ(types, std::vector<std::string_view>(kEventTypes.begin(), kEventTypes.end()));

  const nlohmann::json d = EventData(events[0]);
  EXPECT_EQ(d["id"], 7);
  EXPECT_EQ(d["direction"], "up");
  EXPECT_EQ(d["reason"], "1 → 3: scale_up");
  EXPECT_EQ(EventData(events[1]),
            (nlohmann::json{{"service", "worker"}, {"change", "config_changed"}}));
  EXPECT_EQ(EventData(events[2]),
            (nlohmann::json{{"service", "broken"}, {"errors", {"max: min (5) > max (2)"}}}));
  EXPECT_EQ(EventData(events[3]),
            (nlohmann::json{{"id", 2}, {"state", "running"}, {"reason", "new versions: a 1 → 2"}}));
  EXPECT_EQ(EventData(events[4]), (nlohmann::json{{"plan", 2},
                                                  {"index", 0},
                                                  {"service", "a"},
                                                  {"from", nullptr},
                                                  {"to", "2.0.0"},
                                                  {"state", "failed"},
                                                  {"error", "rolled back"}}));
  EXPECT_EQ(EventData(events[5]), (nlohmann::json{{"time", "2023-11-14T22:13:20.000Z"},
                                                  {"duration_ms", 1.5},
                                                  {"services", 4},
                                                  {"decisions", 1}}));
}

}  // namespace
}  // namespace maiev::api
