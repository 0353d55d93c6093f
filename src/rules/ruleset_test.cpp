#include "rules/ruleset.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace maiev::rules {
namespace {

using std::chrono::seconds;

const std::vector<ResourceDecl> kRmq = {{"rmq", "monitorer_rabbitmq", "rpc-producer"}};

RuleSetError CompileError(std::vector<ResourceDecl> resources, std::vector<RuleDecl> rules,
                          std::string up = "", std::string down = "") {
  auto set =
      RuleSet::Compile(std::move(resources), std::move(rules), std::move(up), std::move(down));
  EXPECT_FALSE(set.ok());
  if (set.ok()) return {};
  return set.error();
}

TEST(RuleSetCompile, ExpressionErrorNamesTheRuleField) {
  RuleSetError error = CompileError(
      kRmq, {{"a", "rmq:waiting > 0"}, {"b", "rmq > 0"}, {"c", "rules:a and rules:latency_fial"}});
  EXPECT_EQ(error.field, "rules[2].expression");
  EXPECT_EQ(error.diagnostic, (Diagnostic{13, "unknown rule `latency_fial`"}));
  EXPECT_EQ(error.ToString(), "rules[2].expression: col 13: unknown rule `latency_fial`");
}

TEST(RuleSetCompile, TriggerErrorsNameTheirField) {
  EXPECT_EQ(CompileError(kRmq, {}, "rmq:nope").field, "scale_up");
  RuleSetError down = CompileError(kRmq, {}, "rmq", "x > 1");
  EXPECT_EQ(down.field, "scale_down");
  EXPECT_EQ(down.diagnostic.message, "unknown resource `x`");
}

TEST(RuleSetCheckExpressions, ReportsEveryErrorWhereCompileStopsAtTheFirst) {
  const std::vector<RuleDecl> rules = {
      {"a", "rmq:waiting > 0"}, {"b", "rmq:nope"}, {"c", ""}, {"d", "rules:zz"}};
  const std::vector<RuleSetError> errors =
      RuleSet::CheckExpressions(kRmq, rules, "rules:a and (", "  ");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].ToString(),
            "rules[1].expression: col 1: unknown metric `nope` of resource "
            "`rmq`");
  EXPECT_EQ(errors[1].ToString(), "rules[3].expression: col 1: unknown rule `zz`");
  EXPECT_EQ(errors[2].field, "scale_up");
  EXPECT_EQ(CompileError(kRmq, rules, "rules:a and (").ToString(), errors[0].ToString());
  EXPECT_TRUE(RuleSet::CheckExpressions(kRmq, {{"a", "rmq"}}, "rules:a", "").empty());
}

TEST(RuleSetCompile, RuleNamesMustBeIdentifiers) {
  for (const char* name : {"", "1st", "has-dash", "a:b", "sp ace"}) {
    RuleSetError error = CompileError(kRmq, {{"ok", "rmq"}, {name, "rmq"}});
    EXPECT_EQ(error.field, "rules[1].name") << name;
    EXPECT_EQ(error.diagnostic.column, 0);
    EXPECT_NE(error.diagnostic.message.find("is not an identifier"), std::string::npos);
  }
}

TEST(RuleSetCompile, RuleNamesMustBeUnique) {
  RuleSetError error = CompileError(kRmq, {{"a", "rmq"}, {"b", "rmq"}, {"a", "rmq"}});
  EXPECT_EQ(error.field, "rules[2].name");
  EXPECT_EQ(error.diagnostic.message, "duplicate rule name `a` (also rules[0])");
  EXPECT_EQ(error.ToString(), "rules[2].name: duplicate rule name `a` (also rules[0])");
}

TEST(RuleSetCompile, ReservedNamesAreRejected) {
  for (const char* name : {"rules", "and", "or", "not", "in", "true", "false"}) {
    EXPECT_EQ(CompileError(kRmq, {{name, "rmq"}}).diagnostic.message,
              std::string("rule name `") + name + "` is reserved");
    EXPECT_EQ(CompileError({{name, "m", "q"}}, {}).field, "resources[0].name");
  }
}

