#include "api/event_hub.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

#include "api/event_json.hpp"
#include "api/http_replies.hpp"

namespace maiev::api {

std::string SseFrame(const StreamEvent& event) {
  std::string frame;
  frame.reserve(event.data.size() + event.type.size() + 32);
  frame += "id: ";
  frame += std::to_string(event.id);
  frame += "\nevent: ";
  frame += event.type;
  frame += "\ndata: ";
  frame += event.data;
  frame += "\n\n";
  return frame;
}

EventSubscription::EventSubscription(EventHub& hub, std::set<std::string> types,
                                     std::size_t capacity, std::vector<StreamEventPtr> replay)
    : hub_(hub), types_(std::move(types)), capacity_(capacity), replay_(std::move(replay)) {}

EventSubscription::~EventSubscription() { hub_.Unsubscribe(this); }

bool EventSubscription::Wants(const StreamEvent& event) const {
  return types_.empty() || types_.contains(event.type);
}

bool EventSubscription::Offer(const StreamEventPtr& event) {
  if (!Wants(*event)) return true;
  bool kept = true;
  {
    std::lock_guard lock(mutex_);
    if (end_ != End::kNone) return true;
    if (queue_.size() >= capacity_) {
      end_ = End::kDropped;
      queue_.clear();
      replay_.clear();
      kept = false;
    } else {
      queue_.push_back(event);
    }
  }
  ready_.notify_all();
  return kept;
}

void EventSubscription::Finish(End why) {
  {
    std::lock_guard lock(mutex_);
    if (end_ == End::kNone) end_ = why;
    queue_.clear();
    replay_.clear();
  }
  ready_.notify_all();
}

std::vector<StreamEventPtr> EventSubscription::Take(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, wait,
                  [this] { return end_ != End::kNone || !replay_.empty() || !queue_.empty(); });
  if (end_ != End::kNone) return {};
  std::vector<StreamEventPtr> out = std::move(replay_);
  replay_.clear();
  out.insert(out.end(), queue_.begin(), queue_.end());
  queue_.clear();
  return out;
}

bool EventSubscription::ended() const {
  std::lock_guard lock(mutex_);
  return end_ != End::kNone;
}

bool EventSubscription::dropped() const {
  std::lock_guard lock(mutex_);
  return end_ == End::kDropped;
}

EventHub::EventHub(EventHubLimits limits) : limits_(limits) {
  for (std::string_view type : kEventTypes) published_[std::string(type)] = 0;
}

EventHub::~EventHub() = default;

void EventHub::Publish(control::Event event) {
  // A service name or an error text need not be UTF-8: replaced, never thrown at a control loop.
  std::string data =
      EventData(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  PublishJson(std::string(EventType(event)), std::move(data));
}

std::uint64_t EventHub::PublishJson(std::string type, std::string data) {
  std::lock_guard lock(mutex_);
  auto event = std::make_shared<const StreamEvent>(
      StreamEvent{next_id_++, std::move(type), std::move(data)});
  ++published_[event->type];
  ring_.push_back(event);
  if (ring_.size() > limits_.ring) ring_.pop_front();
  // A subscriber whose queue is full is dropped here (never waited for); it ends its stream.
  std::erase_if(subscriptions_, [this, &event](EventSubscription* subscription) {
    if (subscription->Offer(event)) return false;
    ++dropped_;
    return true;
  });
  for (EventListener* listener : listeners_) listener->Deliver(event);
  return event->id;
}

void EventHub::AddListener(EventListener& listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(&listener);
}

Result<std::unique_ptr<EventSubscription>> EventHub::Subscribe(std::optional<std::uint64_t> after,
                                                               std::set<std::string> types) {
  std::lock_guard lock(mutex_);
  if (closed_) return Fail("unavailable", "the event stream is closed: maiev is stopping");
  if (subscriptions_.size() >= limits_.max_clients) {
    return Fail("unavailable", "the event stream has its maximum of " +
                                   std::to_string(limits_.max_clients) +
                                   " clients; try again later");
  }
  std::vector<StreamEventPtr> replay;
  if (after) {
    // An id beyond the newest was given by an earlier run (ids restart at 1): all is new to it.
    const std::uint64_t from = *after >= next_id_ ? 0 : *after;
    for (const StreamEventPtr& event : ring_) {
      if (event->id > from && (types.empty() || types.contains(event->type))) {
        replay.push_back(event);
      }
    }
  }
  std::unique_ptr<EventSubscription> subscription(
      new EventSubscription(*this, std::move(types), limits_.client_queue, std::move(replay)));
  subscriptions_.push_back(subscription.get());
  return subscription;
}

void EventHub::Unsubscribe(const EventSubscription* subscription) {
  std::lock_guard lock(mutex_);
  std::erase(subscriptions_, subscription);
}

void EventHub::CloseSubscriptions() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (EventSubscription* subscription : subscriptions_) {
    subscription->Finish(EventSubscription::End::kClosed);
  }
  subscriptions_.clear();
}

std::size_t EventHub::clients() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

std::string EventHub::MetricsText() const {
  std::ostringstream out;
  std::vector<const EventListener*> listeners;
  {
    std::lock_guard lock(mutex_);
    out << "# HELP maiev_event_stream_clients Clients following GET /api/v1/events.\n"
           "# TYPE maiev_event_stream_clients gauge\n"
        << "maiev_event_stream_clients " << subscriptions_.size() << "\n"
        << "# HELP maiev_event_stream_dropped_total Stream clients dropped for falling behind.\n"
           "# TYPE maiev_event_stream_dropped_total counter\n"
        << "maiev_event_stream_dropped_total " << dropped_ << "\n"
        << "# HELP maiev_events_total Events published, by type.\n"
           "# TYPE maiev_events_total counter\n";
    for (const auto& [type, count] : published_) {
      out << "maiev_events_total{type=\"" << PrometheusLabel(type) << "\"} " << count << "\n";
    }
    listeners.assign(listeners_.begin(), listeners_.end());
  }
  for (const EventListener* listener : listeners) out << listener->MetricsText();
  return out.str();
}

}  // namespace maiev::api
