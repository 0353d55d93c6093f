// Runs the `maiev` executable as a user would: `maiev rules check|eval` on the fixtures and on
// bad inputs, checking stdout/stderr and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_test_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

Outcome Maiev(const std::string& args) {
  auto run = maiev::cli::testing::RunShell(std::string("'") + MAIEV_EXE + "' " + args + " 2>&1");
  return {run.exit_code, std::move(run.out)};
}

std::string Fixture(const std::string& name) {
  return std::string(MAIEV_FIXTURES_DIR) + "/" + name;
}

// A scratch directory per test, removed afterwards.
class RulesCommand : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    return scratch_.Write(name, text);
  }
  std::string Write(const std::string& name, const char* text) {
    return Write(name, std::string(text));
  }
  std::string Write(const std::string& name, const json& doc) { return Write(name, doc.dump()); }

  static json Producer() {
    std::ifstream in(Fixture("scale-config-producer.json"));
    return json::parse(in);
  }

  // Metrics of rule-language.md.
  static json LanguageMetrics() {
    return json::parse(R"({"rmq": {"exists": true, "waiting": 12, "latency": 0.15, "rate": null,
      "call_rate": 3.0, "exec_rate": 80.0, "consumers": 0, "unacked": 0, "age": null}})");
  }

  maiev::cli::testing::ScratchDir scratch_{"maiev-cli-test"};
};

TEST_F(RulesCommand, CheckProducerFixturePrintsOk) {
  const Outcome run = Maiev("rules check '" + Fixture("scale-config-producer.json") + "'");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output, "OK\n");
}

TEST_F(RulesCommand, CheckConfigWithoutScaleIsOk) {
  EXPECT_EQ(Maiev("rules check '" + Fixture("scale-config-consumer.json") + "'").exit_code, 0);
  EXPECT_EQ(Maiev("rules check '" + Fixture("scale-config-global.json") + "'").exit_code, 0);
}

TEST_F(RulesCommand, CheckTypoInRuleGivesPathAndColumn) {
  json doc = Producer();
  doc["scale"]["rules"][2]["expression"] =
      "rmq:latency > 10 or (rules:latency_fial and rules:latency_fail:since > \"25s\")";
  const std::string path = Write("typo.json", doc);
  const Outcome run = Maiev("rules check '" + path + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output,
            path + ": scale.rules[2].expression: col 22: unknown rule `latency_fial`\n");
}

TEST_F(RulesCommand, CheckPrintsEveryErrorOnItsOwnLine) {
  json doc = Producer();
  doc["min"] = 12;
  doc["scale"]["resources"][0]["monitorer"] = "x";
  const std::string path = Write("bad.json", doc);
  const Outcome run = Maiev("rules check '" + path + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output, path + ": min (12) > max (9)\n" + path +
                            ": scale.resources[0].monitorer: unknown monitorer `x` (accepted: "
                            "`monitorer_rabbitmq`)\n");
}

TEST_F(RulesCommand, CheckInvalidJsonGivesLineAndColumn) {
  const std::string path = Write("broken.json", "{\n  \"min\": 1,\n  \"max\": x\n}");
  const Outcome run = Maiev("rules check '" + path + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr(path + ": invalid JSON at line 3, col 10: "));
}

TEST_F(RulesCommand, CheckUnreadableFile) {
  const std::string path = (scratch_.path() / "missing.json").string();
  const Outcome run = Maiev("rules check '" + path + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output, path + ": cannot read: No such file or directory\n");
}

TEST_F(RulesCommand, CheckWithoutFileIsAUsageError) {
  EXPECT_EQ(Maiev("rules check").exit_code, 2);
  EXPECT_EQ(Maiev("rules").exit_code, 2);
}

TEST_F(RulesCommand, EvalProducerFixtureWithLanguageMetrics) {
  const std::string metrics = Write("metrics.json", LanguageMetrics());
  const std::string history = Write("history.json", json::parse(R"({
    "latency_ok": {"value": true, "for": "45s"}, "latency_fail": {"value": true, "for": 60}})"));
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "' --history '" + history + "' --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  json out = json::parse(run.output);
  ASSERT_TRUE(out.contains("explanation"));
  out.erase("explanation");  // EvalJsonCarriesTheExplanation
  // latency_ok still true (held 45 s); latency_fail flips to false (0.15 > 5 is false), since 0;
  // stable_latency becomes true (latency_ok held > 30 s); no consumers while 12 messages wait.
  EXPECT_EQ(out, json::parse(R"({
    "rules": {
      "latency_ok": {"value": true, "since": 45.0},
      "latency_fail": {"value": false, "since": 0.0},
      "panic": {"value": false, "since": 0.0},
      "stable_latency": {"value": true, "since": 0.0}
    },
    "scale_up": true, "scale_down": false})"));
  // Declaration order is kept in the output.
  EXPECT_LT(run.output.find("latency_ok"), run.output.find("stable_latency"));
}

