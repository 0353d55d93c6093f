#include "monitor/rate_window.hpp"

#include <algorithm>

namespace maiev::monitor {
namespace {

// A counter has stopped once it stood still this many times the longest gap between its changes.
constexpr double kStoppedAfterGaps = 1.5;

}  // namespace

void RateWindow::Add(TimePoint at, const QueueCounters& counters) {
  if (!samples_.empty() && at <= samples_.back().at) return;
  samples_.push_back(Sample{at, counters});
  // Keep one listing at or before the window's start, so the window spans its whole length.
  const TimePoint start = at - std::chrono::duration_cast<WallClock::duration>(length_);
  std::size_t drop = 0;
  while (samples_.size() - drop > 2 && samples_[drop + 1].at <= start) ++drop;
  samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(drop));
}

double RateWindow::RateOf(std::uint64_t QueueCounters::*field) const {
  // Increase between listing k-1 and k; a counter that went down restarted from 0.
  const auto increase = [&](std::size_t k) -> std::uint64_t {
    const std::uint64_t before = samples_[k - 1].counters.*field;
    const std::uint64_t now = samples_[k].counters.*field;
    return now >= before ? now - before : now;
  };
  std::size_t first = 0;  // first listing that showed a change (0: none)
  std::size_t last = 0;   // last one
  double longest_gap = 0;
  std::uint64_t total = 0;  // increase after `first`, up to `last`
  for (std::size_t k = 1; k < samples_.size(); ++k) {
    const std::uint64_t d = increase(k);
    if (d == 0) continue;
    if (first == 0) {
      first = k;
    } else {
      total += d;
      longest_gap = std::max(longest_gap, SecondsBetween(samples_[last].at, samples_[k].at));
    }
    last = k;
  }
  if (first == 0) return 0.0;
  const TimePoint newest = samples_.back().at;
  if (first == last) {
    // One change in the window (traffic just began, or the window is short): it happened after
    // the listing before it, and is spread until now.
    return static_cast<double>(increase(first)) / SecondsBetween(samples_[first - 1].at, newest);
  }
  // Still moving: measured between changes. Stopped (stood still half as long again as the
  // longest gap between its changes, so that a refresh running late is not taken for a stop):
  // the time since the last change counts too.
  const bool stopped = SecondsBetween(samples_[last].at, newest) > kStoppedAfterGaps * longest_gap;
  const TimePoint end = stopped ? newest : samples_[last].at;
  return static_cast<double>(total) / SecondsBetween(samples_[first].at, end);
}

std::optional<WindowRates> RateWindow::Rates() const {
  if (samples_.size() < 2) return std::nullopt;
  WindowRates r;
  r.span = SecondsBetween(samples_.front().at, samples_.back().at);
  r.covers_window = r.span >= length_.count();
  r.call_rate = RateOf(&QueueCounters::published);
  r.exec_rate = RateOf(&QueueCounters::done);
  r.done_any = r.exec_rate > 0.0;
  return r;
}

}  // namespace maiev::monitor
