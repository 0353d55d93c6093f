// Time is injected: only SystemClock reads the real clock, so code with `since`, cool-downs or
// polling loops is tested with ManualClock and no test sleeps.
#pragma once

#include <chrono>

namespace maiev {

using WallClock = std::chrono::system_clock;
using TimePoint = WallClock::time_point;
using Duration = std::chrono::duration<double>;  // seconds, fractional

// Thread-safe implementations only.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return WallClock::now(); }
};

// A clock that moves only when told to. Not thread-safe: for single-threaded tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds{1'700'000'000}})
      : now_(start) {}
  TimePoint Now() const override { return now_; }
  void Advance(Duration d) { now_ += std::chrono::duration_cast<WallClock::duration>(d); }
  void Set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

inline double SecondsBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace maiev
