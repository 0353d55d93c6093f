// What the autoscaler knows of one service, handed out as typed snapshots (copies taken under the
// autoscaler's lock, nothing else): `maiev services`, the API, /metrics and the web page read
// these; their JSON is made by the API's codecs (src/api/service_json.hpp), never here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "monitor/metrics.hpp"

namespace maiev::control {

// One resource of a service's scale config and what the latest cycle read of it.
struct ResourceStatus {
  std::string name;   // as the rules name it, e.g. "rmq"
  std::string queue;  // the monitored queue
  // nullopt: no fresh metrics in the latest cycle, or no cycle yet.
  std::optional<monitor::QueueMetrics> metrics;
  friend bool operator==(const ResourceStatus&, const ResourceStatus&) = default;
};

// One rule of a service's scale config and its state as of the latest cycle that evaluated it.
struct RuleStatus {
  std::string name;
  std::string expression;
  bool value = false;
  TimePoint since;  // when the rule took `value`
  friend bool operator==(const RuleStatus&, const RuleStatus&) = default;
};

// A service's state names (ServiceStatus::state).
inline constexpr const char* kStateMonitored = "monitored";        // valid config with rules
inline constexpr const char* kStateSized = "sized";                // valid config, no rules
inline constexpr const char* kStateInvalid = "invalid";            // config rejected
inline constexpr const char* kStateUnconfigured = "unconfigured";  // no config at all
inline constexpr const char* kStatePaused = "paused";              // paused by an operator

struct ServiceStatus {
  std::string id;
  std::string name;
  std::string mode;  // "replicated", "global", "job"
  std::uint64_t replicas = 0;
  std::optional<std::uint64_t> running_tasks;
  std::string image;
  std::string state;          // one of the kState* names
  bool paused = false;        // also true for a service whose config is invalid or absent
  std::string config_origin;  // "api", "service_label", "image_label", "scale_info", or empty
  std::vector<std::string> config_errors;
  // The effective scale config (config::ScaleConfig::ToJson), null without a valid one: a
  // config is a document, shown as given.
  nlohmann::json config;
  int min = 0;
  int max = 0;
  std::vector<ResourceStatus> resources;  // in the config's order
  std::vector<RuleStatus> rules;          // in the config's order; empty before a first cycle
  std::string scale_up_expression;
  std::string scale_down_expression;
  bool scale_up = false;  // the triggers as of the latest cycle
  bool scale_down = false;
  std::optional<TimePoint> evaluated_at;  // the latest cycle that read this service's metrics
  // Why it has its size: the latest cycle's decision explained (DecisionExplanation), also when
  // it held; empty before the first cycle. `explanation`, the same as data (the form decision
  // records keep), only from Autoscaler::ServiceSnapshot, else null.
  std::string last_reason;
  nlohmann::json explanation;
  std::optional<TimePoint> last_change;
};

// A resource's metrics in one sample of a service's history: what an operator graphs.
struct ResourceSample {
  std::optional<double> waiting;
  std::optional<double> latency;  // +infinity while nothing drains a waiting queue
  std::optional<double> consumers;
  std::optional<double> call_rate;
  std::optional<double> exec_rate;
  friend bool operator==(const ResourceSample&, const ResourceSample&) = default;
};

// One autoscaling cycle of one service, as its history keeps it.
struct HistorySample {
  TimePoint time;
  std::uint64_t replicas = 0;
  std::optional<std::uint64_t> running_tasks;
  // By resource, in the config's order; nullopt: no fresh metrics in that cycle.
  std::vector<std::optional<ResourceSample>> resources;
  bool scale_up = false;
  bool scale_down = false;
  friend bool operator==(const HistorySample&, const HistorySample&) = default;
};

struct ServiceHistory {
  std::string service;
  std::vector<std::string> resources;  // the names HistorySample::resources are in order of
  std::vector<HistorySample> samples;  // oldest first
};

}  // namespace maiev::control
