#include "monitor/metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace maiev::monitor {
namespace {

bool IsFresh(TimePoint sampled_at, TimePoint now, Duration bound) {
  return SecondsBetween(sampled_at, now) <= bound.count();
}

std::optional<double> AsNumber(std::optional<std::uint64_t> v) {
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

QueueMetrics NonExistent() {
  QueueMetrics m;
  m.exists = false;
  m.waiting = 0.0;
  m.call_rate = 0.0;
  m.exec_rate = 0.0;
  m.rate = 0.0;
  m.consumers = 0.0;
  m.unacked = 0.0;
  m.stalled = false;
  return m;
}

// Latency, rate and stalled from waiting, consumers and the window's rates (SPEC §2).
void SetDerived(QueueMetrics& m, const std::optional<WindowRates>& rates) {
  if (!rates) return;
  m.call_rate = rates->call_rate;
  m.exec_rate = rates->exec_rate;
  m.rate = rates->exec_rate - rates->call_rate;
  m.rate_window = rates->span;
  if (!m.waiting) return;
  const bool waits = *m.waiting > 0.0;
  if (!waits) {
    m.latency = 0.0;
  } else if (rates->done_any) {
    m.latency = *m.waiting / rates->exec_rate;
  } else {
    m.latency = std::numeric_limits<double>::infinity();
  }
  if (m.consumers) {
    m.stalled = waits && *m.consumers > 0.0 && !rates->done_any && rates->covers_window;
  }
}

}  // namespace

bool QueueMetrics::HasAnyMetric() const {
  return exists || waiting || latency || call_rate || exec_rate || rate || consumers || unacked ||
         age || stalled;
}

QueueMetrics MergeQueueSample(const QueueSample& sample, TimePoint now,
                              const StalenessBounds& bounds) {
  const CountsSample* counts =
      sample.counts && IsFresh(sample.counts->sampled_at, now, bounds.counts) ? &*sample.counts
                                                                              : nullptr;
  const StatsSample* stats = sample.stats && IsFresh(sample.stats->sampled_at, now, bounds.stats)
                                 ? &*sample.stats
                                 : nullptr;
  std::optional<TimePoint> newest;
  if (sample.counts) newest = sample.counts->sampled_at;
  if (sample.stats && (!newest || sample.stats->sampled_at > *newest)) {
    newest = sample.stats->sampled_at;
  }
  if (!counts && !stats) {
    QueueMetrics none;
    none.newest_sample_at = newest;
    return none;
  }

  const bool exists = counts ? counts->exists : stats->exists;
  QueueMetrics m = exists ? QueueMetrics{} : NonExistent();
  if (counts) m.counts_sampled_at = counts->sampled_at;
  if (stats) m.stats_sampled_at = stats->sampled_at;
  m.newest_sample_at = newest;
  if (!exists) return m;
  m.exists = true;

  if (counts) {
    m.waiting = static_cast<double>(counts->waiting);
    m.consumers = static_cast<double>(counts->consumers);
  }
  if (!stats || !stats->exists) return m;
  if (!m.waiting) m.waiting = AsNumber(stats->waiting);
  if (!m.consumers) m.consumers = AsNumber(stats->consumers);
  m.unacked = AsNumber(stats->unacked);
  const bool counts_show_empty = counts && counts->waiting == 0;
  if (stats->head_message_timestamp && !counts_show_empty) {
    m.age = std::max(0.0, SecondsBetween(*stats->head_message_timestamp, now));
  }
  SetDerived(m, stats->rates);
  return m;
}

rules::Value MetricValue(const QueueMetrics& metrics, std::size_t metric) {
  // In rules::kMetricNames order.
  static constexpr std::array<std::optional<double> QueueMetrics::*, 9> kNumbers = {
      nullptr,
      &QueueMetrics::waiting,
      &QueueMetrics::latency,
      &QueueMetrics::call_rate,
      &QueueMetrics::exec_rate,
      &QueueMetrics::rate,
      &QueueMetrics::consumers,
      &QueueMetrics::unacked,
      &QueueMetrics::age,
  };
  static_assert(std::size(kNumbers) + 1 == rules::kMetricNames.size());
  if (metric == 0) return metrics.exists ? rules::Value::Bool(*metrics.exists) : rules::Value{};
  if (metric == kNumbers.size()) {
    return metrics.stalled ? rules::Value::Bool(*metrics.stalled) : rules::Value{};
  }
  const std::optional<double>& number = metrics.*kNumbers[metric];
  return number ? rules::Value::Number(*number) : rules::Value{};
}

rules::ResourceMetrics ToResourceMetrics(const QueueMetrics& metrics) {
  rules::ResourceMetrics out;
  for (std::size_t m = 0; m < rules::kMetricNames.size(); ++m) {
    rules::Value value = MetricValue(metrics, m);
    if (!value.is_null()) out.emplace(rules::kMetricNames[m], std::move(value));
  }
  return out;
}

nlohmann::json MetricsToJson(const QueueMetrics& metrics) {
  nlohmann::json values = nlohmann::json::object();
  for (std::size_t m = 0; m < rules::kMetricNames.size(); ++m) {
    const rules::Value value = MetricValue(metrics, m);
    if (!value.is_null()) values[std::string(rules::kMetricNames[m])] = value.ToJson();
  }
  // Not a metric the rules read: how many seconds the rates span (docs/METRICS.md).
  if (metrics.rate_window) values["rate_window"] = *metrics.rate_window;
  return values;
}

namespace {

Result<std::optional<double>> NumberMember(const nlohmann::json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) return std::optional<double>();
  if (it->is_number()) return std::optional<double>(it->get<double>());
  if (it->is_string() && (*it == "inf" || *it == "-inf")) {
    const double inf = std::numeric_limits<double>::infinity();
    return std::optional<double>(*it == "inf" ? inf : -inf);
  }
  return Fail("invalid",
              std::string("metrics.") + name + ": expected a number or \"inf\", got " + it->dump());
}

Result<std::optional<bool>> BoolMember(const nlohmann::json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end() || it->is_null()) return std::optional<bool>();
  if (it->is_boolean()) return std::optional<bool>(it->get<bool>());
  return Fail("invalid",
              std::string("metrics.") + name + ": expected true or false, got " + it->dump());
}

}  // namespace

Result<QueueMetrics> MetricsFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return Fail("invalid", "metrics: expected an object, got " + json.dump());
  QueueMetrics m;
  static constexpr std::array<std::pair<const char*, std::optional<double> QueueMetrics::*>, 9>
      kNumbers = {{{"waiting", &QueueMetrics::waiting},
                   {"latency", &QueueMetrics::latency},
                   {"call_rate", &QueueMetrics::call_rate},
                   {"exec_rate", &QueueMetrics::exec_rate},
                   {"rate", &QueueMetrics::rate},
                   {"consumers", &QueueMetrics::consumers},
                   {"unacked", &QueueMetrics::unacked},
                   {"age", &QueueMetrics::age},
                   {"rate_window", &QueueMetrics::rate_window}}};
  for (const auto& [name, member] : kNumbers) {
    auto value = NumberMember(json, name);
    if (!value.ok()) return Unexpected{value.error()};
    m.*member = *value;
  }
  auto exists = BoolMember(json, "exists");
  if (!exists.ok()) return Unexpected{exists.error()};
  m.exists = *exists;
  auto stalled = BoolMember(json, "stalled");
  if (!stalled.ok()) return Unexpected{stalled.error()};
  m.stalled = *stalled;
  return m;
}

}  // namespace maiev::monitor
