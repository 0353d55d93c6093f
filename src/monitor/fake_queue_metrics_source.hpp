// A QueueMetricsSource for unit tests of code that consumes queue metrics (the daemon's scaling
// loop): metrics are set by the test, not sampled.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "monitor/queue_metrics_source.hpp"

namespace maiev::monitor {

// Thread-safe, like every QueueMetricsSource.
class FakeQueueMetricsSource final : public QueueMetricsSource {
 public:
  // What Snapshot reports for `queue` while it is tracked; `now` is ignored (no staleness here).
  void Set(const std::string& queue, QueueMetrics metrics) {
    std::lock_guard lock(mutex_);
    metrics_.insert_or_assign(queue, metrics);
  }

  std::set<std::string> tracked() const {
    std::lock_guard lock(mutex_);
    return tracked_;
  }

  void Track(std::set<std::string> queues) override {
    std::lock_guard lock(mutex_);
    tracked_ = std::move(queues);
  }

  std::map<std::string, QueueMetrics> Snapshot(TimePoint /*now*/) const override {
    std::lock_guard lock(mutex_);
    std::map<std::string, QueueMetrics> out;
    for (const std::string& q : tracked_) {
      auto it = metrics_.find(q);
      out.emplace(q, it == metrics_.end() ? QueueMetrics{} : it->second);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;  // guards the members below
  std::set<std::string> tracked_;
  std::map<std::string, QueueMetrics> metrics_;
};

}  // namespace maiev::monitor
