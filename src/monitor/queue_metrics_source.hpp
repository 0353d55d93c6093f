// The role the daemon depends on: something that samples queues and answers with their SPEC §2
// metrics. The RabbitMQ implementation is RabbitMqMonitor; tests of the daemon use a fake.
#pragma once

#include <map>
#include <set>
#include <string>

#include "common/clock.hpp"
#include "monitor/metrics.hpp"

namespace maiev::monitor {

// Implementations are thread-safe: Track and Snapshot may be called from any thread.
class QueueMetricsSource {
 public:
  virtual ~QueueMetricsSource() = default;

  // Replaces the set of queues (names in the source's vhost) to sample. Queues no longer tracked
  // are forgotten; newly tracked ones have missing metrics until their first sample.
  virtual void Track(std::set<std::string> queues) = 0;

  // The metrics of every tracked queue as of `now`. A queue without a fresh sample maps to
  // metrics that are all missing (QueueMetrics::HasAnyMetric() is false).
  virtual std::map<std::string, QueueMetrics> Snapshot(TimePoint now) const = 0;
};

}  // namespace maiev::monitor
