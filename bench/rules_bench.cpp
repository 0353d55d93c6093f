// Rule evaluations per second (goal: at least 5 million on one core). One "rule evaluation" is
// one compiled expression evaluated: a rule or a scale_up / scale_down trigger.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "rules/expression.hpp"
#include "rules/ruleset.hpp"
#include "rules_samples.hpp"

namespace maiev::rules {
namespace {

using bench::MustCompile;
using bench::ProducerRuleSet;
using bench::Samples;

const TimePoint kStart = TimePoint{std::chrono::seconds{1'700'000'000}};

std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += part;
  return out;
}

// 50 rules of mixed shapes over two queues, referring to earlier and later rules.
RuleSet FiftyRuleSet() {
  std::vector<RuleDecl> rules;
  constexpr int kRules = 50;
  for (int i = 0; i < kRules; ++i) {
    std::string n = std::to_string(i);
    std::string prev = Cat({"rules:r", std::to_string((i + kRules - 1) % kRules)});
    std::string next = Cat({"rules:r", std::to_string((i + 1) % kRules)});
    std::string q = i % 2 == 0 ? "q1" : "q2";
    std::string expression;
    switch (i % 5) {
      case 0:
        expression = Cat({q, ":latency < 0.", n, "5"});
        break;
      case 1:
        expression = Cat({q, ":waiting > ", n, " and ", q, ":consumers == 0"});
        break;
      case 2:
        expression = Cat({prev, " or ", q, ":exec_rate > ", n});
        break;
      case 3:
        expression = Cat({"not ", next, " and ", prev, ":since > \"", n, "s\""});
        break;
      default:
        expression =
            Cat({q, ":consumers in {0, 1, 2} or (", q, ":rate != 0 and ", q, ":call_rate >= 1.5)"});
        break;
    }
    rules.push_back({Cat({"r", n}), expression});
  }
  return MustCompile(
      {{"q1", "monitorer_rabbitmq", "queue-1"}, {"q2", "monitorer_rabbitmq", "queue-2"}},
      std::move(rules), "rules:r10 or (rules:r12 and q1:waiting > 100)",
      "rules:r20 and not rules:r21");
}

int Evaluations(const RuleSet& set) { return static_cast<int>(set.rules().size()) + 2; }

void ReportRates(benchmark::State& state, const RuleSet& set) {
  state.counters["rule_evals/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * Evaluations(set), benchmark::Counter::kIsRate);
  state.counters["passes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Snapshot and history maps in, Evaluation out: what a caller without slots pays.
void EvaluateMaps(benchmark::State& state, const RuleSet& set) {
  std::vector<MetricsSnapshot> samples = Samples(set);
  RuleHistory history;
  TimePoint now = kStart;
  size_t i = 0;
  for (auto _ : state) {
    Evaluation e = set.Evaluate(samples[i++ % samples.size()], history, now);
    for (auto& [name, rule_state] : e.rules) history[name] = rule_state;
    benchmark::DoNotOptimize(e.scale_up);
    now += std::chrono::seconds{10};
  }
  ReportRates(state, set);
}

// Pre-bound slots and states: metrics copied into their slots, no map lookups, no allocation.
void EvaluateSlots(benchmark::State& state, const RuleSet& set) {
  std::vector<MetricsSnapshot> samples = Samples(set);
  std::vector<std::vector<Value>> slot_samples;
  for (const MetricsSnapshot& snapshot : samples) {
    std::vector<Value> slots(set.slot_count());
    for (size_t r = 0; r < set.resources().size(); ++r) {
      const ResourceMetrics& metrics = snapshot.at(set.resources()[r].name);
      slots[set.PresenceSlot(r)] = Value::Bool(true);
      for (size_t m = 0; m < kMetricNames.size(); ++m) {
        auto metric = metrics.find(kMetricNames[m]);
        if (metric != metrics.end()) slots[set.MetricSlot(r, m)] = metric->second;
      }
    }
    slot_samples.push_back(std::move(slots));
  }
  std::vector<RuleState> states(set.rules().size(), RuleState{false, kStart});
  TimePoint now = kStart;
  size_t i = 0;
  for (auto _ : state) {
    std::vector<Value>& slots = slot_samples[i++ % slot_samples.size()];
    RuleSet::Triggers t = set.EvaluateSlots(slots, states, now);
    benchmark::DoNotOptimize(t);
    now += std::chrono::seconds{10};
  }
  ReportRates(state, set);
}

void BM_ProducerEvaluate(benchmark::State& state) { EvaluateMaps(state, ProducerRuleSet()); }
void BM_ProducerEvaluateSlots(benchmark::State& state) { EvaluateSlots(state, ProducerRuleSet()); }
void BM_FiftyRulesEvaluate(benchmark::State& state) { EvaluateMaps(state, FiftyRuleSet()); }
void BM_FiftyRulesEvaluateSlots(benchmark::State& state) { EvaluateSlots(state, FiftyRuleSet()); }

// One expression alone, slots ready: the evaluator's own cost.
class SlotBinder final : public Binder {
 public:
  Result<Binding, std::string> Bind(const Reference& ref) override {
    return Binding{ref.segments.back() == "waiting" ? 0u : 1u, SlotType::kValue};
  }
};

void BM_SingleExpression(benchmark::State& state) {
  SlotBinder binder;
  auto expression = Expression::Compile("rmq:waiting == 0 or rmq:latency < 0.200", binder);
  std::array<std::vector<Value>, 2> samples = {
      std::vector<Value>{Value::Number(3), Value::Number(0.1)},
      std::vector<Value>{Value::Number(40), Value::Number(0.5)}};
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(expression->Evaluate(samples[i++ & 1]));
  }
  state.counters["rule_evals/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_ProducerEvaluate);
BENCHMARK(BM_ProducerEvaluateSlots);
BENCHMARK(BM_FiftyRulesEvaluate);
BENCHMARK(BM_FiftyRulesEvaluateSlots);
BENCHMARK(BM_SingleExpression);

}  // namespace
}  // namespace maiev::rules

BENCHMARK_MAIN();
