#include "config/scale_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

namespace maiev::config {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(MAIEV_FIXTURES_DIR) + "/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json Producer() { return json::parse(ReadFixture("scale-config-producer.json")); }

// The errors of a config that must not load, as "field: message" lines.
std::vector<std::string> Errors(const json& doc) {
  auto result = ParseScaleConfig(doc);
  if (result.ok()) return {"<loaded>"};
  std::vector<std::string> out;
  for (const auto& e : result.error()) out.push_back(e.ToString());
  return out;
}

std::vector<std::string> Errors(std::string_view text) {
  auto result = ParseScaleConfig(text);
  if (result.ok()) return {"<loaded>"};
  std::vector<std::string> out;
  for (const auto& e : result.error()) out.push_back(e.ToString());
  return out;
}

json MinimalScale() {
  return json::parse(R"({
    "min": 1, "max": 4,
    "scale": {
      "resources": [{"name": "rmq", "monitorer": "monitorer_rabbitmq", "identifier": "q"}],
      "rules": [{"name": "busy", "expression": "rmq:waiting > 10"}],
      "scale_up": "rules:busy",
      "scale_down": "not rules:busy"
    }
  })");
}

TEST(ScaleConfig, LoadsProducerFixture) {
  auto config = ParseScaleConfig(ReadFixture("scale-config-producer.json"));
  ASSERT_TRUE(config.ok()) << config.error().front().ToString();
  EXPECT_EQ(config->min, 0);
  EXPECT_EQ(config->max, 9);
  ASSERT_TRUE(config->scale.has_value());
  const ScaleRules& scale = *config->scale;
  ASSERT_EQ(scale.resources().size(), 1u);
  EXPECT_EQ(scale.resources()[0].name, "rmq");
  EXPECT_EQ(scale.resources()[0].monitorer, "monitorer_rabbitmq");
  EXPECT_EQ(scale.resources()[0].identifier, "rpc-producer");
  ASSERT_EQ(scale.rules().size(), 4u);
  EXPECT_EQ(scale.rules()[3].name, "stable_latency");
  EXPECT_EQ(scale.scale_down(), "rules:stable_latency and rmq:consumers > 0");
  EXPECT_EQ(scale.ruleset.rules().size(), 4u);
  EXPECT_EQ(config->dependencies.provide.size(), 9u);
  EXPECT_EQ(config->dependencies.provide.at("producer:rpc:echo"), rules::Value::Number(1));
  EXPECT_EQ(config->dependencies.provide.at("producer:rpc:echo:args"),
            rules::Value::List({rules::Value::String("*args"), rules::Value::String("**kwargs")}));
  EXPECT_THAT(config->dependencies.require, IsEmpty());
  EXPECT_EQ(config->policy, ScalingPolicy{});
  EXPECT_EQ(config->extras, json::object());
}