TEST(RuleSetCompile, ResourceNamesMustBeUniqueIdentifiers) {
  EXPECT_EQ(CompileError({{"rmq", "m", "q1"}, {"rmq", "m", "q2"}}, {}).diagnostic.message,
            "duplicate resource name `rmq` (also resources[0])");
  EXPECT_EQ(CompileError({{"rmq", "m", "q1"}, {"my-queue", "m", "q2"}}, {}).field,
            "resources[1].name");
}

TEST(RuleSetCompile, ARuleMayShareAResourceName) {
  auto set = RuleSet::Compile(kRmq, {{"rmq", "rmq:waiting > 0"}}, "rules:rmq and rmq", "");
  EXPECT_TRUE(set.ok()) << set.error().ToString();
}

TEST(RuleSetCompile, NameErrorsSayWhatIsAccepted) {
  EXPECT_EQ(CompileError(kRmq, {{"a", "rules"}}).diagnostic.message,
            "`rules` needs a rule name: `rules:NAME` or `rules:NAME:since`");
  EXPECT_EQ(CompileError(kRmq, {{"a", "rules:a:until > 1"}}).diagnostic.message,
            "unknown property `until` of rule `a`; accepted: `since`");
  EXPECT_EQ(CompileError(kRmq, {{"a", "rmq:latency:x"}}).diagnostic.message,
            "unknown metric `latency:x` of resource `rmq`");
}

TEST(RuleSetCompile, EveryMetricNameBinds) {
  for (std::string_view metric : kMetricNames) {
    auto set = RuleSet::Compile(kRmq, {{"a", "rmq:" + std::string(metric) + " != 1"}}, "", "");
    EXPECT_TRUE(set.ok()) << metric;
  }
}

TEST(RuleSetCompile, EmptyRuleExpressionIsAnError) {
  RuleSetError error = CompileError(kRmq, {{"a", ""}});
  EXPECT_EQ(error.field, "rules[0].expression");
  EXPECT_EQ(error.diagnostic, (Diagnostic{1, "expression ends where a value was expected"}));
}

TEST(RuleSetCompile, KeepsDeclarations) {
  auto set = RuleSet::Compile(kRmq, {{"a", "rmq"}}, "rules:a", "");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->resources()[0].identifier, "rpc-producer");
  EXPECT_EQ(set->rules()[0].expression, "rmq");
  EXPECT_EQ(set->scale_up(), "rules:a");
  EXPECT_EQ(set->scale_down(), "");
}

