// A service's scale config (SPEC §1, docs/SCALE_CONFIG.md): JSON → a validated ScaleConfig, or
// every problem found, each with its field path. Never half-applied: a caller gets a whole config
// or none. Pure: no I/O, no clock.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "rules/ruleset.hpp"
#include "rules/value.hpp"

namespace maiev::config {

// One problem in a config. `field` is a JSON path ("scale.rules[2].expression", "min"), empty
// when the problem is about the document as a whole (syntax, min > max).
struct ConfigError {
  std::string field;
  std::string message;  // what is wrong and what is accepted; "col N: ..." inside expressions

  std::string ToString() const;  // "field: message", or just the message when field is empty
  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};
using ConfigErrors = std::vector<ConfigError>;

// What a service version provides and requires (SPEC §5).
struct Dependencies {
  std::map<std::string, rules::Value, std::less<>> provide;  // capability → number/bool/string/list
  std::vector<std::string> require;  // expressions over capabilities, syntax-checked
};

enum class MissingMetricsAction {
  kHold,     // keep the current replica count (default)
  kScaleUp,  // add one replica, paced like any other change; never remove
};

// Proportional scaling toward a target latency of one resource (SPEC §4 opt-in).
struct ProportionalPolicy {
  std::string resource;         // a declared resource; default: the first one
  double target_latency = 0.0;  // seconds, > 0

  friend bool operator==(const ProportionalPolicy&, const ProportionalPolicy&) = default;
};

// The optional "policy" object. Durations are in seconds.
struct ScalingPolicy {
  double reapply_interval = 10.0;  // minimum time between two changes while a trigger stays true
  double cooldown_up = 0.0;        // minimum time since the last change before scaling up
  double cooldown_down = 0.0;      // minimum time since the last change before scaling down
  std::optional<int> max_step;     // at most this many replicas per change (>= 1)
  MissingMetricsAction on_missing_metrics = MissingMetricsAction::kHold;
  std::optional<ProportionalPolicy> proportional;

  friend bool operator==(const ScalingPolicy&, const ScalingPolicy&) = default;
};

// The "scale" object, compiled: its declarations are those the rule set keeps, so that a
// service's config holds them once (the rules and triggers shared with every service of the
// same text, docs/RELIABILITY.md, "Load").
struct ScaleRules {
  rules::RuleSet ruleset;

  const std::vector<rules::ResourceDecl>& resources() const { return ruleset.resources(); }
  const std::vector<rules::RuleDecl>& rules() const { return ruleset.rules(); }
  const std::string& scale_up() const { return ruleset.scale_up(); }      // empty: never
  const std::string& scale_down() const { return ruleset.scale_down(); }  // empty: never
};

// A validated scale config. A config without "scale" is valid: the service is sized by min/max
// only and never scaled by rules (see docs/SCALE_CONFIG.md).
struct ScaleConfig {
  int min = 0;
  int max = 0;
  std::optional<ScaleRules> scale;
  Dependencies dependencies;
  ScalingPolicy policy;
  // Top-level keys this version does not know, kept as written so the config can be written back.
  nlohmann::json extras = nlohmann::json::object();

  // The config as JSON, including `extras`; ParseScaleConfig(ToJson()) gives an equal config.
  nlohmann::json ToJson() const;
};

// Parses and validates. On failure returns every problem found, in document order.
Result<ScaleConfig, ConfigErrors> ParseScaleConfig(std::string_view json_text);
Result<ScaleConfig, ConfigErrors> ParseScaleConfig(const nlohmann::json& json);
// Text overloads: std::string and string literals also convert to json, so they are spelled out.
inline Result<ScaleConfig, ConfigErrors> ParseScaleConfig(const std::string& json_text) {
  return ParseScaleConfig(std::string_view(json_text));
}
inline Result<ScaleConfig, ConfigErrors> ParseScaleConfig(const char* json_text) {
  return ParseScaleConfig(std::string_view(json_text));
}

}  // namespace maiev::config