TEST(ScaleConfig, ProducerFixtureRulesEvaluate) {
  auto config = ParseScaleConfig(Producer());
  ASSERT_TRUE(config.ok());
  rules::MetricsSnapshot metrics{{"rmq",
                                  {{"exists", rules::Value::Bool(true)},
                                   {"waiting", rules::Value::Number(12)},
                                   {"latency", rules::Value::Number(0.15)},
                                   {"consumers", rules::Value::Number(0)}}}};
  const auto now = TimePoint{std::chrono::seconds{1'700'000'000}};
  const auto eval = config->scale->ruleset.Evaluate(metrics, {}, now);
  EXPECT_TRUE(eval.scale_up);  // no consumers while messages wait
  EXPECT_FALSE(eval.scale_down);
}

TEST(ScaleConfig, ConfigWithoutScaleLoadsWithNoRules) {
  auto config = ParseScaleConfig(ReadFixture("scale-config-consumer.json"));
  ASSERT_TRUE(config.ok()) << config.error().front().ToString();
  EXPECT_EQ(config->min, 1);
  EXPECT_EQ(config->max, 1);
  EXPECT_FALSE(config->scale.has_value());
  EXPECT_THAT(config->dependencies.require,
              ElementsAre("producer:rpc:echo", "\"*args\" in producer:rpc:echo:args"));
  EXPECT_EQ(config->extras, json::parse(R"({"metric": []})"));
}

TEST(ScaleConfig, LoadsGlobalFixtureWithBooleanProvide) {
  auto config = ParseScaleConfig(ReadFixture("scale-config-global.json"));
  ASSERT_TRUE(config.ok()) << config.error().front().ToString();
  EXPECT_FALSE(config->scale.has_value());
  EXPECT_EQ(config->dependencies.provide.at("monitorer:rabbitmq"), rules::Value::Bool(true));
  EXPECT_EQ(config->dependencies.require.size(), 17u);
}

TEST(ScaleConfig, KeepsUnknownTopLevelKeysAndWritesThemBack) {
  json doc = MinimalScale();
  doc["metric"] = json::array();
  doc["x-team"] = {{"owner", "ops"}, {"pager", 3}};
  auto config = ParseScaleConfig(doc);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->extras,
            json::parse(R"({"metric": [], "x-team": {"owner": "ops", "pager": 3}})"));
  const json written = config->ToJson();
  EXPECT_EQ(written["x-team"], doc["x-team"]);
  EXPECT_EQ(written["metric"], json::array());
}

TEST(ScaleConfig, ToJsonRoundTrips) {
  json doc = Producer();
  doc["policy"] = json::parse(R"({"reapply_interval": "1m", "cooldown": {"down": "5m"},
    "max_step": 2, "on_missing_metrics": "scale_up", "proportional": {"target_latency": 0.5}})");
  doc["extra"] = "kept";
  auto first = ParseScaleConfig(doc);
  ASSERT_TRUE(first.ok()) << first.error().front().ToString();
  auto second = ParseScaleConfig(first->ToJson());
  ASSERT_TRUE(second.ok()) << second.error().front().ToString();
  EXPECT_EQ(second->ToJson(), first->ToJson());
  EXPECT_EQ(second->policy, first->policy);
  EXPECT_EQ(second->dependencies.provide, first->dependencies.provide);
  EXPECT_EQ(second->scale->rules().size(), 4u);
}

TEST(ScaleConfig, TypoInRuleReportsPathAndColumn) {
  json doc = Producer();
  doc["scale"]["rules"][2]["expression"] =
      "rmq:latency > 10 or (rules:latency_fial and rules:latency_fail:since > \"25s\")";
  EXPECT_THAT(Errors(doc),
              ElementsAre("scale.rules[2].expression: col 22: unknown rule `latency_fial`"));
}

TEST(ScaleConfig, ReportsEveryExpressionError) {
  json doc = Producer();
  doc["scale"]["rules"][0]["expression"] = "rmq:waiting == 0 or rmq:latncy < 0.200";
  doc["scale"]["rules"][1]["expression"] = "rmq:latency > 5 &";
  doc["scale"]["scale_up"] = "rules:panik";
  doc["scale"]["scale_down"] = "(rules:stable_latency";
  EXPECT_THAT(Errors(doc),
              ElementsAre("scale.rules[0].expression: col 21: unknown metric `latncy` of resource "
                          "`rmq`",
                          "scale.rules[1].expression: col 17: unexpected character `&`",
                          "scale.scale_up: col 1: unknown rule `panik`",
                          "scale.scale_down: col 22: missing `)`"));
}

