// The samples of a service's last cycles (its chart of the last 15 minutes), kept compact: at
// 10,000 services and one cycle a second, 900 HistorySamples each would take about 1.5 GB.
//
// A sample's time takes 4 bytes (milliseconds after a base); what it shows — replicas, running
// tasks, the triggers and each resource's metrics — is stored once per run of cycles that showed
// the same, so a service whose numbers do not move costs 4 bytes a cycle, and one whose numbers
// change every cycle about 24 + 24 per resource. Metrics are kept as floats: integers up to
// 16,777,216 exactly, other values to the float's 7 significant digits, read back as the shortest
// decimal that is that float (12.3 stays 12.3). Times keep whole milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/clock.hpp"
#include "control/service_status.hpp"

namespace maiev::control {

class SampleHistory {
 public:
  explicit SampleHistory(std::size_t capacity);

  // Appends a sample, dropping the oldest beyond the capacity. Times are expected in order; one
  // before the previous is kept where it is given (the samples are then not sorted).
  void Push(const HistorySample& sample);
  // The samples at or after `since`, oldest first, as they were pushed (to the precision above).
  std::vector<HistorySample> Since(TimePoint since) const;
  // The samples keep their replicas and triggers but no resource's metrics (the resources changed).
  void ForgetResources();

  std::size_t size() const { return offsets_.size(); }
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

  static constexpr std::uint32_t kNoValue = UINT32_MAX;

  TimePoint TimeOf(std::size_t i) const;
  // Moves base_ so that `time` gets an offset (rarely: a clock set back, or 24 days of samples).
  void Rebase(TimePoint time);
  bool SameAsLast(const Run& run, const std::vector<PackedResource>& resources) const;
  void PopFront();

  std::size_t capacity_;
  std::uint64_t front_ = 0;  // the number of the oldest sample kept
  TimePoint base_{};
  std::deque<std::uint32_t> offsets_;  // milliseconds after base_, one per sample
  std::deque<Run> runs_;
  std::deque<PackedResource> resources_;  // the runs' resources, in the runs' order
};

}  // namespace maiev::control
