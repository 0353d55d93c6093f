// What parsing one service's scale config costs (ParseScaleConfig, as discovery and every label
// change do), on the producer fixture's config: the same text again, and the text of another
// service that differs only in its queue (which shares the compiled rules, RuleSetCache).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "config/scale_config.hpp"

namespace maiev::config {
namespace {

std::string ProducerConfig() {
  const std::string path = std::string(MAIEV_FIXTURES_DIR) + "/scale-config-producer.json";
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "config_bench: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void MustParse(benchmark::State& state, const std::string& text) {
  auto parsed = ParseScaleConfig(text);
  if (!parsed.ok()) {
    state.SkipWithError("the fixture did not parse");
    return;
  }
  benchmark::DoNotOptimize(parsed);
}

void BM_ParseSameConfig(benchmark::State& state) {
  const std::string text = ProducerConfig();
  for (auto _ : state) MustParse(state, text);
}

void BM_ParseConfigOfAnotherQueue(benchmark::State& state) {
  const std::string base = ProducerConfig();
  const std::string queue = "\"rpc-producer\"";
  const std::size_t at = base.find(queue);
  if (at == std::string::npos) {
    state.SkipWithError("the fixture has no rpc-producer queue");
    return;
  }
  std::size_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string text = base;
    text.replace(at, queue.size(), "\"rpc-producer-" + std::to_string(n++) + "\"");
    state.ResumeTiming();
    MustParse(state, text);
  }
}

BENCHMARK(BM_ParseSameConfig);
BENCHMARK(BM_ParseConfigOfAnotherQueue);

}  // namespace
}  // namespace maiev::config

BENCHMARK_MAIN();