TEST(ScaleConfig, ExpressionErrorsMatchRuleSetCompile) {
  // The config reports every error; RuleSet::Compile the first. For one error they must agree.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"rmq:nope > 1", ""},
      {"rules:missing", ""},
      {"queue:waiting > 1", ""},
      {"rules", ""},
      {"rules:busy:when", ""},
      {"rmq:latency:x", ""},
      {"rules:busy:since > \"soon\"", ""},
      {"0 < rmq:latency < 0.1", ""},
      {"", "rmq:waiting >"},
      {"", "not"},
  };
  for (const auto& [rule, trigger] : cases) {
    json doc = MinimalScale();
    if (!rule.empty()) doc["scale"]["rules"][0]["expression"] = rule;
    if (!trigger.empty()) doc["scale"]["scale_up"] = trigger;
    const auto& s = doc["scale"];
    auto expected = rules::RuleSet::Compile(
        {{"rmq", "monitorer_rabbitmq", "q"}},
        {{"busy", s["rules"][0]["expression"].get<std::string>()}},
        s["scale_up"].get<std::string>(), s["scale_down"].get<std::string>());
    ASSERT_FALSE(expected.ok()) << rule << trigger;
    EXPECT_THAT(Errors(doc), ElementsAre("scale." + expected.error().ToString()))
        << rule << trigger;
  }
}

TEST(ScaleConfig, NameErrorsMatchRuleSetCompile) {
  json doc = MinimalScale();
  doc["scale"]["rules"][0]["name"] = "not";
  auto expected = rules::RuleSet::Compile({{"rmq", "monitorer_rabbitmq", "q"}},
                                          {{"not", "rmq:waiting > 10"}}, "", "");
  ASSERT_FALSE(expected.ok());
  doc["scale"]["scale_up"] = "";
  doc["scale"]["scale_down"] = "";
  EXPECT_THAT(Errors(doc), ElementsAre("scale." + expected.error().ToString()));
}

TEST(ScaleConfig, BlankTriggersMeanNever) {
  json doc = MinimalScale();
  doc["scale"]["scale_up"] = "";
  doc["scale"]["scale_down"] = "  ";
  auto config = ParseScaleConfig(doc);
  ASSERT_TRUE(config.ok()) << config.error().front().ToString();
  const auto eval = config->scale->ruleset.Evaluate({}, {}, TimePoint{});
  EXPECT_FALSE(eval.scale_up);
  EXPECT_FALSE(eval.scale_down);
}

TEST(ScaleConfig, MinGreaterThanMax) {
  json doc = MinimalScale();
  doc["min"] = 5;
  doc["max"] = 2;
  EXPECT_THAT(Errors(doc), ElementsAre("min (5) > max (2)"));
}

TEST(ScaleConfig, MinMaxMustBeNonNegativeIntegers) {
  const std::vector<std::pair<json, std::string>> cases = {
      {"abc", "\"abc\""},          {-1, "-1"},     {2.5, "2.5"},
      {nullptr, "null"},           {true, "true"}, {json::array(), "[]"},
      {3000000000LL, "3000000000"}};
  for (const auto& [value, shown] : cases) {
    json doc = MinimalScale();
    doc["min"] = value;
    EXPECT_THAT(Errors(doc), ElementsAre("min: expected a non-negative integer, got " + shown));
  }
}

TEST(ScaleConfig, IntegralFloatAcceptedAsCount) {
  json doc = MinimalScale();
  doc["max"] = 4.0;
  auto config = ParseScaleConfig(doc);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->max, 4);
}

TEST(ScaleConfig, MissingRequiredKeys) {
  EXPECT_THAT(Errors(json::object()),
              ElementsAre("min: missing (expected a non-negative integer)",
                          "max: missing (expected a non-negative integer)"));
  json doc = MinimalScale();
  doc["scale"] = json::object();
  EXPECT_THAT(Errors(doc),
              ElementsAre("scale.resources: missing (expected an array)",
                          "scale.rules: missing (expected an array)",
                          "scale.scale_up: missing (expected an expression string; \"\" means "
                          "never)",
                          "scale.scale_down: missing (expected an expression string; \"\" means "
                          "never)"));
  doc = MinimalScale();
  doc["scale"]["resources"][0] = json::object();
  doc["scale"]["rules"][0] = json::object();
  doc["scale"]["scale_up"] = "";
  doc["scale"]["scale_down"] = "";
  EXPECT_THAT(Errors(doc),
              ElementsAre("scale.resources[0].name: missing (expected an identifier)",
                          "scale.resources[0].monitorer: missing (expected \"monitorer_rabbitmq\")",
                          "scale.resources[0].identifier: missing (expected the queue name, a "
                          "non-empty string)",
                          "scale.rules[0].name: missing (expected an identifier)",
                          "scale.rules[0].expression: missing (expected an expression string)"));
}