TEST_F(RulesCommand, EvalWithoutHistoryStartsRulesFalse) {
  const std::string metrics = Write("metrics.json", LanguageMetrics());
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "' --now 2024-05-01T12:00:00Z --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json out = json::parse(run.output);
  EXPECT_EQ(out["rules"]["latency_ok"], json::parse(R"({"value": true, "since": 0.0})"));
  EXPECT_EQ(out["rules"]["stable_latency"]["value"], false);  // latency_ok only just became true
}

TEST_F(RulesCommand, EvalScalesDownWhenStable) {
  const std::string metrics = Write(
      "metrics.json", json::parse(R"({"rmq": {"exists": true, "waiting": 0, "consumers": 2}})"));
  const std::string history =
      Write("history.json", json::parse(R"({"latency_ok": {"value": true, "for": "2m"},
                                     "stable_latency": {"value": true, "for": "1m30s"}})"));
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "' --history '" + history + "' --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json out = json::parse(run.output);
  EXPECT_EQ(out["rules"]["stable_latency"], json::parse(R"({"value": true, "since": 90.0})"));
  EXPECT_EQ(out["scale_up"], false);
  EXPECT_EQ(out["scale_down"], true);
}

TEST_F(RulesCommand, EvalMissingResourceMeansNotExists) {
  const std::string metrics = Write("metrics.json", json::object());
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("scale_up true, scale_down false\n"));
  EXPECT_THAT(run.output,
              HasSubstr("why: scale_up: not rmq:exists ← rmq:exists null (no sample)\n"));
}

// Regression: `exists` left out of the metrics is null, so `not rmq:exists` fires; the output must
// say so, not just "scale_up true".
TEST_F(RulesCommand, EvalSaysWhichTermMadeTheTriggerFire) {
  const std::string metrics = Write(
      "metrics.json", json::parse(R"({"rmq": {"waiting": 12, "latency": 0.3, "consumers": 2}})"));
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("why: scale_up: not rmq:exists ← rmq:exists null\n"));
}

TEST_F(RulesCommand, EvalPrintsEachRuleWithTheTermsThatDecidedIt) {
  const std::string metrics = Write("metrics.json", LanguageMetrics());
  const std::string history = Write("history.json", json::parse(R"({
    "latency_ok": {"value": true, "for": "45s"}, "latency_fail": {"value": true, "for": 60}})"));
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "' --history '" + history + "'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output,
            "latency_ok      true   held 45s    ← rmq:latency 0.15 < 0.200\n"
            "latency_fail    false  changed     ← rmq:latency 0.15 > 5 is false\n"
            "panic           false  held 0s     ← rmq:latency 0.15 > 10 is false, "
            "rules:latency_fail false, rules:latency_fail:since 0s > 25s is false\n"
            "stable_latency  true   changed     ← rules:latency_ok, rules:latency_ok:since 45s > "
            "30s\n"
            "scale_up true, scale_down false\n"
            "why: scale_up: rmq:consumers 0 == 0, rmq:waiting 12 > 0\n");
}

TEST_F(RulesCommand, EvalJsonCarriesTheExplanation) {
  const std::string metrics = Write(
      "metrics.json", json::parse(R"({"rmq": {"waiting": 12, "latency": 0.3, "consumers": 2}})"));
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "' --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json out = json::parse(run.output);
  EXPECT_EQ(out["scale_up"], true);
  const json& explanation = out["explanation"];
  EXPECT_EQ(explanation["text"], "scale_up: not rmq:exists ← rmq:exists null");
  const json& term = explanation["scale_up"]["terms"][0];
  EXPECT_EQ(term["kind"], "not");
  EXPECT_EQ(term["text"], "not rmq:exists");
  EXPECT_EQ(term["because"][0]["operand"]["kind"], "metric");
  EXPECT_TRUE(term["because"][0]["operand"]["value"].is_null());
  EXPECT_EQ(explanation["scale_down"]["value"], false);
}

TEST_F(RulesCommand, EvalUnknownMetricNamesIt) {
  json metrics = LanguageMetrics();
  metrics["rmq"]["latncy"] = 1;
  const std::string path = Write("metrics.json", metrics);
  const Outcome run =
      Maiev("rules eval '" + Fixture("scale-config-producer.json") + "' --metrics '" + path + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output, path +
                            ": rmq.latncy: unknown metric (accepted: exists, waiting, latency, "
                            "call_rate, exec_rate, rate, consumers, unacked, age, stalled)\n");
}

