// The samples of a service's last cycles (its chart of the last 15 minutes), kept compact: at
// 10,000 services and one cycle a second, 900 HistorySamples each would take about 1.5 GB.
//
// A sample's time is kept once for all services (SampleTimes: the services sampled in one cycle
// share its time), and each history knows the times of its samples as runs of consecutive time
// numbers — one run while it is sampled every cycle. What a sample shows — replicas, running
// tasks, the triggers and each resource's metrics — is stored once per run of cycles that showed
// the same, so a service whose numbers do not move costs next to nothing a cycle, and one whose
// numbers change every cycle about 24 + 24 per resource. Metrics are kept as floats: integers up
// to 16,777,216 exactly, other values to the float's 7 significant digits, read back as the
// shortest decimal that is that float (12.3 stays 12.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.hpp"
#include "control/ring_buffer.hpp"
#include "control/service_status.hpp"

namespace maiev::control {

// The times of the samples of many histories, each kept once. Not thread-safe (the autoscaler
// keeps it under its lock, with the histories).
class SampleTimes {
 public:
  // Keeps the latest `capacity` times.
  explicit SampleTimes(std::size_t capacity);

  // The number of `time`: the latest one's when it is that time, else the next number.
  std::uint64_t Number(TimePoint time);
  // nullopt when `number` was forgotten (or not given yet).
  std::optional<TimePoint> TimeOf(std::uint64_t number) const;

 private:
  std::size_t capacity_;
  std::uint64_t front_ = 0;  // the number of times_[0]
  RingBuffer<TimePoint> times_;
};

class SampleHistory {
 public:
  explicit SampleHistory(std::size_t capacity);

  // Appends a sample, its time numbered in `times`, dropping the oldest beyond the capacity.
  // Times are expected in order; one before the previous is kept where it is given (the samples
  // are then not sorted).
  void Push(const HistorySample& sample, SampleTimes& times);
  // The samples at or after `since`, oldest first, as they were pushed (to the precision above);
  // a sample whose time `times` forgot is left out. `times` is the one given to Push.
  std::vector<HistorySample> Since(TimePoint since, const SampleTimes& times) const;
  // The samples keep their replicas and triggers but no resource's metrics (the resources changed).
  void ForgetResources();

  std::size_t size() const { return count_; }
  std::size_t runs() const { return runs_.size(); }

 private:
  // One resource's metrics, NaN for a metric absent; `present` false: no fresh metrics.
  struct PackedResource {
    float waiting, latency, consumers, call_rate, exec_rate;
    bool present;
  };
  // What consecutive samples showed alike, from sample number `first` on.
  struct Run {
    std::uint64_t first;
    std::uint32_t replicas;
    std::uint32_t running;  // kNoValue: unknown
    bool scale_up, scale_down;
    std::uint32_t resources;  // how many of resources_ follow the previous runs' ones
  };
  // From sample number `first` on, the samples have consecutive time numbers from `time`.
  struct TimeRun {
    std::uint64_t first;
    std::uint64_t time;
  };

  static constexpr std::uint32_t kNoValue = UINT32_MAX;

  bool SameAsLast(const Run& run, const std::vector<PackedResource>& resources) const;
  void PopFront();

  std::size_t capacity_;
  std::uint64_t front_ = 0;  // the number of the oldest sample kept
  std::size_t count_ = 0;    // samples kept
  RingBuffer<TimeRun> time_runs_;
  RingBuffer<Run> runs_;
  RingBuffer<PackedResource> resources_;  // the runs' resources, in the runs' order
};

}  // namespace maiev::control