TEST(ScaleConfig, DuplicateAndReservedNames) {
  json doc = MinimalScale();
  doc["scale"]["resources"].push_back(doc["scale"]["resources"][0]);
  doc["scale"]["resources"].push_back(
      {{"name", "rules"}, {"monitorer", "monitorer_rabbitmq"}, {"identifier", "q2"}});
  doc["scale"]["rules"].push_back({{"name", "busy"}, {"expression", "rmq"}});
  doc["scale"]["rules"].push_back({{"name", "and"}, {"expression", "rmq"}});
  doc["scale"]["rules"].push_back({{"name", "2fast"}, {"expression", "rmq"}});
  EXPECT_THAT(
      Errors(doc),
      ElementsAre(
          "scale.resources[1].name: duplicate resource name `rmq` (also scale.resources[0])",
          "scale.resources[2].name: resource name `rules` is reserved",
          "scale.rules[1].name: duplicate rule name `busy` (also scale.rules[0])",
          "scale.rules[2].name: rule name `and` is reserved",
          "scale.rules[3].name: rule name `2fast` is not an identifier; accepted: letters, digits "
          "and `_`, not starting with a digit"));
}

TEST(ScaleConfig, UnknownMonitorer) {
  json doc = MinimalScale();
  doc["scale"]["resources"][0]["monitorer"] = "x";
  EXPECT_THAT(Errors(doc), ElementsAre("scale.resources[0].monitorer: unknown monitorer `x` "
                                       "(accepted: `monitorer_rabbitmq`)"));
}

TEST(ScaleConfig, EmptyIdentifierRejected) {
  json doc = MinimalScale();
  doc["scale"]["resources"][0]["identifier"] = "";
  EXPECT_THAT(Errors(doc), ElementsAre("scale.resources[0].identifier: expected the queue name, a "
                                       "non-empty string, got \"\""));
}

TEST(ScaleConfig, EmptyRuleExpressionRejected) {
  json doc = MinimalScale();
  doc["scale"]["rules"][0]["expression"] = "";
  EXPECT_THAT(Errors(doc),
              ElementsAre("scale.rules[0].expression: expected an expression, got \"\""));
}

TEST(ScaleConfig, WrongTypes) {
  json doc = MinimalScale();
  doc["scale"] = json::array();
  EXPECT_THAT(Errors(doc), ElementsAre("scale: expected an object, got []"));

  doc = MinimalScale();
  doc["scale"]["resources"] = "rmq";
  doc["scale"]["rules"] = json::array({"busy"});
  doc["scale"]["scale_up"] = 1;
  doc["scale"]["scale_down"] = nullptr;
  EXPECT_THAT(Errors(doc), ElementsAre("scale.resources: expected an array, got \"rmq\"",
                                       "scale.rules[0]: expected an object, got \"busy\"",
                                       "scale.scale_up: expected a string, got 1",
                                       "scale.scale_down: expected a string, got null"));

  doc = MinimalScale();
  doc["scale"]["resources"][0]["name"] = 7;
  doc["scale"]["rules"][0]["expression"] = json::array({"rmq"});
  doc["scale"]["scale_up"] = "";
  doc["scale"]["scale_down"] = "";
  EXPECT_THAT(Errors(doc),
              ElementsAre("scale.resources[0].name: expected a string, got 7",
                          "scale.rules[0].expression: expected a string, got [\"rmq\"]"));
}

TEST(ScaleConfig, UnknownKeysInsideKnownObjectsRejected) {
  json doc = MinimalScale();
  doc["scale"]["scale_dwon"] = "x";
  doc["scale"]["rules"][0]["expresion"] = "x";
  doc["dependencies"] = {{"provides", json::object()}};
  EXPECT_THAT(
      Errors(doc),
      ElementsAre(
          "scale.scale_dwon: unknown key (accepted: resources, rules, scale_up, scale_down)",
          "scale.rules[0].expresion: unknown key (accepted: name, expression)",
          "dependencies.provides: unknown key (accepted: provide, require)"));
}