TEST_F(RulesCommand, EvalUnknownResourceNamesIt) {
  const std::string path = Write("metrics.json", json::parse(R"({"db": {"waiting": 1}})"));
  const Outcome run =
      Maiev("rules eval '" + Fixture("scale-config-producer.json") + "' --metrics '" + path + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output, path + ": db: unknown resource (declared: `rmq`)\n");
}

TEST_F(RulesCommand, EvalBadMetricValue) {
  const std::string path = Write("metrics.json", json::parse(R"({"rmq": {"waiting": "many"}})"));
  const Outcome run =
      Maiev("rules eval '" + Fixture("scale-config-producer.json") + "' --metrics '" + path + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output,
            path + ": rmq.waiting: expected a number, \"inf\", boolean or null, got \"many\"\n");
}

TEST_F(RulesCommand, EvalReadsAnInfiniteLatencyAsTheDaemonWritesIt) {
  const std::string path = Write("metrics.json", json::parse(R"({"rmq": {"exists": true,
      "waiting": 12, "latency": "inf", "consumers": 2}})"));
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + path + "' --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json out = json::parse(run.output);
  EXPECT_EQ(out["scale_up"], true);  // rules:panic ← rmq:latency inf > 10
  EXPECT_EQ(out["rules"]["latency_fail"]["value"], true);
}

TEST_F(RulesCommand, EvalBadHistory) {
  const std::string metrics = Write("metrics.json", LanguageMetrics());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"latency_okk": {"value": true, "for": "1s"}})",
       "latency_okk: unknown rule (declared: `latency_ok`, `latency_fail`, `panic`, "
       "`stable_latency`)"},
      {R"({"latency_ok": {"value": 1, "for": "1s"}})",
       "latency_ok.value: expected true or false, got 1"},
      {R"({"latency_ok": {"value": true, "for": "soon"}})",
       "latency_ok.for: expected how long the value has held: a duration such as \"45s\" or "
       "\"1h30m\", or seconds, got \"soon\""},
      {R"({"latency_ok": {"value": true}})",
       "latency_ok.for: expected how long the value has held: a duration such as \"45s\" or "
       "\"1h30m\", or seconds, got nothing"},
      {R"({"latency_ok": {"value": true, "for": "1s", "since": 3}})",
       "latency_ok.since: unknown key (accepted: value, for)"},
      {R"([])",
       "expected an object of rules, e.g. {\"latency_ok\": {\"value\": true, \"for\": "
       "\"45s\"}}, got array"},
  };
  for (const auto& [text, message] : cases) {
    const std::string history = Write("history.json", text);
    const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                              "' --metrics '" + metrics + "' --history '" + history + "'");
    EXPECT_EQ(run.exit_code, 2) << text;
    EXPECT_EQ(run.output, history + ": " + message + "\n") << text;
  }
}

TEST_F(RulesCommand, EvalInvalidConfigReportsConfigErrors) {
  json doc = Producer();
  doc["scale"]["scale_up"] = "rules:panik";
  const std::string config = Write("config.json", doc);
  const std::string metrics = Write("metrics.json", LanguageMetrics());
  const Outcome run = Maiev("rules eval '" + config + "' --metrics '" + metrics + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.output, config + ": scale.scale_up: col 1: unknown rule `panik`\n");
}

TEST_F(RulesCommand, EvalInvalidMetricsJson) {
  const std::string metrics = Write("metrics.json", "{\"rmq\": {\"waiting\": }}");
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr(metrics + ": invalid JSON at line 1, col 21: "));
}

TEST_F(RulesCommand, EvalRequiresMetrics) {
  EXPECT_EQ(Maiev("rules eval '" + Fixture("scale-config-producer.json") + "'").exit_code, 2);
}

TEST_F(RulesCommand, EvalRejectsBadNow) {
  const std::string metrics = Write("metrics.json", LanguageMetrics());
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-producer.json") +
                            "' --metrics '" + metrics + "' --now 2024-13-01T00:00:00Z");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("--now: invalid time \"2024-13-01T00:00:00Z\""));
}

TEST_F(RulesCommand, EvalConfigWithoutScaleNeverScales) {
  const std::string metrics = Write("metrics.json", json::object());
  const Outcome run = Maiev("rules eval '" + Fixture("scale-config-consumer.json") +
                            "' --metrics '" + metrics + "'");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr("no `scale` section: never scaled by rules"));
  EXPECT_THAT(run.output, HasSubstr("scale_up false, scale_down false"));
  const Outcome as_json = Maiev("rules eval '" + Fixture("scale-config-consumer.json") +
                                "' --metrics '" + metrics + "' --json");
  EXPECT_THAT(as_json.output, HasSubstr("\"scale_up\": false"));
}

}  // namespace
