// The one interruptible sleep: loops that poll or retry (the autoscaling cycles, the engine event
// stream's reconnects, the monitor's sampling) wait with it, so a stop request ends the wait at
// once instead of after it. Code whose waits are tested is given a WaitFunction instead, so its
// tests advance a ManualClock and never sleep.
#pragma once

#include <functional>
#include <stop_token>

#include "common/clock.hpp"

namespace maiev {

// Waits `d` of real time, or less when `stop` is requested: false then, also when it was
// requested before the call. A `d` of zero or less returns at once. Thread-safe.
bool SleepFor(Duration d, const std::stop_token& stop);

// A wait a loop is given: waits `d`, or less when the loop is to stop (false then). On return the
// loop's clock has moved by `d`: in `maiev serve`, SleepFor on the loop's stop token; in a test,
// a ManualClock advanced by `d`.
using WaitFunction = std::function<bool(Duration d)>;

}  // namespace maiev
