#include "control/swarm_discovery.hpp"

#include <spdlog/spdlog.h>

#include "orchestrator/outage_log.hpp"

namespace maiev::control {

bool DiscoverServices(Autoscaler& autoscaler, const Clock& clock, const BackoffPolicy& backoff,
                      const WaitFunction& wait, const AttemptObserver& on_attempt) {
  orchestrator::OutageLog outage("Docker");
  for (;;) {
    const Status discovered = autoscaler.Discover();
    const TimePoint now = clock.Now();
    if (on_attempt) on_attempt(discovered, now);
    if (discovered.ok()) {
      if (auto line = outage.Succeeded(now)) orchestrator::Write(*line);
      return true;
    }
    const Duration pause = backoff.Delay(outage.failures() + 1);
    orchestrator::Write(outage.Failed(now, discovered.error(), pause));
    if (!wait(pause)) return false;
  }
}

}  // namespace maiev::control
