// A latency accuracy trial against a real broker: publishes at a known rate to a queue drained by
// consumers with a known work time, runs the RabbitMQ monitor on it, and compares the monitor's
// latency with the truth. Shared by the integration test and the benchmark.
//
// The truth: the trial counts what it published (P) and reads the queue's ready count (W) by a
// passive declare, so work done between two instants is ΔP − ΔW (± the few messages in work),
// with no broker statistics involved; the service rate μ is that over the measured period, and a
// sample's true drain time is its waiting / μ.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "monitor/rabbitmq_monitor.hpp"

namespace maiev::tools {

struct LatencyTrialOptions {
  std::string queue;         // declared, used and deleted by the trial
  double publish_rate = 40;  // messages/s
  int consumers = 1;         // each with prefetch 1, acknowledging after its work
  Duration work{0.05};       // seconds per message
  Duration warmup{25.0};     // before samples count: the rate window fills
  Duration measure{30.0};    // samples taken over this long
  Duration sample_every{0.25};
  monitor::RabbitMqConfig monitor;  // broker settings, intervals, window
};

struct LatencySample {
  double at = 0;  // seconds since the measurement began
  double waiting = 0;
  std::optional<double> latency;  // the monitor's; null when missing
  bool stalled = false;
};

struct LatencyTrialResult {
  std::vector<LatencySample> samples;  // those taken while messages waited
  double service_rate = 0;             // μ, messages/s, measured as described above
  double publish_rate = 0;             // achieved, messages/s

  // Fraction of samples with a (finite) latency.
  double Availability() const;
  // |latency / (waiting / μ) − 1| of each sample with a latency.
  std::vector<double> RelativeErrors() const;
};

// Runs one trial (warm-up + measurement + clean-up); error when the broker cannot be reached or
// a session fails.
Result<LatencyTrialResult> RunLatencyTrial(const LatencyTrialOptions& options);

}  // namespace maiev::tools
