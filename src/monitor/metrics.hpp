// Queue metrics (SPEC §2): the samples the monitor collects and the pure merge that turns them
// into the metrics the rules see. No I/O, no clock: every function takes `now`.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "monitor/rate_window.hpp"
#include "rules/ruleset.hpp"

namespace maiev::monitor {

// Fresh counts from an AMQP passive queue.declare (fast cycle).
struct CountsSample {
  TimePoint sampled_at;
  bool exists = false;
  std::uint64_t waiting = 0;    // messages ready for delivery
  std::uint64_t consumers = 0;  // consumers attached
  friend bool operator==(const CountsSample&, const CountsSample&) = default;
};

// A queue as the management HTTP API lists it (slow cycle). The broker may leave out any field
// (a queue whose process is down has no counts), hence the optionals.
struct StatsSample {
  TimePoint sampled_at;
  bool exists = false;
  std::optional<std::uint64_t> waiting;
  std::optional<std::uint64_t> consumers;
  std::optional<std::uint64_t> unacked;
  // Rates over the monitor's window of listings up to this one (RateWindow); absent until two
  // listings showed the queue.
  std::optional<WindowRates> rates;
  std::optional<TimePoint> head_message_timestamp;  // timestamp property of the oldest ready one
  friend bool operator==(const StatsSample&, const StatsSample&) = default;
};

// The latest samples of one queue; each part carries its own time.
struct QueueSample {
  std::string queue;
  std::optional<CountsSample> counts;
  std::optional<StatsSample> stats;
};

// How old a sample may be before its metrics are treated as missing.
struct StalenessBounds {
  Duration counts{3.0};  // default: 3 × the default 1 s counts interval
  Duration stats{15.0};  // default: 3 × the default 5 s stats interval
};

// The SPEC §2 metrics of one queue at one instant. An empty optional is a missing (null) metric.
struct QueueMetrics {
  std::optional<bool> exists;
  std::optional<double> waiting;
  std::optional<double> latency;    // seconds
  std::optional<double> call_rate;  // messages/s
  std::optional<double> exec_rate;  // messages/s
  std::optional<double> rate;       // messages/s, exec_rate − call_rate
  std::optional<double> consumers;
  std::optional<double> unacked;
  std::optional<double> age;  // seconds
  // Messages wait, consumers are attached, and none was delivered over a full rate window.
  // latency is then +infinity.
  std::optional<bool> stalled;
  // Seconds spanned by the samples the rates were computed from (the rate window's age).
  std::optional<double> rate_window;
  // Times of the samples the metrics were computed from (absent: stale or never sampled).
  std::optional<TimePoint> counts_sampled_at;
  std::optional<TimePoint> stats_sampled_at;
  // Time of the newest sample of the queue, fresh or stale (absent: never sampled), so a caller
  // can say how stale missing metrics are.
  std::optional<TimePoint> newest_sample_at;

  // False when every metric is missing (no fresh sample at all).
  bool HasAnyMetric() const;
  friend bool operator==(const QueueMetrics&, const QueueMetrics&) = default;
};

// Merges the latest samples of a queue as of `now`:
// - a sample older than its bound is ignored (its metrics are missing, never carried over);
// - `exists`, waiting and consumers come from fresh AMQP counts whenever there are some: the
//   broker answers a passive declare from the queue itself, while the management listing shows
//   what the queue last reported to the statistics database (up to one refresh, 5 s by default,
//   late). Without fresh counts they come from the listing; a queue that does not exist yields
//   exists=false, waiting=0, latency=null, rates 0, consumers=0, unacked=0, age=null;
// - unacked, rates and age come from the stats sample only, and only when it saw the queue;
// - latency = waiting / exec_rate: 0 when nothing waits; +infinity when messages wait and
//   nothing was done over the rate window; null only while the rates are unknown (fewer than
//   two listings). Fresh AMQP `waiting` is combined with the last known rates;
// - stalled: messages wait, consumers are attached, and nothing was done over a window that
//   the listings cover entirely; false otherwise (null while the rates are unknown);
// - rate = exec_rate − call_rate; rate_window = the seconds the rates span;
// - age = now − head message timestamp, clamped at 0 (publisher clocks may run ahead); null
//   when the broker does not report it, or when newer counts show no ready message.
QueueMetrics MergeQueueSample(const QueueSample& sample, TimePoint now,
                              const StalenessBounds& bounds);

// The metrics as the rule language reads them: present metrics by their SPEC §2 names; a missing
// metric is left out of the map (the rules read it as null).
rules::ResourceMetrics ToResourceMetrics(const QueueMetrics& metrics);

// Metric rules::kMetricNames[metric] of `metrics`; null when missing. The allocation-free form of
// ToResourceMetrics, for filling a rule set's slots (rules::RuleSet::MetricSlot).
// REQUIRES: metric < rules::kMetricNames.size().
rules::Value MetricValue(const QueueMetrics& metrics, std::size_t metric);

// The JSON of a resource's metrics, as the API serves them and decision records keep them: each
// present metric by its SPEC §2 name (missing ones left out; +infinity as "inf", as
// rules::Value::ToJson writes it), plus `rate_window`, the seconds the rates span.
nlohmann::json MetricsToJson(const QueueMetrics& metrics);
// The inverse of MetricsToJson (the CLI reads the API's answers with it); error "invalid" naming
// the member when one has the wrong type. Unknown members are ignored (a newer daemon).
Result<QueueMetrics> MetricsFromJson(const nlohmann::json& json);

}  // namespace maiev::monitor
