// Message rates of one queue from the broker's cumulative counters over a sliding window of
// listings (SPEC §2), like Prometheus' rate(): increases summed over consecutive samples, a
// counter that goes down counted as restarted from 0. Pure: no I/O, no clock.
//
// Why not the broker's own `*_details.rate`: the management database refreshes a queue's
// counters once per sample-retention granularity (5 s by default), and its instantaneous rate is
// non-zero only in the listings taken right after a refresh, 0.0 in the ones between. A poller
// whose interval is commensurate with the refresh locks into one phase and sees rates always or
// never. The counters themselves never lose information; only their timing is coarse.
//
// Timing: a counter's new value is first seen by the first listing after the broker refreshed
// it, so a listing's time runs late by up to one polling interval. The rate is taken between the
// first and the last listing that showed the counter change (both late by the same bounded
// amount), so neither the refresh period nor the polling phase biases it; once the counter has
// stood still for longer than the longest gap between its changes in the window, it has stopped
// and the time since its last change counts too (the rate decays to 0 over the window).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.hpp"

namespace maiev::monitor {

// A queue's cumulative counters as one listing showed them (message_stats).
struct QueueCounters {
  std::uint64_t published = 0;  // publish: messages routed into the queue
  // Messages whose work is done: ack (acknowledged by a consumer) + deliver_no_ack + get_no_ack
  // (handed out without acknowledgement). Deliveries still unacknowledged (prefetched, in work)
  // are not done: a consumer that takes messages but never finishes them is stuck.
  std::uint64_t done = 0;
  friend bool operator==(const QueueCounters&, const QueueCounters&) = default;
};

struct WindowRates {
  double call_rate = 0;        // messages/s into the queue
  double exec_rate = 0;        // messages/s done (see QueueCounters::done)
  double span = 0;             // seconds between the oldest and the newest listing of the window
  bool covers_window = false;  // the listings span the whole window length
  bool done_any = false;       // `done` moved within the span
  friend bool operator==(const WindowRates&, const WindowRates&) = default;
};

// Not thread-safe; one per queue, owned by the monitor.
class RateWindow {
 public:
  // REQUIRES: length > 0.
  explicit RateWindow(Duration length) : length_(length) {}

  // Adds the counters one listing showed at `at`. Listings older than the window are dropped,
  // except the newest of them, which is where the window starts. A listing older than the newest
  // one already added is ignored.
  void Add(TimePoint at, const QueueCounters& counters);
  // Forgets every listing (the queue is gone).
  void Clear() { samples_.clear(); }

  // The rates over the window; nullopt until two listings are in it.
  std::optional<WindowRates> Rates() const;

  Duration length() const { return length_; }

 private:
  struct Sample {
    TimePoint at;
    QueueCounters counters;
  };
  // Messages/s of one counter (`field` of the samples).
  double RateOf(std::uint64_t QueueCounters::*field) const;

  Duration length_;
  // Oldest first; a handful (window / listing interval + 1), so a vector beats a deque, whose
  // first block alone is 512 bytes — per queue, at 1,000 queues.
  std::vector<Sample> samples_;
};

}  // namespace maiev::monitor
