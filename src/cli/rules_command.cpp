// `maiev rules check CONFIG` and
// `maiev rules eval CONFIG --metrics M [--history H] [--now T] [--json]`: validate a scale config
// and evaluate its rules offline, saying why each rule and trigger has its value
// (docs/SCALE_CONFIG.md).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "common/clock.hpp"
#include "common/time_format.hpp"
#include "config/json_text.hpp"
#include "config/scale_config.hpp"
#include "rules/expression.hpp"
#include "rules/ruleset.hpp"

namespace maiev::cli {
namespace {

using nlohmann::json;

struct RulesOptions {
  std::string config_path;
  std::string metrics_path;
  std::string history_path;
  std::string now;  // ISO 8601; empty: the system clock
  bool json = false;
};

// A problem with one input file, printed as "FILE: field: message".
struct InputError {
  std::string file;
  config::ConfigError error;
};

void Print(const InputError& e) { std::cerr << e.file << ": " << e.error.ToString() << "\n"; }

Result<std::string, InputError> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Unexpected{InputError{path, {"", std::string("cannot read: ") + std::strerror(errno)}}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unexpected{InputError{path, {"", "cannot read: I/O error"}}};
  return text.str();
}

Result<json, InputError> ReadJsonFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return Unexpected{text.error()};
  auto doc = config::ParseJsonText(*text);
  if (!doc.ok()) return Unexpected{InputError{path, doc.error()}};
  return std::move(doc).value();
}

// Loads and validates a scale config; prints every problem on failure.
std::optional<config::ScaleConfig> LoadConfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    Print(text.error());
    return std::nullopt;
  }
  auto parsed = config::ParseScaleConfig(std::string_view(*text));
  if (!parsed.ok()) {
    for (const auto& e : parsed.error()) Print(InputError{path, e});
    return std::nullopt;
  }
  return std::move(parsed).value();
}

std::string Names(const auto& decls) {
  std::string out;
  for (const auto& d : decls) out += (out.empty() ? "`" : ", `") + d.name + "`";
  return out.empty() ? "none" : out;
}

// METRICS: {"rmq": {"waiting": 12, "latency": 0.15, ...}}; a metric left out is null.
Result<rules::MetricsSnapshot, config::ConfigError> ToMetrics(const json& doc,
                                                              const config::ScaleRules& scale) {
  if (!doc.is_object()) {
    return Unexpected{config::ConfigError{
        "", R"(expected an object of resources, e.g. {"rmq": {"waiting": 12}}, got )" +
                std::string(doc.type_name())}};
  }
  rules::MetricsSnapshot snapshot;
  for (const auto& [resource, metrics] : doc.items()) {
    bool declared = false;
    for (const auto& r : scale.resources()) declared = declared || r.name == resource;
    if (!declared) {
      return Unexpected{config::ConfigError{
          resource, "unknown resource (declared: " + Names(scale.resources()) + ")"}};
    }
    if (!metrics.is_object()) {
      return Unexpected{config::ConfigError{
          resource, "expected an object of metrics, got " + std::string(metrics.type_name())}};
    }
    auto& sample = snapshot[resource];
    for (const auto& [name, value] : metrics.items()) {
      std::string field = resource;
      field.append(".").append(name);
      bool known = false;
      std::string accepted;
      for (std::string_view m : rules::kMetricNames) {
        known = known || m == name;
        accepted += (accepted.empty() ? "" : ", ") + std::string(m);
      }
      if (!known) {
        return Unexpected{
            config::ConfigError{field, "unknown metric (accepted: " + accepted + ")"}};
      }
      // "inf" as the daemon writes an infinite latency (JSON has no infinity).
      if (value == "inf") {
        sample.emplace(name, rules::Value::Number(std::numeric_limits<double>::infinity()));
        continue;
      }
      if (!value.is_number() && !value.is_boolean() && !value.is_null()) {
        return Unexpected{config::ConfigError{
            field, "expected a number, \"inf\", boolean or null, got " + value.dump()}};
      }
      sample.emplace(name, rules::Value::FromJson(value));
    }
  }
  return snapshot;
}

