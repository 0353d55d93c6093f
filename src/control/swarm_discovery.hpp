// The start-up listing of the swarm's services, retried while Docker is unreachable: Docker
// absent at start is normal in a swarm, so it is waited for, with a backoff and a quiet log.
#pragma once

#include <chrono>
#include <functional>

#include "common/backoff.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/sleep.hpp"
#include "control/autoscaler.hpp"

namespace maiev::control {

// 1 s after the first failure, doubling, at most 30 s between two attempts; no limit on their
// number.
inline constexpr BackoffPolicy kDiscoveryBackoff{0, std::chrono::seconds{1},
                                                 std::chrono::seconds{30}};

// Each attempt's outcome and its time (what /readyz shows of Docker).
using AttemptObserver = std::function<void(const Status& outcome, TimePoint at)>;

// Calls autoscaler.Discover() until it works (true) or `wait` returns false (false). After a
// failure, waits per `backoff`; logs one warning when Docker is unreachable, a reminder every
// orchestrator::kOutageReminderInterval while it stays so (debug lines in between), and one line
// when it is back (orchestrator::OutageLog).
bool DiscoverServices(Autoscaler& autoscaler, const Clock& clock, const BackoffPolicy& backoff,
                      const WaitFunction& wait, const AttemptObserver& on_attempt = {});

}  // namespace maiev::control
