// What an explanation costs (RuleSet::Explain, docs/SCALE_CONFIG.md "Explanations"): the daemon
// explains a pass only for a change or when a status is asked, so this is the price of one
// explanation, to compare with one pass in rules_bench. A program of its own, so that the code
// rules_bench measures is compiled and linked as it was before explanations existed.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

#include "rules/ruleset.hpp"
#include "rules_samples.hpp"

namespace maiev::rules {
namespace {

const TimePoint kStart = TimePoint{std::chrono::seconds{1'700'000'000}};

using bench::ProducerRuleSet;

// rules_bench's samples: four latencies, cycled.
std::vector<MetricsSnapshot> Samples() { return bench::Samples(ProducerRuleSet()); }

// The slots form, as the autoscaler explains a pass: slots and states on entry in, data out.
void BM_ProducerExplain(benchmark::State& state) {
  const RuleSet set = ProducerRuleSet();
  std::vector<std::vector<Value>> slot_samples;
  for (const MetricsSnapshot& snapshot : Samples()) {
    std::vector<Value> slots(set.slot_count());
    slots[set.PresenceSlot(0)] = Value::Bool(true);
    const ResourceMetrics& metrics = snapshot.at("rmq");
    for (size_t m = 0; m < kMetricNames.size(); ++m) {
      slots[set.MetricSlot(0, m)] = metrics.at(std::string(kMetricNames[m]));
    }
    slot_samples.push_back(std::move(slots));
  }
  const std::vector<RuleState> states(set.rules().size(), RuleState{false, kStart});
  TimePoint now = kStart;
  size_t i = 0;
  for (auto _ : state) {
    Explanation e = set.Explain(slot_samples[i++ % slot_samples.size()], states, now);
    benchmark::DoNotOptimize(e.scale_up.value);
    now += std::chrono::seconds{10};
  }
  state.counters["explanations/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// One explanation rendered: the line (a log line, a status), and the data (the API).
void Render(benchmark::State& state, bool json) {
  const RuleSet set = ProducerRuleSet();
  std::vector<Explanation> explanations;
  for (const MetricsSnapshot& sample : Samples())
    explanations.push_back(set.Explain(sample, {}, kStart));
  size_t i = 0;
  for (auto _ : state) {
    const Explanation& e = explanations[i++ % explanations.size()];
    if (json) {
      benchmark::DoNotOptimize(e.ToJson());
    } else {
      benchmark::DoNotOptimize(e.ToString());
    }
  }
}

void BM_ProducerLine(benchmark::State& state) { Render(state, false); }
void BM_ProducerJson(benchmark::State& state) { Render(state, true); }

BENCHMARK(BM_ProducerExplain);
BENCHMARK(BM_ProducerLine);
BENCHMARK(BM_ProducerJson);

}  // namespace
}  // namespace maiev::rules

BENCHMARK_MAIN();