TEST(ScaleConfig, DependencyErrors) {
  json doc = MinimalScale();
  doc["dependencies"] = json::parse(R"({
    "provide": {"a:rpc": null, "a:obj": {"x": 1}, "a:ok": 1, "a:list": ["x", 2], "a:flag": true},
    "require": ["a:rpc > 0", 3, "a:rpc >", "b:x & 1"]
  })");
  EXPECT_THAT(Errors(doc),
              ElementsAre("dependencies.provide.a:obj: expected a number, boolean, string or list, "
                          "got {\"x\":1}",
                          "dependencies.provide.a:rpc: expected a number, boolean, string or list, "
                          "got null",
                          "dependencies.require[1]: expected a string, got 3",
                          "dependencies.require[2]: col 8: expression ends where a value was "
                          "expected",
                          "dependencies.require[3]: col 5: unexpected character `&`"));

  doc["dependencies"] = {{"provide", json::array()}, {"require", "a > 1"}};
  EXPECT_THAT(Errors(doc), ElementsAre("dependencies.provide: expected an object, got []",
                                       "dependencies.require: expected an array, got \"a > 1\""));
}

TEST(ScaleConfig, DependenciesAreOptional) {
  auto config = ParseScaleConfig(std::string_view(R"({"min": 0, "max": 2})"));
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(config->dependencies.provide, IsEmpty());
  EXPECT_THAT(config->dependencies.require, IsEmpty());
}

TEST(ScaleConfig, JsonSyntaxErrorHasLineAndColumn) {
  EXPECT_THAT(Errors(std::string_view("{\n  \"min\": 1,\n  \"max\": x\n}")),
              ElementsAre("invalid JSON at line 3, col 10: syntax error while parsing value - "
                          "invalid literal; last read: '\"max\": x'"));
  EXPECT_THAT(Errors(std::string_view("{\"min\": 1,")),
              ElementsAre("invalid JSON at line 1, col 11: syntax error while parsing object key "
                          "- unexpected end of input; expected string literal"));
}

TEST(ScaleConfig, NumberOverflowIsAnError) {
  EXPECT_THAT(Errors(std::string_view(R"({"min": 1e999, "max": 1})")),
              ElementsAre("invalid JSON: number overflow parsing '1e999'"));
}

TEST(ScaleConfig, NotAnObjectAtTopLevel) {
  EXPECT_THAT(Errors(std::string_view("[1, 2]")),
              ElementsAre("expected a JSON object at the top level, got array"));
  EXPECT_THAT(Errors(std::string_view("\"min\"")),
              ElementsAre("expected a JSON object at the top level, got string"));
  EXPECT_THAT(Errors(std::string_view("null")),
              ElementsAre("expected a JSON object at the top level, got null"));
}

TEST(ScaleConfig, PolicyDefaults) {
  auto config = ParseScaleConfig(MinimalScale());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->policy.reapply_interval, 10.0);
  EXPECT_EQ(config->policy.cooldown_up, 0.0);
  EXPECT_EQ(config->policy.cooldown_down, 0.0);
  EXPECT_FALSE(config->policy.max_step.has_value());
  EXPECT_EQ(config->policy.on_missing_metrics, MissingMetricsAction::kHold);
  EXPECT_FALSE(config->policy.proportional.has_value());
}

