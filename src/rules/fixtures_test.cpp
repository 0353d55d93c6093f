// The worked examples and errors of fixtures/rule-language.md, and every expression of the
// fixture scale configs and catalogs.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rules/expression.hpp"
#include "rules/ruleset.hpp"

namespace maiev::rules {
namespace {

using std::chrono::seconds;

const TimePoint kNow = TimePoint{seconds{1'700'000'000}};

// Metrics of `rmq` in the fixture. `rate` is an explicit null, `age` is absent: both read null.
MetricsSnapshot FixtureMetrics() {
  return {{"rmq",
           {{"exists", Value::Bool(true)},
            {"waiting", Value::Number(12)},
            {"latency", Value::Number(0.15)},
            {"rate", Value()},
            {"call_rate", Value::Number(3.0)},
            {"exec_rate", Value::Number(80.0)},
            {"consumers", Value::Number(0)},
            {"unacked", Value::Number(0)}}}};
}

RuleHistory FixtureHistory() {
  return {{"latency_ok", {true, kNow - seconds{45}}},
          {"latency_fail", {true, kNow - seconds{60}}},
          {"later", {false, kNow - seconds{100}}}};
}

constexpr size_t kRuleUnderTest = 2;

// latency_ok and latency_fail are declared before the rule under test, `later` after it.
Result<RuleSet, RuleSetError> CompileWithRuleUnderTest(const std::string& expression) {
  return RuleSet::Compile({{"rmq", "monitorer_rabbitmq", "rpc-producer"}},
                          {{"latency_ok", "rmq:latency < 0.200"},
                           {"latency_fail", "rmq:latency > 5"},
                           {"under_test", expression},
                           {"later", "rmq:waiting > 0"}},
                          "", "");
}

struct Example {
  const char* name;
  const char* expression;
  bool expected;
};

class RuleLanguageExample : public testing::TestWithParam<Example> {};

TEST_P(RuleLanguageExample, EvaluatesAsTheFixtureSays) {
  const Example& example = GetParam();
  auto rules = CompileWithRuleUnderTest(example.expression);
  ASSERT_TRUE(rules.ok()) << rules.error().ToString();
  Evaluation evaluation = rules->Evaluate(FixtureMetrics(), FixtureHistory(), kNow);
  ASSERT_EQ(evaluation.rules.size(), 4u);
  EXPECT_EQ(evaluation.rules[kRuleUnderTest].first, "under_test");
  EXPECT_EQ(evaluation.rules[kRuleUnderTest].second.value, example.expected) << example.expression;
}

INSTANTIATE_TEST_SUITE_P(
    Fixture, RuleLanguageExample,
    testing::Values(
        Example{"LessThanDecimal", "rmq:latency < 0.200", true},
        Example{"AndOfTwoComparisons", "rmq:latency <= 0.15 and rmq:waiting >= 12", true},
        Example{"EqualsZero", "rmq:waiting > 10 and rmq:consumers == 0", true},
        Example{"NotBindsTighterThanOr", "not rmq:exists or rmq:consumers > 0", false},
        Example{"NotAppliesToWholeComparison", "not rmq:latency > 5", true},
        Example{"BareMetricIsItsTruth", "rmq:latency", true},
        Example{"BareZeroIsFalse", "rmq:consumers", false},
        Example{"BareResourceIsTrueWhenPresent", "rmq", true},
        Example{"BooleanComparesAsOne", "rmq:exists == 1", true},
        Example{"OrderingWithNullIsFalse", "rmq:rate > 0", false},
        Example{"EveryOrderingWithNullIsFalse", "rmq:rate <= 0 or rmq:rate >= 0", false},
        Example{"NotEqualWithNullIsTrue", "rmq:rate != 0", true},
        Example{"SetLiteralMembership", "rmq:consumers in {0, 1, 2}", true},
        Example{"Substring", "\"run\" in \"running\"", true},
        Example{"SignedLiteral", "rmq:latency > -1", true},
        Example{"LiteralOnTheLeft", "-1 < rmq:latency", true},
        Example{"Grouping", "(rmq:waiting > 1 or rmq:latency > 1) and not rmq:consumers", true},
        Example{"EarlierRuleKeepsSince", "rules:latency_ok and rules:latency_ok:since > \"30s\"",
                true},
        Example{"SinceInMinutes", "rules:latency_ok:since > \"1m\"", false},
        Example{"LongUnitNames", "rules:latency_ok:since > \"40 seconds\"", true},
        Example{"ThisPassWinsOverHistory", "rules:latency_fail", false},
        Example{"ChangedInThisPassHasZeroSince", "rules:latency_fail:since > \"25s\"", false},
        Example{"LaterRuleReadsStoredValue", "rules:later", false},
        Example{"LaterRuleReadsStoredSince", "rules:later:since > \"90s\"", true},
        Example{"FractionalDuration", "rules:latency_ok:since > \"1.5s\"", true},
        Example{"CompoundDuration", "rules:latency_ok:since >= \"1m30s\"", false}),
    [](const testing::TestParamInfo<Example>& param_info) {
      return std::to_string(param_info.index + 1) + "_" + param_info.param.name;
    });

struct ErrorExample {
  const char* name;
  const char* expression;
  int column;
  const char* message;
};

class RuleLanguageError : public testing::TestWithParam<ErrorExample> {};

TEST_P(RuleLanguageError, IsReportedWithColumnAtLoad) {
  const ErrorExample& example = GetParam();
  auto rules = CompileWithRuleUnderTest(example.expression);
  ASSERT_FALSE(rules.ok()) << example.expression;
  EXPECT_EQ(rules.error().field, "rules[2].expression");
  EXPECT_EQ(rules.error().diagnostic.message, example.message);
  EXPECT_EQ(rules.error().diagnostic.column, example.column);
  EXPECT_EQ(rules.error().diagnostic.ToString(),
            std::string(example.message) + " (col " + std::to_string(example.column) + ")");
}

INSTANTIATE_TEST_SUITE_P(
    Fixture, RuleLanguageError,
    testing::Values(ErrorExample{"UnknownMetric", "rmq:nope > 1", 1,
                                 "unknown metric `nope` of resource `rmq`"},
                    ErrorExample{"UnknownRule", "rules:missing", 1, "unknown rule `missing`"},
                    ErrorExample{"Ampersand", "rmq:latency < 0.2 & rmq:waiting > 1", 19,
                                 "unexpected character `&`"},
                    ErrorExample{"EndsWhereValueExpected", "rmq:latency >", 14,
                                 "expression ends where a value was expected"},
                    ErrorExample{"MissingParen", "(rmq:waiting > 1", 17, "missing `)`"},
                    ErrorExample{"InvalidDuration", "rules:latency_ok:since > \"soon\"", 26,
                                 "invalid duration `\"soon\"`"},
                    ErrorExample{"ChainedComparison", "0 < rmq:latency < 0.1", 17,
                                 "comparisons do not chain; use `and`"}),
    [](const testing::TestParamInfo<ErrorExample>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(RuleLanguageError, OtherNonOperatorsAreUnexpectedCharacters) {
  for (const char* op : {"|", "~", "^"}) {
    std::string expression = std::string("rmq:waiting > 1 ") + op + " rmq:consumers";
    auto rules = CompileWithRuleUnderTest(expression);
    ASSERT_FALSE(rules.ok()) << expression;
    EXPECT_EQ(rules.error().diagnostic.message, std::string("unexpected character `") + op + "`");
    EXPECT_EQ(rules.error().diagnostic.column, 17);
  }
}

nlohmann::json ReadFixture(const std::string& relative) {
  std::ifstream in(std::string(MAIEV_FIXTURES_DIR) + "/" + relative);
  EXPECT_TRUE(in.good()) << relative;
  return nlohmann::json::parse(in);
}

// Every string inside a "require" array, anywhere in `j`.
void CollectRequires(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (key == "require" && value.is_array()) {
        for (const auto& item : value) out.push_back(item.get<std::string>());
      } else {
        CollectRequires(value, out);
      }
    }
  } else if (j.is_array()) {
    for (const auto& item : j) CollectRequires(item, out);
  }
}

TEST(FixtureScaleConfigs, RuleSetsCompile) {
  int compiled = 0;
  for (const char* name :
       {"scale-config-producer.json", "scale-config-consumer.json", "scale-config-global.json"}) {
    nlohmann::json config = ReadFixture(name);
    if (!config.contains("scale")) continue;
    const nlohmann::json& scale = config["scale"];
    std::vector<ResourceDecl> resources;
    for (const auto& r : scale["resources"]) {
      resources.push_back({r["name"], r["monitorer"], r["identifier"]});
    }
    std::vector<RuleDecl> rules;
    for (const auto& r : scale["rules"]) rules.push_back({r["name"], r["expression"]});
    auto set = RuleSet::Compile(resources, rules, scale.value("scale_up", ""),
                                scale.value("scale_down", ""));
    EXPECT_TRUE(set.ok()) << name << ": " << set.error().ToString();
    ++compiled;
  }
  EXPECT_GE(compiled, 1);
}

TEST(FixtureScaleConfigs, RequireExpressionsParse) {
  std::vector<std::string> expressions;
  for (const char* name :
       {"scale-config-producer.json", "scale-config-consumer.json", "scale-config-global.json"}) {
    CollectRequires(ReadFixture(name), expressions);
  }
  ASSERT_GE(expressions.size(), 19u);
  for (const std::string& expression : expressions) {
    auto refs = Expression::References(expression);
    ASSERT_TRUE(refs.ok()) << expression << ": " << refs.error().ToString();
    EXPECT_EQ(refs->size(), 1u) << expression;
  }
}

TEST(FixtureCatalogs, EveryRequireExpressionParses) {
  size_t total = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(MAIEV_FIXTURES_DIR) + "/catalogs")) {
    if (entry.path().extension() != ".json") continue;
    std::vector<std::string> expressions;
    CollectRequires(ReadFixture("catalogs/" + entry.path().filename().string()), expressions);
    for (const std::string& expression : expressions) {
      auto refs = Expression::References(expression);
      ASSERT_TRUE(refs.ok()) << entry.path() << ": " << expression << ": "
                             << refs.error().ToString();
      EXPECT_FALSE(refs->empty()) << expression;
      for (const Reference& ref : *refs) EXPECT_GE(ref.segments.size(), 2u) << ref.Text();
    }
    total += expressions.size();
  }
  EXPECT_GE(total, 100u);  // planner-sample1 and solver-sample1 hold 125 between them
}

}  // namespace
}  // namespace maiev::rules
