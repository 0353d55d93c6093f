// Outbound notifications (`maiev serve --notify-url URL`, docs/OPERATIONS.md): each event of the
// stream of a notified type is POSTed as JSON {"id", "type", "data"} to every URL, each URL with
// its own thread and bounded queue, retried with a backoff; nothing waits for a receiver.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/event_hub.hpp"
#include "common/backoff.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace maiev::api {

// One POST, from connecting to the receiver's answer.
inline constexpr Duration kNotifyTimeout{5.0};
// Tries of one event: the first and 3 retries, after 0.5 s, 1 s and 2 s. A receiver that answers
// 408, 429 or 5xx, or cannot be reached, is retried; any other answer but 2xx is final.
inline constexpr BackoffPolicy kNotifyRetry{4, Duration{0.5}, Duration{2.0}, 2.0};
// Events waiting for one receiver; when it is full the oldest is dropped (and counted).
inline constexpr std::size_t kNotifyQueueCapacity = 1000;

// The types sent unless told otherwise: what an operator acts on, not the per-cycle summary nor
// the service changes (the stream has those).
std::set<std::string> DefaultNotifyTypes();

// A checked --notify-url.
struct NotifyTarget {
  std::string url;    // as given (it may carry credentials)
  std::string label;  // without userinfo, query and fragment: what logs and /metrics show
  std::vector<std::string> secrets;  // the userinfo and query, masked in any message
};

// `url` without userinfo, query and fragment (text between "://" and "@", from "?" or "#" on).
std::string UrlWithoutSecrets(std::string_view url);

// Checks a --notify-url: an absolute http or https URL with a host. Error "invalid" saying what is
// wrong and what is accepted, showing the URL without its credentials.
Result<NotifyTarget> ParseNotifyUrl(std::string_view url);

struct NotifierOptions {
  std::vector<NotifyTarget> targets;
  std::set<std::string> types = DefaultNotifyTypes();
  Duration timeout = kNotifyTimeout;
  BackoffPolicy retry = kNotifyRetry;
  std::size_t queue_capacity = kNotifyQueueCapacity;
  // The pause between two tries, ended early (false) when the notifier stops; empty: SleepFor.
  // Tests give one that returns at once.
  std::function<bool(Duration, const std::stop_token&)> wait = nullptr;
};

// Thread-safe. Deliver only enqueues; one thread per target POSTs (libcurl). Destroying it stops
// the threads: a POST in flight is abandoned, queued events are not sent.
class Notifier final : public EventListener {
 public:
  explicit Notifier(NotifierOptions options);
  ~Notifier() override;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void Deliver(const StreamEventPtr& event) override;
  // maiev_notify_sent_total, maiev_notify_failed_total, maiev_notify_dropped_total by `url`
  // (the target's label).
  std::string MetricsText() const override;

  struct Counts {
    std::uint64_t sent = 0;     // delivered: the receiver answered 2xx
    std::uint64_t failed = 0;   // given up: a final answer, or every try failed
    std::uint64_t dropped = 0;  // pushed out of a full queue, never tried
  };
  // The counts of targets[index] (NotifierOptions::targets).
  Counts counts(std::size_t index) const;

 private:
  struct Target {
    explicit Target(NotifyTarget to) : where(std::move(to)) {}
    const NotifyTarget where;
    mutable std::mutex mutex;  // guards queue, counts and dropping
    std::condition_variable_any ready;
    std::deque<StreamEventPtr> queue;
    Counts counts;
    bool dropping = false;  // events were dropped since the last delivery (logged once)
    std::jthread thread;    // last: stopped and joined before the rest is destroyed
  };

  void Run(Target& target, const std::stop_token& stop);
  // Tries `event` as the retry policy allows; true when delivered.
  bool Send(const Target& target, const StreamEvent& event, const std::stop_token& stop) const;

  const NotifierOptions options_;
  std::vector<std::unique_ptr<Target>> targets_;  // a Target holds a mutex: not movable
};

}  // namespace maiev::api