TEST(ScaleConfig, PolicyParsed) {
  json doc = MinimalScale();
  doc["policy"] = json::parse(R"({
    "reapply_interval": "1m", "cooldown": {"up": 10, "down": "5m"}, "max_step": 3,
    "on_missing_metrics": "scale_up", "proportional": {"target_latency": "1.5s"}})");
  auto config = ParseScaleConfig(doc);
  ASSERT_TRUE(config.ok()) << config.error().front().ToString();
  const ScalingPolicy& p = config->policy;
  EXPECT_EQ(p.reapply_interval, 60.0);
  EXPECT_EQ(p.cooldown_up, 10.0);
  EXPECT_EQ(p.cooldown_down, 300.0);
  EXPECT_EQ(p.max_step, 3);
  EXPECT_EQ(p.on_missing_metrics, MissingMetricsAction::kScaleUp);
  ASSERT_TRUE(p.proportional.has_value());
  EXPECT_EQ(p.proportional->resource, "rmq");  // the first resource by default
  EXPECT_EQ(p.proportional->target_latency, 1.5);
}

TEST(ScaleConfig, PolicyErrors) {
  json doc = MinimalScale();
  doc["policy"] = json::parse(R"({
    "reapply_interval": "soon", "cooldown": {"up": -1, "sideways": 1}, "max_step": 0,
    "on_missing_metrics": "scale_down", "proportional": {"target_latency": 0, "resource": "db"},
    "mode": "fast"})");
  const std::string duration =
      "expected a duration: seconds as a non-negative number, or a string such as \"30s\", "
      "\"5m\", \"1h30m\", got ";
  EXPECT_THAT(
      Errors(doc),
      ElementsAre(
          "policy.mode: unknown key (accepted: reapply_interval, cooldown, max_step, "
          "on_missing_metrics, proportional)",
          "policy.reapply_interval: " + duration + "\"soon\"",
          "policy.cooldown.sideways: unknown key (accepted: up, down)",
          "policy.cooldown.up: " + duration + "-1",
          "policy.max_step: expected an integer >= 1, got 0",
          "policy.on_missing_metrics: expected \"hold\" or \"scale_up\", got \"scale_down\"",
          "policy.proportional.target_latency: expected seconds, a number > 0, got 0",
          "policy.proportional.resource: unknown resource `db` (declared: `rmq`)"));
}

TEST(ScaleConfig, ProportionalNeedsAResource) {
  auto errors = Errors(json::parse(R"({"min": 0, "max": 3,
    "policy": {"proportional": {"target_latency": 1}}})"));
  EXPECT_THAT(
      errors,
      ElementsAre("policy.proportional: needs a `scale` section with at least one resource"));
  json doc = MinimalScale();
  doc["scale"]["resources"] = json::array();
  doc["scale"]["rules"] = json::array();
  doc["scale"]["scale_up"] = "";
  doc["scale"]["scale_down"] = "";
  doc["policy"] = {{"proportional", {{"target_latency", 1}}}};
  EXPECT_THAT(Errors(doc), ElementsAre("policy.proportional: needs at least one resource in "
                                       "`scale.resources`"));
}

TEST(ScaleConfig, CapabilityListItemsMustBeValues) {
  json doc = MinimalScale();
  doc["dependencies"] = json::parse(R"({"provide": {"a:args": [1, null, ["ok", {"b": 1}]]}})");
  EXPECT_THAT(Errors(doc),
              ElementsAre("dependencies.provide.a:args[1]: expected a number, boolean, string or "
                          "list, got null",
                          "dependencies.provide.a:args[2][1]: expected a number, boolean, string "
                          "or list, got {\"b\":1}"));
}

TEST(ScaleConfig, AnUnnamedDeclarationIsReportedOnceAndKeepsTheOthersInPlace) {
  json doc = MinimalScale();
  doc["scale"]["resources"][0]["name"] = 3;
  EXPECT_THAT(Errors(doc), ElementsAre("scale.resources[0].name: expected a string, got 3"));

  doc = MinimalScale();
  doc["scale"]["rules"] = json::parse(R"([null,
    {"name": "busy", "expression": "rmq:waiting > 10"},
    {"name": "broken", "expression": "rmq:waiting >"}])");
  EXPECT_THAT(Errors(doc),
              ElementsAre("scale.rules[0]: expected an object, got null",
                          "scale.rules[2].expression: col 14: expression ends where a value was "
                          "expected"));
}