// HISTORY: {"latency_ok": {"value": true, "for": "45s"}}; `for` is how long the value has held.
Result<rules::RuleHistory, config::ConfigError> ToHistory(const json& doc,
                                                          const config::ScaleRules& scale,
                                                          TimePoint now) {
  if (!doc.is_object()) {
    return Unexpected{config::ConfigError{
        "",
        "expected an object of rules, e.g. {\"latency_ok\": {\"value\": true, \"for\": "
        "\"45s\"}}, got " +
            std::string(doc.type_name())}};
  }
  rules::RuleHistory history;
  for (const auto& [rule, state] : doc.items()) {
    bool declared = false;
    for (const auto& r : scale.rules()) declared = declared || r.name == rule;
    if (!declared) {
      return Unexpected{
          config::ConfigError{rule, "unknown rule (declared: " + Names(scale.rules()) + ")"}};
    }
    if (!state.is_object()) {
      return Unexpected{config::ConfigError{
          rule, R"(expected {"value": true|false, "for": DURATION}, got )" + state.dump()}};
    }
    for (const auto& [key, ignored] : state.items()) {
      if (key != "value" && key != "for") {
        return Unexpected{config::ConfigError{std::string(rule).append(".").append(key),
                                              "unknown key (accepted: value, for)"}};
      }
    }
    const auto value = state.find("value");
    if (value == state.end() || !value->is_boolean()) {
      return Unexpected{config::ConfigError{
          rule + ".value", "expected true or false, got " +
                               (value == state.end() ? std::string("nothing") : value->dump())}};
    }
    const auto held = state.find("for");
    double seconds = -1;
    if (held != state.end() && held->is_number()) seconds = held->get<double>();
    if (held != state.end() && held->is_string()) {
      auto parsed = rules::ParseDuration(held->get<std::string>());
      if (parsed.ok()) seconds = *parsed;
    }
    if (!std::isfinite(seconds) || seconds < 0) {
      return Unexpected{config::ConfigError{
          rule + ".for",
          "expected how long the value has held: a duration such as \"45s\" or \"1h30m\", or "
          "seconds, got " +
              (held == state.end() ? std::string("nothing") : held->dump())}};
    }
    const auto since = now - std::chrono::duration_cast<WallClock::duration>(Duration{seconds});
    history.emplace(rule, rules::RuleState{value->get<bool>(), since});
  }
  return history;
}

// {"rules": {NAME: {"value", "since"}}, "scale_up", "scale_down", "explanation": {...}}.
void PrintJson(const rules::Explanation& explanation) {
  nlohmann::ordered_json out;
  out["rules"] = nlohmann::ordered_json::object();
  for (const rules::RuleTrace& rule : explanation.rules) {
    out["rules"][rule.name] = {{"value", rule.value}, {"since", rule.since_seconds}};
  }
  out["scale_up"] = explanation.scale_up.value;
  out["scale_down"] = explanation.scale_down.value;
  out["explanation"] = explanation.ToJson();
  std::cout << out.dump(2) << "\n";
}

// One line per rule (value, how long it has held it, the terms that decided it), the triggers,
// and the line the daemon would give the decision:
//   latency_ok      true   held 45s  ← rmq:latency 0.15 < 0.200
//   scale_up true, scale_down false
//   why: scale_up: rmq:consumers 0 == 0, rmq:waiting 12 > 0
void PrintTable(const rules::Explanation& explanation) {
  std::size_t width = 0;
  for (const rules::RuleTrace& rule : explanation.rules) width = std::max(width, rule.name.size());
  for (const rules::RuleTrace& rule : explanation.rules) {
    const std::string held =
        rule.changed ? "changed" : "held " + rules::FormatDuration(rule.since_seconds);
    std::cout << std::left << std::setw(static_cast<int>(width + 2)) << rule.name << std::setw(7)
              << (rule.value ? "true" : "false") << std::setw(12) << held << "← "
              << explanation.TermsText(rule.trace) << "\n";
  }
  std::cout << "scale_up " << (explanation.scale_up.value ? "true" : "false") << ", scale_down "
            << (explanation.scale_down.value ? "true" : "false") << "\n";
  std::cout << "why: " << explanation.ToString() << "\n";
}

