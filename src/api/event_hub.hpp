// The live event stream behind GET /api/v1/events (docs/OPERATIONS.md, "The event stream"): the
// hub numbers the events the control loops publish (ids from 1 in each run of the process, one
// more for each event), keeps the latest in a ring for clients that resume, and hands each to its
// subscribers (the stream's clients) and listeners (the --notify-url notifier).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "control/events.hpp"

namespace maiev::api {

// The events kept for clients that resume (Last-Event-ID): at the default 1 s interval the cycle
// summaries alone span 17 minutes; a few MiB at most (a decision with its explanation is a few
// KiB).
inline constexpr std::size_t kEventRingCapacity = 1024;
// How far a client may fall behind (events published, not yet written to it) before it is
// dropped; it resumes from the ring when it reconnects.
inline constexpr std::size_t kEventClientQueueCapacity = 256;
// Clients of the stream at once; one more is answered 503. Each holds an HTTP thread.
inline constexpr std::size_t kMaxEventClients = 128;
// How long a stream stays silent before it sends a comment line (proxies and browsers close a
// connection that looks dead).
inline constexpr std::chrono::milliseconds kEventKeepalive{15'000};

// What a client is sent while no event comes: an SSE comment, ignored by EventSource.
inline constexpr std::string_view kSseKeepalive = ": keepalive\n\n";

// One numbered event; `data` is its JSON (event_json.hpp) on one line.
struct StreamEvent {
  std::uint64_t id = 0;
  std::string type;
  std::string data;
};
// Immutable once numbered, so shared: the ring, every subscriber's queue and every listener hold
// the same copy.
using StreamEventPtr = std::shared_ptr<const StreamEvent>;

// `id: N\nevent: TYPE\ndata: DATA\n\n`, the Server-Sent Events framing of one event.
std::string SseFrame(const StreamEvent& event);

// Gets every event the hub numbers, in id order (e.g. the notifier).
class EventListener {
 public:
  virtual ~EventListener() = default;
  // Called under the hub's lock, from the publishing thread: it must only enqueue.
  virtual void Deliver(const StreamEventPtr& event) = 0;
  // Its lines of /metrics (Prometheus text); none by default.
  virtual std::string MetricsText() const { return {}; }
};

class EventHub;

// One client of the stream: first the kept events after its resume point, then each event
// published while it is subscribed, of its types only. Thread-safe. Destroying it unsubscribes;
// it must not outlive its hub.
class EventSubscription {
 public:
  ~EventSubscription();
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;

  // The events not taken yet, oldest first, waiting up to `wait` for one. Empty when none came in
  // time, or when the subscription has ended.
  std::vector<StreamEventPtr> Take(std::chrono::milliseconds wait);
  // Whether it ended: dropped (it fell kEventClientQueueCapacity events behind) or closed (the
  // hub closed its subscriptions). An ended subscription gets no more events.
  bool ended() const;
  bool dropped() const;

 private:
  friend class EventHub;
  enum class End { kNone, kDropped, kClosed };

  EventSubscription(EventHub& hub, std::set<std::string> types, std::size_t capacity,
                    std::vector<StreamEventPtr> replay);
  bool Wants(const StreamEvent& event) const;
  // Queues a live event; false when that dropped the subscription (its queue was full).
  // REQUIRES: the hub's mutex held.
  bool Offer(const StreamEventPtr& event);
  void Finish(End why);

  EventHub& hub_;
  const std::set<std::string> types_;  // empty: every type
  const std::size_t capacity_;
  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable ready_;
  std::vector<StreamEventPtr> replay_;  // taken first; not counted against capacity_
  std::deque<StreamEventPtr> queue_;    // live events not taken yet
  End end_ = End::kNone;
};

struct EventHubLimits {
  std::size_t ring = kEventRingCapacity;
  std::size_t client_queue = kEventClientQueueCapacity;
  std::size_t max_clients = kMaxEventClients;
};

// Thread-safe. Publish never blocks on a client: it appends to the ring and to each subscriber's
// bounded queue under mutex_ (a subscriber whose queue is full is dropped, not waited for), and
// hands the event to the listeners, which only enqueue.
class EventHub final : public control::EventSink {
 public:
  explicit EventHub(EventHubLimits limits = {});
  ~EventHub() override;  // REQUIRES: no subscription left
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The event as JSON, numbered and handed out.
  void Publish(control::Event event) override;
  // Numbers an event of `type` whose JSON is `data` (one line) and hands it out; returns its id.
  std::uint64_t PublishJson(std::string type, std::string data);

  // `listener` gets every event published from now on; it must outlive the hub.
  void AddListener(EventListener& listener);

  // A new client of the types in `types` (empty: all). With `after`, the events kept whose id is
  // greater come first: all those kept when `after` is older than the ring (the client missed
  // some), and also when `after` is beyond the newest id (an id of an earlier run of the daemon).
  // Error "unavailable" when it already has max_clients, or after CloseSubscriptions.
  Result<std::unique_ptr<EventSubscription>> Subscribe(std::optional<std::uint64_t> after,
                                                       std::set<std::string> types);
  // Ends every subscription and refuses new ones (the API stops); publishing goes on for the
  // listeners and the ring.
  void CloseSubscriptions();

  std::size_t clients() const;
  // /metrics: maiev_event_stream_clients, maiev_events_total{type},
  // maiev_event_stream_dropped_total, then the listeners' lines.
  std::string MetricsText() const;

 private:
  friend class EventSubscription;
  void Unsubscribe(const EventSubscription* subscription);

  const EventHubLimits limits_;
  mutable std::mutex mutex_;  // guards what follows
  std::uint64_t next_id_ = 1;
  std::deque<StreamEventPtr> ring_;                 // the latest limits_.ring events
  std::vector<EventSubscription*> subscriptions_;   // not owned: each unsubscribes when destroyed
  std::vector<EventListener*> listeners_;           // not owned
  std::map<std::string, std::uint64_t> published_;  // events by type
  std::uint64_t dropped_ = 0;                       // subscriptions dropped for falling behind
  bool closed_ = false;
};

}  // namespace maiev::api