TEST(ScaleConfig, MalformedTextNeverCrashes) {
  const std::vector<std::string> inputs = {
      "",
      " ",
      "hello",
      "{",
      "}",
      "[]",
      "{}}",
      "0",
      "-1",
      "1e999",
      "\"\\u12\"",
      "{\"min\"}",
      "{\"min\":}",
      "\xff\xfe",
      "{\"min\": 1, \"max\": 2, \"scale\": {\"rules\": [{}, 3, null, []]}}",
      "{\"min\": 1, \"max\": 2, \"scale\": {\"resources\": [null, {\"name\": null}]}}",
      "{\"min\": 1, \"max\": 2, \"scale\": {\"resources\": [], \"rules\": [], \"scale_up\": "
      "\"rules:\", \"scale_down\": \":\"}}",
  };
  for (const auto& text : inputs) {
    auto result = ParseScaleConfig(std::string_view(text));
    ASSERT_FALSE(result.ok()) << text;
    ASSERT_FALSE(result.error().empty()) << text;
    for (const auto& e : result.error()) EXPECT_FALSE(e.message.empty()) << text;
  }
}

TEST(ScaleConfig, EveryTruncationOfTheFixtureFailsCleanly) {
  const std::string text = ReadFixture("scale-config-producer.json");
  const size_t end = text.find_last_of('}');
  for (size_t n = 0; n < end; ++n) {
    auto result = ParseScaleConfig(std::string_view(text).substr(0, n));
    ASSERT_FALSE(result.ok()) << n;
    EXPECT_EQ(result.error().front().message.rfind("invalid JSON at line ", 0), 0u) << n;
  }
}

// The JSON types the scale-config format accepts, as docs/SCALE_CONFIG.md describes them.
enum class JsonKind { kNull, kBool, kInteger, kFloat, kString, kArray, kObject };

JsonKind KindOf(const json& j) {
  if (j.is_null()) return JsonKind::kNull;
  if (j.is_boolean()) return JsonKind::kBool;
  if (j.is_number_integer()) return JsonKind::kInteger;  // unsigned too
  if (j.is_number_float()) return JsonKind::kFloat;
  if (j.is_string()) return JsonKind::kString;
  if (j.is_array()) return JsonKind::kArray;
  return JsonKind::kObject;
}

// The kinds accepted at `field` (a path as ConfigError writes it), or nullopt when the format
// has no such field.
std::optional<std::set<JsonKind>> AcceptedKinds(const std::string& field) {
  using K = JsonKind;
  // A capability's value, and each item of a list value: a number, boolean, string or list.
  if (field.starts_with("dependencies.provide.")) {
    return std::set{K::kBool, K::kInteger, K::kFloat, K::kString, K::kArray};
  }
  const std::string generic = std::regex_replace(field, std::regex(R"(\[\d+\])"), "[]");
  static const std::map<std::string, std::set<JsonKind>> kFields = {
      {"min", {K::kInteger}},
      {"max", {K::kInteger}},
      {"dependencies", {K::kObject}},
      {"dependencies.provide", {K::kObject}},
      {"dependencies.require", {K::kArray}},
      {"dependencies.require[]", {K::kString}},
      {"scale", {K::kObject}},
      {"scale.resources", {K::kArray}},
      {"scale.resources[]", {K::kObject}},
      {"scale.resources[].name", {K::kString}},
      {"scale.resources[].monitorer", {K::kString}},
      {"scale.resources[].identifier", {K::kString}},
      {"scale.rules", {K::kArray}},
      {"scale.rules[]", {K::kObject}},
      {"scale.rules[].name", {K::kString}},
      {"scale.rules[].expression", {K::kString}},
      {"scale.scale_up", {K::kString}},
      {"scale.scale_down", {K::kString}},
      {"policy", {K::kObject}},
      {"policy.reapply_interval", {K::kInteger, K::kFloat, K::kString}},
      {"policy.cooldown", {K::kObject}},
      {"policy.cooldown.up", {K::kInteger, K::kFloat, K::kString}},
      {"policy.cooldown.down", {K::kInteger, K::kFloat, K::kString}},
      {"policy.max_step", {K::kInteger}},
      {"policy.on_missing_metrics", {K::kString}},
      {"policy.proportional", {K::kObject}},
      {"policy.proportional.target_latency", {K::kInteger, K::kFloat, K::kString}},
      {"policy.proportional.resource", {K::kString}},
  };
  const auto it = kFields.find(generic);
  if (it == kFields.end()) return std::nullopt;
  return it->second;
}

