#include "rules/explanation.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "rules/ruleset.hpp"

namespace maiev::rules {
namespace {

const TimePoint kNow{std::chrono::seconds{1'700'000'000}};
const std::vector<ResourceDecl> kRmq = {{"rmq", "monitorer_rabbitmq", "rpc-producer"}};

TimePoint SecondsAgo(double s) {
  return kNow - std::chrono::duration_cast<WallClock::duration>(Duration{s});
}

RuleSet Compile(std::vector<RuleDecl> rules, std::string up, std::string down = "") {
  auto set = RuleSet::Compile(kRmq, std::move(rules), std::move(up), std::move(down));
  EXPECT_TRUE(set.ok()) << (set.ok() ? "" : set.error().ToString());
  return std::move(set).value();
}

// The rules of fixtures/scale-config-producer.json.
RuleSet Producer() {
  return Compile(
      {{"latency_ok", "rmq:waiting == 0 or rmq:latency < 0.200"},
       {"latency_fail", "rmq:latency > 5"},
       {"panic", "rmq:latency > 10 or (rules:latency_fail and rules:latency_fail:since > \"25s\")"},
       {"stable_latency", "rules:latency_ok and rules:latency_ok:since > \"30s\""}},
      "rules:panic or (rmq:consumers == 0 and rmq:waiting > 0) or not rmq:exists",
      "rules:stable_latency and rmq:consumers > 0");
}

MetricsSnapshot Metrics(ResourceMetrics rmq) { return {{"rmq", std::move(rmq)}}; }

// Metrics of rule-language.md.
MetricsSnapshot LanguageMetrics() {
  return Metrics({{"exists", Value::Bool(true)},
                  {"waiting", Value::Number(12)},
                  {"latency", Value::Number(0.15)},
                  {"call_rate", Value::Number(3)},
                  {"exec_rate", Value::Number(80)},
                  {"consumers", Value::Number(0)},
                  {"unacked", Value::Number(0)}});
}

std::string Line(const RuleSet& set, const MetricsSnapshot& metrics,
                 const RuleHistory& history = {}) {
  return set.Explain(metrics, history, kNow).ToString();
}

TEST(Explain, OrShowsOnlyTheTrueOperands) {
  const RuleSet set =
      Compile({}, "rmq:waiting > 10 or rmq:latency > 3 or rmq:consumers == 0", "rmq:waiting < 0");
  EXPECT_EQ(Line(set, LanguageMetrics()), "scale_up: rmq:waiting 12 > 10, rmq:consumers 0 == 0");
}

TEST(Explain, TrueAndShowsAllItsOperands) {
  const RuleSet set = Compile({}, "rmq:waiting > 10 and rmq:consumers == 0");
  EXPECT_EQ(Line(set, LanguageMetrics()), "scale_up: rmq:waiting 12 > 10, rmq:consumers 0 == 0");
}

TEST(Explain, FalseAndShowsOnlyTheFalseOperands) {
  const RuleSet set = Compile({}, "rmq:waiting > 10 and rmq:consumers > 0 and rmq:latency > 1");
  EXPECT_EQ(Line(set, LanguageMetrics()),
            "scale_up false: rmq:consumers 0 > 0 is false, rmq:latency 0.15 > 1 is false; "
            "scale_down never (blank expression)");
}

TEST(Explain, FalseOrShowsAllItsOperands) {
  const RuleSet set = Compile({}, "rmq:waiting > 100 or rmq:consumers > 0", "rmq:waiting == 0");
  EXPECT_EQ(Line(set, LanguageMetrics()),
            "scale_up false: rmq:waiting 12 > 100 is false, rmq:consumers 0 > 0 is false; "
            "scale_down false: rmq:waiting 12 == 0 is false");
}

TEST(Explain, NotFlipsWhatItsOperandNeeds) {
  const RuleSet set = Compile({}, "not (rmq:waiting > 100 or rmq:consumers > 0)",
                              "not (rmq:waiting > 100 or rmq:latency < 1)");
  EXPECT_EQ(Line(set, LanguageMetrics()),
            "scale_up: not (rmq:waiting > 100 or rmq:consumers > 0) ← (rmq:waiting 12 > 100 is "
            "false, rmq:consumers 0 > 0 is false)");
  // A false `not`: what made its operand true.
  const RuleSet down = Compile({}, "", "not (rmq:waiting > 100 or rmq:latency < 1)");
  EXPECT_EQ(Line(down, LanguageMetrics()),
            "scale_up never (blank expression); scale_down false: not (rmq:waiting > 100 or "
            "rmq:latency < 1) is false ← rmq:latency 0.15 < 1");
}

// Regression: `exists` left out of the metrics is null, so `not rmq:exists` fires.
TEST(Explain, NotExistsFiringOnAMissingExistsSaysNull) {
  const MetricsSnapshot metrics = Metrics({{"waiting", Value::Number(12)},
                                           {"latency", Value::Number(0.3)},
                                           {"consumers", Value::Number(2)}});
  EXPECT_EQ(Line(Producer(), metrics), "scale_up: not rmq:exists ← rmq:exists null");
}

TEST(Explain, ResourceWithoutSampleSaysSo) {
  EXPECT_EQ(Line(Producer(), {}), "scale_up: not rmq:exists ← rmq:exists null (no sample)");
  const RuleSet bare = Compile({}, "not rmq", "rmq");
  EXPECT_EQ(Line(bare, {}), "scale_up: not rmq ← rmq false (no sample)");
  EXPECT_EQ(Line(bare, LanguageMetrics()),
            "scale_down: rmq; scale_up false: not rmq is false ← rmq");
}

TEST(Explain, ComparisonWithNullSaysNull) {
  const RuleSet set = Compile({}, "rmq:rate > 0 or rmq:rate != 0");
  EXPECT_EQ(Line(set, LanguageMetrics()), "scale_up: rmq:rate null != 0");
  const RuleSet ordered = Compile({}, "rmq:rate > 0", "rmq:rate <= 0");
  EXPECT_EQ(Line(ordered, LanguageMetrics()),
            "scale_up false: rmq:rate null > 0 is false; scale_down false: rmq:rate null <= 0 is "
            "false");
}

TEST(Explain, InShowsTheSetAsWritten) {
  const RuleSet set = Compile({}, "rmq:consumers in {0, 1, 2}", "rmq:waiting in {0}");
  EXPECT_EQ(Line(set, LanguageMetrics()), "scale_up: rmq:consumers 0 in {0, 1, 2}");
  EXPECT_EQ(Line(Compile({}, "", "rmq:waiting in {0}"), LanguageMetrics()),
            "scale_up never (blank expression); scale_down false: rmq:waiting 12 in {0} is false");
}

TEST(Explain, RuleReferenceIsFollowedByTheRulesOwnTerms) {
  const RuleSet set = Compile({{"behind", "rmq:latency > 3"}}, "rules:behind");
  const MetricsSnapshot metrics = Metrics({{"latency", Value::Number(133.0)}});
  EXPECT_EQ(Line(set, metrics), "scale_up: rules:behind ← rmq:latency 133 > 3");
}

TEST(Explain, FalseRuleReferenceSaysFalseAndWhy) {
  const RuleSet set = Compile({{"behind", "rmq:latency > 3 or rmq:waiting > 100"}}, "rules:behind");
  EXPECT_EQ(Line(set, LanguageMetrics()),
            "scale_up false: rules:behind false ← (rmq:latency 0.15 > 3 is false, rmq:waiting 12 > "
            "100 is false); scale_down never (blank expression)");
}

TEST(Explain, SinceIsPrintedAsADuration) {
  const RuleSet set =
      Compile({{"latency_fail", "rmq:latency > 5"},
               {"panic", "rules:latency_fail and rules:latency_fail:since > \"25s\""}},
              "rules:panic");
  const RuleHistory history = {{"latency_fail", {true, SecondsAgo(31)}}};
  EXPECT_EQ(Line(set, Metrics({{"latency", Value::Number(7)}}), history),
            "scale_up: rules:panic ← (rules:latency_fail ← rmq:latency 7 > 5, "
            "rules:latency_fail:since 31s > 25s)");
}

TEST(Explain, SinceChangedInThisPassIsZero) {
  const RuleSet set = Compile({{"latency_fail", "rmq:latency > 5"}},
                              "rules:latency_fail and rules:latency_fail:since > \"1m30s\"");
  EXPECT_EQ(Line(set, Metrics({{"latency", Value::Number(7)}})),
            "scale_up false: rules:latency_fail:since 0s > 1m30s is false; scale_down never "
            "(blank expression)");
}

TEST(Explain, RuleNotYetEvaluatedInThePassIsReadFromTheLastPass) {
  const RuleSet set = Compile(
      {{"first", "not rules:later and rules:later:since > \"90s\""}, {"later", "rmq:waiting > 0"}},
      "rules:first", "rules:later");
  const RuleHistory history = {{"later", {false, SecondsAgo(100)}}};
  const Explanation explanation = set.Explain(LanguageMetrics(), history, kNow);
  EXPECT_EQ(explanation.ToString(),
            "scale_up: rules:first ← (not rules:later ← rules:later false (last pass), "
            "rules:later:since 1m40s (last pass) > 1m30s)");
  // `later` became true in this pass; the triggers read that.
  ASSERT_EQ(explanation.rules.size(), 2u);
  EXPECT_TRUE(explanation.rules[1].value);
  EXPECT_TRUE(explanation.rules[1].changed);
  EXPECT_TRUE(explanation.scale_down.value);
  const TermOperand& later = explanation.scale_down.terms.at(0).lhs;
  EXPECT_EQ(later.kind, TermOperand::Kind::kRule);
  EXPECT_FALSE(later.previous_pass);
  EXPECT_EQ(later.rule, std::optional<size_t>(1));
}

TEST(Explain, BothTriggersFalseExplainsBoth) {
  const RuleSet set = Producer();
  const MetricsSnapshot metrics = Metrics({{"exists", Value::Bool(true)},
                                           {"waiting", Value::Number(12)},
                                           {"latency", Value::Number(0.3)},
                                           {"consumers", Value::Number(2)}});
  EXPECT_EQ(Line(set, metrics),
            "scale_up false: rules:panic false ← (rmq:latency 0.3 > 10 is false, "
            "rules:latency_fail false ← rmq:latency 0.3 > 5 is false, "
            "rules:latency_fail:since 0s > 25s is false), "
            "rmq:consumers 2 == 0 is false, not rmq:exists is false ← rmq:exists true; "
            "scale_down false: rules:stable_latency false ← (rules:latency_ok false ← "
            "(rmq:waiting 12 == 0 is false, rmq:latency 0.3 < 0.200 is false), "
            "rules:latency_ok:since 0s > 30s is false)");
}

TEST(Explain, ScaleDownAlsoSaysWhyScaleUpWasFalse) {
  const RuleSet set = Compile({{"idle", "rmq:waiting == 0"}}, "not rules:idle", "rules:idle");
  // Each rule is followed by its terms once per line.
  EXPECT_EQ(Line(set, Metrics({{"waiting", Value::Number(0)}})),
            "scale_down: rules:idle ← rmq:waiting 0 == 0; scale_up false: not rules:idle is false "
            "← rules:idle");
}

TEST(Explain, TermsTextDoesNotFollowOtherRules) {
  const RuleSet set = Compile(
      {{"behind", "rmq:latency > 3"}, {"alarm", "rules:behind or rmq:stalled"}}, "rules:alarm");
  const Explanation explanation =
      set.Explain(Metrics({{"latency", Value::Number(133.0)}}), {}, kNow);
  EXPECT_EQ(explanation.TermsText(explanation.rules[1].trace), "rules:behind");
  EXPECT_EQ(explanation.TermsText(explanation.scale_up), "rules:alarm");
  EXPECT_EQ(explanation.ToString(), "scale_up: rules:alarm ← rules:behind ← rmq:latency 133 > 3");
}

TEST(Explain, ScaleDownWithABlankScaleUpSaysNothingOfIt) {
  const RuleSet set = Compile({}, "", "rmq:waiting == 0");
  EXPECT_EQ(Line(set, Metrics({{"waiting", Value::Number(0)}})), "scale_down: rmq:waiting 0 == 0");
}

TEST(Explain, LiteralOnTheLeftIsShownAsWritten) {
  const RuleSet set = Compile({}, "-1 < rmq:latency and 0.1 <= rmq:latency");
  EXPECT_EQ(Line(set, LanguageMetrics()),
            "scale_up: -1 < rmq:latency 0.15, 0.1 <= rmq:latency 0.15");
}

TEST(Explain, StalledQueueShowsInfiniteLatency) {
  const RuleSet set = Compile({}, "rmq:stalled or rmq:latency > 3");
  const MetricsSnapshot metrics =
      Metrics({{"stalled", Value::Bool(true)},
               {"latency", Value::Number(std::numeric_limits<double>::infinity())}});
  const Explanation explanation = set.Explain(metrics, {}, kNow);
  EXPECT_EQ(explanation.ToString(), "scale_up: rmq:stalled true, rmq:latency inf > 3");
  const nlohmann::json json = explanation.ToJson();
  const nlohmann::json& latency = json["scale_up"]["terms"][1]["lhs"];
  EXPECT_EQ(latency["shown"], "inf");
  EXPECT_EQ(latency["value"], "inf");  // JSON has no infinity
}

TEST(Explain, BareMetricShowsItsValue) {
  const RuleSet set = Compile({}, "rmq:waiting and not rmq:consumers");
  EXPECT_EQ(Line(set, LanguageMetrics()),
            "scale_up: rmq:waiting 12, not rmq:consumers ← rmq:consumers 0");
}

TEST(Explain, JsonCarriesTermsValuesAndTheRulesReferredTo) {
  const RuleSet set =
      Compile({{"behind", "rmq:latency > 3"}, {"unused", "rmq:waiting > 0"}}, "rules:behind");
  const nlohmann::json json =
      set.Explain(Metrics({{"latency", Value::Number(133.0)}}), {}, kNow).ToJson();
  EXPECT_EQ(json["text"], "scale_up: rules:behind ← rmq:latency 133 > 3");
  EXPECT_EQ(json["scale_up"]["value"], true);
  const nlohmann::json& term = json["scale_up"]["terms"][0];
  EXPECT_EQ(term["kind"], "truth");
  EXPECT_EQ(term["operand"]["kind"], "rule");
  EXPECT_EQ(term["operand"]["rule"], "behind");
  EXPECT_EQ(json["scale_down"]["never"], true);
  ASSERT_TRUE(json["rules"].contains("behind"));
  EXPECT_FALSE(json["rules"].contains("unused"));
  const nlohmann::json& leaf = json["rules"]["behind"]["terms"][0];
  EXPECT_EQ(leaf["kind"], "compare");
  EXPECT_EQ(leaf["op"], ">");
  EXPECT_EQ(leaf["lhs"]["kind"], "metric");
  EXPECT_EQ(leaf["lhs"]["text"], "rmq:latency");
  EXPECT_EQ(leaf["lhs"]["value"], 133);
  EXPECT_EQ(leaf["rhs"]["kind"], "literal");
  EXPECT_EQ(leaf["rhs"]["text"], "3");
  EXPECT_EQ(json["rules"]["behind"]["changed"], true);
}

TEST(Explain, AgreesWithEvaluateOnEveryRuleAndTrigger) {
  const RuleSet set = Producer();
  const std::vector<RuleHistory> histories = {
      {},
      {{"latency_ok", {true, SecondsAgo(45)}}, {"latency_fail", {true, SecondsAgo(60)}}},
      {{"stable_latency", {true, SecondsAgo(90)}}, {"panic", {true, SecondsAgo(5)}}}};
  for (double latency : {0.05, 0.3, 7.0, 12.0}) {
    for (double consumers : {0.0, 2.0}) {
      for (const RuleHistory& history : histories) {
        const MetricsSnapshot metrics = Metrics({{"exists", Value::Bool(true)},
                                                 {"waiting", Value::Number(latency * 80)},
                                                 {"latency", Value::Number(latency)},
                                                 {"consumers", Value::Number(consumers)}});
        const Evaluation evaluation = set.Evaluate(metrics, history, kNow);
        const Explanation explanation = set.Explain(metrics, history, kNow);
        ASSERT_EQ(explanation.rules.size(), evaluation.rules.size());
        for (size_t i = 0; i < evaluation.rules.size(); ++i) {
          EXPECT_EQ(explanation.rules[i].value, evaluation.rules[i].second.value);
          EXPECT_DOUBLE_EQ(explanation.rules[i].since_seconds,
                           SecondsBetween(evaluation.rules[i].second.since, kNow));
        }
        EXPECT_EQ(explanation.scale_up.value, evaluation.scale_up) << latency;
        EXPECT_EQ(explanation.scale_down.value, evaluation.scale_down) << latency;
      }
    }
  }
}

TEST(Explain, SlotsFormTakesTheStatesOnEntryOfThePass) {
  const RuleSet set = Compile({{"busy", "rmq:waiting > 0"}}, "rules:busy and rules:busy:since > 5");
  std::vector<Value> slots(set.slot_count());
  slots[set.PresenceSlot(0)] = Value::Bool(true);
  slots[set.MetricSlot(0, 1)] = Value::Number(12);  // waiting
  const std::vector<RuleState> on_entry = {{true, SecondsAgo(8)}};
  std::vector<RuleState> states = on_entry;
  const RuleSet::Triggers triggers = set.EvaluateSlots(slots, states, kNow);
  const Explanation explanation = set.Explain(slots, on_entry, kNow);
  EXPECT_TRUE(triggers.scale_up);
  EXPECT_EQ(explanation.scale_up.value, triggers.scale_up);
  EXPECT_EQ(explanation.ToString(),
            "scale_up: rules:busy ← rmq:waiting 12 > 0, rules:busy:since 8s > 5s");
}

TEST(ExpressionExplain, OperandsReadingSlotsAreNames) {
  class Slots final : public Binder {
   public:
    Result<Binding, std::string> Bind(const Reference& ref) override {
      return Binding{ref.segments.back() == "waiting" ? 0u : 1u, SlotType::kValue};
    }
  } binder;
  auto expression = Expression::Compile("(q:waiting) > 3 and \"x\" in q:names", binder);
  ASSERT_TRUE(expression.ok());
  const std::vector<Value> slots = {Value::Number(4),
                                    Value::List({Value::String("x"), Value::String("y")})};
  const Trace trace = expression->Explain(slots);
  EXPECT_TRUE(trace.value);
  ASSERT_EQ(trace.terms.size(), 2u);
  EXPECT_EQ(trace.terms[0].text, "(q:waiting) > 3");
  EXPECT_EQ(trace.terms[0].lhs.kind, TermOperand::Kind::kName);
  EXPECT_EQ(trace.terms[0].lhs.text, "(q:waiting)");
  EXPECT_EQ(trace.terms[0].lhs.slot, std::optional<uint32_t>(0));
  EXPECT_EQ(trace.terms[1].kind, Term::Kind::kIn);
  EXPECT_EQ(trace.terms[1].lhs.kind, TermOperand::Kind::kLiteral);
  EXPECT_EQ(trace.terms[1].lhs.text, "\"x\"");
  EXPECT_EQ(trace.terms[1].rhs.value, slots[1]);
}

TEST(ExplainFormat, NumbersPrintCompactly) {
  EXPECT_EQ(FormatNumber(133.0), "133");
  EXPECT_EQ(FormatNumber(0.3), "0.3");
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(FormatNumber(7.0 / 3.0), "2.333");
  EXPECT_EQ(FormatNumber(-2.5), "-2.5");
  EXPECT_EQ(FormatNumber(0.0004), "0.0004");
  EXPECT_EQ(FormatNumber(12345.0), "12345");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatNumber(-0.0), "0");
}

TEST(ExplainFormat, DurationsPrintAsDurations) {
  EXPECT_EQ(FormatDuration(31), "31s");
  EXPECT_EQ(FormatDuration(2.54), "2.5s");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(90), "1m30s");
  EXPECT_EQ(FormatDuration(300), "5m");
  EXPECT_EQ(FormatDuration(5400), "1h30m");
  EXPECT_EQ(FormatDuration(3601), "1h1s");
}

}  // namespace
}  // namespace maiev::rules