const TimePoint kStart = TimePoint{seconds{1'700'000'000}};
MetricsSnapshot Latency(double latency) {
  return {{"rmq", {{"exists", Value::Bool(true)}, {"latency", Value::Number(latency)}}}};
}

// Services of one config differ only in their queues: they share one compilation.
TEST(RuleSetCompile, TheSameTextIsCompiledOnceAndEachKeepsItsOwnIdentifiers) {
  auto a = RuleSet::Compile({{"rmq", "monitorer_rabbitmq", "queue-a"}},
                            {{"slow", "rmq:latency > 5"}}, "rules:slow", "");
  auto b = RuleSet::Compile({{"rmq", "monitorer_rabbitmq", "queue-b"}},
                            {{"slow", "rmq:latency > 5"}}, "rules:slow", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->SharesCompilationWith(*b));
  EXPECT_EQ(a->resources()[0].identifier, "queue-a");
  EXPECT_EQ(b->resources()[0].identifier, "queue-b");
  EXPECT_EQ(b->rules()[0].expression, "rmq:latency > 5");
  EXPECT_TRUE(b->Evaluate(Latency(6), {}, kStart).scale_up);
  EXPECT_FALSE(a->Evaluate(Latency(1), {}, kStart).scale_up);
}

TEST(RuleSetCompile, AnyOtherTextIsCompiledApart) {
  const std::vector<RuleDecl> rules = {{"slow", "rmq:latency > 5"}};
  auto base = RuleSet::Compile(kRmq, rules, "rules:slow", "");
  ASSERT_TRUE(base.ok());
  std::vector<Result<RuleSet, RuleSetError>> others;
  others.push_back(
      RuleSet::Compile({{"rmq", "monitorer_other", "rpc-producer"}}, rules, "rules:slow", ""));
  others.push_back(RuleSet::Compile(kRmq, {{"slow", "rmq:latency > 6"}}, "rules:slow", ""));
  others.push_back(RuleSet::Compile(kRmq, {{"slow2", "rmq:latency > 5"}}, "rules:slow2", ""));
  others.push_back(RuleSet::Compile(kRmq, rules, "rules:slow", "not rules:slow"));
  others.push_back(RuleSet::Compile(kRmq, rules, "", "rules:slow"));
  // A part's text running into the next is no match either.
  others.push_back(RuleSet::Compile(kRmq, rules, "rules:slow ", ""));
  for (const auto& other : others) {
    ASSERT_TRUE(other.ok()) << other.error().ToString();
    EXPECT_FALSE(base->SharesCompilationWith(*other)) << other->scale_up();
  }
}

TEST(RuleSetCompile, ACompilationNoRuleSetHoldsIsMadeAgain) {
  std::optional<RuleSet> kept;
  for (int i = 0; i < 500; ++i) {  // enough distinct texts for the cache to forget the dead
    auto set = RuleSet::Compile(kRmq, {{"a", "rmq:waiting > " + std::to_string(i)}}, "rules:a", "");
    ASSERT_TRUE(set.ok());
    if (i == 0) kept.emplace(std::move(set).value());
  }
  auto again = RuleSet::Compile(kRmq, {{"a", "rmq:waiting > 0"}}, "rules:a", "");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(kept->SharesCompilationWith(*again));
  auto fresh = RuleSet::Compile(kRmq, {{"a", "rmq:waiting > 1"}}, "rules:a", "");
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->Evaluate({{"rmq", {{"waiting", Value::Number(2)}}}}, {}, kStart).scale_up);
}

TEST(RuleSetCompile, CompilesFromSeveralThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> shared{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared, t] {
      std::optional<RuleSet> first;
      for (int i = 0; i < 200; ++i) {
        auto set =
            RuleSet::Compile({{"rmq", "monitorer_rabbitmq", "q" + std::to_string(t)}},
                             {{"a", "rmq:waiting > " + std::to_string(i % 20)}}, "rules:a", "");
        if (!set.ok()) return;
        if (!first) {
          first.emplace(std::move(set).value());
        } else if (first->SharesCompilationWith(*set)) {
          ++shared;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(shared.load(), 4 * 9);  // i = 20, 40, … 180 share the first's text, whichever thread
                                    // compiled it
}

TEST(RuleSetEvaluate, EmptyTriggersNeverFire) {
  auto set = RuleSet::Compile(kRmq, {}, "", "  ");
  ASSERT_TRUE(set.ok());
  Evaluation e = set->Evaluate(Latency(1), {}, kStart);
  EXPECT_FALSE(e.scale_up);
  EXPECT_FALSE(e.scale_down);
}

TEST(RuleSetEvaluate, TriggersSeeThisPassRuleValues) {
  auto set = RuleSet::Compile(kRmq, {{"slow", "rmq:latency > 5"}}, "rules:slow", "not rules:slow");
  ASSERT_TRUE(set.ok());
  Evaluation slow = set->Evaluate(Latency(6), {}, kStart);
  EXPECT_TRUE(slow.scale_up);
  EXPECT_FALSE(slow.scale_down);
  Evaluation fast = set->Evaluate(Latency(1), {{"slow", {true, kStart}}}, kStart);
  EXPECT_FALSE(fast.scale_up);
  EXPECT_TRUE(fast.scale_down);
}

TEST(RuleSetEvaluate, MissingResourceIsFalseAndItsMetricsNull) {
  auto set = RuleSet::Compile(kRmq, {{"present", "rmq"}, {"null_rate", "rmq:rate != 0"}}, "not rmq",
                              "rmq:latency < 1");
  ASSERT_TRUE(set.ok());
  for (const MetricsSnapshot& metrics :
       {MetricsSnapshot{}, MetricsSnapshot{{"other", {{"exists", Value::Bool(true)}}}},
        MetricsSnapshot{{"rmq", {}}}}) {
    Evaluation e = set->Evaluate(metrics, {}, kStart);
    EXPECT_FALSE(e.rules[0].second.value);
    EXPECT_TRUE(e.rules[1].second.value);
    EXPECT_TRUE(e.scale_up);
    EXPECT_FALSE(e.scale_down);
  }
}

TEST(RuleSetEvaluate, RuleWithoutHistoryStartsFalseSinceNow) {
  auto set =
      RuleSet::Compile(kRmq, {{"ok", "rmq:latency < 1"}, {"slow", "rmq:latency > 5"}}, "", "");
  ASSERT_TRUE(set.ok());
  Evaluation e = set->Evaluate(Latency(0.5), {}, kStart);
  EXPECT_EQ(e.rules[0], (std::pair<std::string, RuleState>{"ok", {true, kStart}}));
  EXPECT_EQ(e.rules[1], (std::pair<std::string, RuleState>{"slow", {false, kStart}}));
}

TEST(RuleSetEvaluate, HistoryOfUndeclaredRulesIsIgnored) {
  auto set = RuleSet::Compile(kRmq, {{"ok", "rmq:latency < 1"}}, "", "");
  ASSERT_TRUE(set.ok());
  Evaluation e = set->Evaluate(Latency(0.5), {{"gone", {true, kStart}}}, kStart);
  ASSERT_EQ(e.rules.size(), 1u);
}

// The producer fixture's stable_latency over several passes with a moving clock.
TEST(RuleSetEvaluate, SinceResetsOnChangeAndContinuesOtherwise) {
  auto set = RuleSet::Compile(
      kRmq,
      {{"latency_ok", "rmq:latency < 0.200"},
       {"stable_latency", "rules:latency_ok and rules:latency_ok:since > \"30s\""}},
      "", "rules:stable_latency");
  ASSERT_TRUE(set.ok());
  RuleHistory history;
  auto pass = [&](TimePoint now, double latency) {
    Evaluation e = set->Evaluate(Latency(latency), history, now);
    for (const auto& [name, state] : e.rules) history[name] = state;
    return e;
  };

  Evaluation e = pass(kStart, 0.1);
  EXPECT_EQ(history["latency_ok"], (RuleState{true, kStart}));
  EXPECT_FALSE(e.scale_down);

  e = pass(kStart + seconds{20}, 0.1);
  EXPECT_EQ(history["latency_ok"].since, kStart);  // unchanged: since continues
  EXPECT_FALSE(e.scale_down);

  e = pass(kStart + seconds{31}, 0.1);
  EXPECT_TRUE(e.scale_down);
  EXPECT_EQ(history["stable_latency"], (RuleState{true, kStart + seconds{31}}));

  e = pass(kStart + seconds{40}, 0.5);  // latency_ok turns false: since resets
  EXPECT_EQ(history["latency_ok"], (RuleState{false, kStart + seconds{40}}));
  EXPECT_FALSE(e.scale_down);

  e = pass(kStart + seconds{50}, 0.1);  // true again, but only for 0 s
  EXPECT_EQ(history["latency_ok"], (RuleState{true, kStart + seconds{50}}));
  EXPECT_FALSE(e.scale_down);

  e = pass(kStart + seconds{80}, 0.1);  // exactly 30 s: not more than 30 s
  EXPECT_FALSE(e.scale_down);
  e = pass(kStart + seconds{81}, 0.1);
  EXPECT_TRUE(e.scale_down);
}

TEST(RuleSetEvaluate, LaterRuleSinceUsesStoredTime) {
  auto set = RuleSet::Compile(
      kRmq, {{"watch", "rules:late:since > \"1m\""}, {"late", "rmq:latency > 1"}}, "", "");
  ASSERT_TRUE(set.ok());
  RuleHistory history = {{"late", {true, kStart}}};
  EXPECT_FALSE(set->Evaluate(Latency(0), history, kStart + seconds{60}).rules[0].second.value);
  Evaluation e = set->Evaluate(Latency(0), history, kStart + seconds{61});
  EXPECT_TRUE(e.rules[0].second.value);
  EXPECT_FALSE(e.rules[1].second.value);  // late itself changed in this pass
}

TEST(RuleSetEvaluate, ClockGoingBackwardsGivesZeroSince) {
  auto set = RuleSet::Compile(
      kRmq,
      {{"watch", "rules:late:since >= 0 and rules:late:since < 1"}, {"late", "rmq:latency > 1"}},
      "", "");
  ASSERT_TRUE(set.ok());
  Evaluation e = set->Evaluate(Latency(0), {{"late", {true, kStart}}}, kStart - seconds{10});
  EXPECT_TRUE(e.rules[0].second.value);
}

TEST(RuleSetEvaluateSlots, MatchesEvaluateWithoutMaps) {
  auto set = RuleSet::Compile(
      kRmq, {{"ok", "rmq:latency < 0.2"}, {"stable", "rules:ok and rules:ok:since > \"30s\""}},
      "not rmq:exists", "rules:stable");
  ASSERT_TRUE(set.ok());
  std::vector<Value> slots(set->slot_count());
  slots[set->PresenceSlot(0)] = Value::Bool(true);
  slots[set->MetricSlot(0, 0)] = Value::Bool(true);   // exists
  slots[set->MetricSlot(0, 2)] = Value::Number(0.1);  // latency
  std::vector<RuleState> states = {{true, kStart}, {false, kStart}};

  RuleSet::Triggers t = set->EvaluateSlots(slots, states, kStart + seconds{31});
  EXPECT_FALSE(t.scale_up);
  EXPECT_TRUE(t.scale_down);
  EXPECT_EQ(states[0], (RuleState{true, kStart}));
  EXPECT_EQ(states[1], (RuleState{true, kStart + seconds{31}}));

  Evaluation e =
      set->Evaluate({{"rmq", {{"exists", Value::Bool(true)}, {"latency", Value::Number(0.1)}}}},
                    {{"ok", {true, kStart}}, {"stable", {false, kStart}}}, kStart + seconds{31});
  EXPECT_EQ(e.scale_down, t.scale_down);
  EXPECT_EQ(e.rules[1].second, states[1]);
}

TEST(RuleSetEvaluateSlots, MetricSlotsFollowKMetricNames) {
  auto set = RuleSet::Compile({{"a", "m", "q"}, {"b", "m", "q"}}, {}, "b:age > 10", "");
  ASSERT_TRUE(set.ok());
  std::vector<Value> slots(set->slot_count());
  slots[set->MetricSlot(1, 8)] = Value::Number(11);  // kMetricNames[8] == "age"
  std::vector<RuleState> states;
  EXPECT_TRUE(set->EvaluateSlots(slots, states, kStart).scale_up);
  slots[set->MetricSlot(0, 8)] = Value::Number(11);
  slots[set->MetricSlot(1, 8)] = Value::Number(1);
  EXPECT_FALSE(set->EvaluateSlots(slots, states, kStart).scale_up);
}

}  // namespace
}  // namespace maiev::rules