int RunCheck(const RulesOptions& options) {
  if (!LoadConfig(options.config_path)) return kExitBadInput;
  std::cout << "OK\n";
  return kExitOk;
}

int RunEval(const RulesOptions& options, const Clock& clock) {
  auto config = LoadConfig(options.config_path);
  if (!config) return kExitBadInput;
  TimePoint now = clock.Now();
  if (!options.now.empty()) {
    auto parsed = ParseRfc3339(options.now);
    if (!parsed.ok()) {
      std::cerr << "--now: " << parsed.error().message << "\n";
      return kExitBadInput;
    }
    now = *parsed;
  }
  auto metrics_doc = ReadJsonFile(options.metrics_path);
  if (!metrics_doc.ok()) {
    Print(metrics_doc.error());
    return kExitBadInput;
  }
  std::optional<json> history_doc;
  if (!options.history_path.empty()) {
    auto doc = ReadJsonFile(options.history_path);
    if (!doc.ok()) {
      Print(doc.error());
      return kExitBadInput;
    }
    history_doc = std::move(doc).value();
  }

  if (!config->scale) {
    // Valid, but nothing to evaluate: the service is never scaled by rules.
    std::cerr << options.config_path << ": no `scale` section: never scaled by rules\n";
    if (!options.json) {
      std::cout << "scale_up false, scale_down false\n";
      return kExitOk;
    }
    nlohmann::ordered_json out;
    out["rules"] = nlohmann::ordered_json::object();
    out["scale_up"] = false;
    out["scale_down"] = false;
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  const config::ScaleRules& scale = *config->scale;
  auto metrics = ToMetrics(*metrics_doc, scale);
  if (!metrics.ok()) {
    Print(InputError{options.metrics_path, metrics.error()});
    return kExitBadInput;
  }
  rules::RuleHistory history;
  if (history_doc) {
    auto parsed = ToHistory(*history_doc, scale, now);
    if (!parsed.ok()) {
      Print(InputError{options.history_path, parsed.error()});
      return kExitBadInput;
    }
    history = std::move(parsed).value();
  }

  const rules::Explanation explanation = scale.ruleset.Explain(*metrics, history, now);
  if (options.json) {
    PrintJson(explanation);
  } else {
    PrintTable(explanation);
  }
  return kExitOk;
}

}  // namespace

void RegisterRulesCommands(CLI::App& app, int& exit_code) {
  // Shared by the callbacks, which CLI11 keeps for the life of `app`: shared_ptr ties the
  // options' lifetime to theirs.
  auto options = std::make_shared<RulesOptions>();
  CLI::App* rules = app.add_subcommand(
      "rules", "Check and evaluate scale-config rules offline, or test one live");
  rules->require_subcommand(1);
  RegisterRuleTestCommand(*rules, exit_code);

  CLI::App* check = rules->add_subcommand("check", "Validate a scale config: prints OK or errors");
  check->add_option("config", options->config_path, "scale config JSON file")->required();
  check->callback([options, &exit_code] { exit_code = RunCheck(*options); });

  CLI::App* eval = rules->add_subcommand(
      "eval", "Evaluate a scale config's rules against given metrics and say why");
  eval->add_option("config", options->config_path, "scale config JSON file")->required();
  eval->add_option("--metrics", options->metrics_path,
                   R"(JSON file: {"RESOURCE": {"METRIC": value, ...}})")
      ->required();
  eval->add_option("--history", options->history_path,
                   R"(JSON file: {"RULE": {"value": true, "for": "45s"}})");
  eval->add_option("--now", options->now, "evaluation time, ISO 8601 (default: now)");
  eval->add_flag("--json", options->json, "Print JSON, with the explanation as data");
  eval->callback([options, &exit_code] {
    const SystemClock clock;
    exit_code = RunEval(*options, clock);
  });
}

}  // namespace maiev::cli