// The fields named by the errors of `doc`; empty when it loads.
std::set<std::string> ErrorFields(const json& doc) {
  std::set<std::string> fields;
  auto result = ParseScaleConfig(doc);
  if (result.ok()) return fields;
  for (const auto& e : result.error()) fields.insert(e.field);
  return fields;
}

// The producer fixture with every optional part present, so that every field is replaced.
json EveryField() {
  json doc = Producer();
  doc["dependencies"]["require"] = {"producer:rpc:get", "\"*args\" in producer:rpc:echo:args"};
  doc["policy"] = json::parse(R"({"reapply_interval": "1m", "cooldown": {"up": 5, "down": "5m"},
    "max_step": 2, "on_missing_metrics": "scale_up",
    "proportional": {"target_latency": 0.5, "resource": "rmq"}})");
  return doc;
}

// Replaces every node under `node` (at path `field`), one at a time, with a value of every JSON
// type. A value of a type the field does not accept must be reported at that field and nowhere
// else; a value of an accepted type may load or fail, but never crashes nor gives an empty
// message.
void ReplaceEachNode(json& node, const std::string& field, const json& root, int& wrong_types) {
  const std::vector<json> replacements = {
      nullptr, true, -3, 2.5, "x", json::array(), json::object(), json::array({1, "y"})};
  auto check = [&](json& slot, const std::string& at) {
    const auto accepted = AcceptedKinds(at);
    ASSERT_TRUE(accepted.has_value()) << "the test does not know the field " << at;
    const json saved = slot;
    for (const json& r : replacements) {
      slot = r;
      if (!accepted->contains(KindOf(r))) {
        EXPECT_EQ(ErrorFields(root), std::set<std::string>{at}) << at << " = " << r.dump();
        ++wrong_types;
        continue;
      }
      auto result = ParseScaleConfig(root);
      if (result.ok()) continue;
      for (const auto& e : result.error()) ASSERT_FALSE(e.ToString().empty()) << at;
    }
    slot = saved;
  };
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string at = field.empty() ? it.key() : field + "." + it.key();
      check(it.value(), at);
      ReplaceEachNode(it.value(), at, root, wrong_types);
    }
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string at = field + "[" + std::to_string(i) + "]";
      check(node[i], at);
      ReplaceEachNode(node[i], at, root, wrong_types);
    }
  }
}

TEST(ScaleConfig, WrongTypeAtEveryFieldIsReported) {
  json doc = EveryField();
  ASSERT_THAT(ErrorFields(doc), IsEmpty());
  int wrong_types = 0;
  ReplaceEachNode(doc, "", doc, wrong_types);
  EXPECT_GT(wrong_types, 250);
  EXPECT_EQ(doc, EveryField());
}

// Found by fuzz/scale_config_fuzz: the syntax error quoted bytes that are not UTF-8, and config
// errors are answered as JSON (PUT config, the service's status).
TEST(ScaleConfigErrors, SyntaxErrorEscapesBytesThatAreNotUtf8) {
  auto config = ParseScaleConfig("{\"min\": 1, \"m\xFF");
  ASSERT_FALSE(config.ok());
  ASSERT_EQ(config.error().size(), 1U);
  EXPECT_EQ(config.error()[0].message.find('\xFF'), std::string::npos) << config.error()[0].message;
  EXPECT_THAT(config.error()[0].message, ::testing::HasSubstr("\\xFF"));
}

}  // namespace
}  // namespace maiev::config
