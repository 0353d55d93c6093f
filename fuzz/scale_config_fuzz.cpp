// Scale configs (src/config): any text is parsed and validated; a valid config is written back
// and parsed again, and its rule set evaluated and explained once with and once without metrics.
// Invariants: every error names a problem in a message that can be sent as JSON;
// ParseScaleConfig(ToJson()) gives the same config; the explanation's triggers agree with the
// evaluation.
#include <string>

#include "config/scale_config.hpp"
#include "fuzz/fuzz_support.hpp"

namespace maiev::config {
namespace {

void EvaluateRules(const rules::RuleSet& ruleset) {
  const TimePoint now{std::chrono::seconds{1'700'000'000}};
  rules::MetricsSnapshot metrics;
  for (const rules::ResourceDecl& r : ruleset.resources()) {
    rules::ResourceMetrics values;
    for (std::size_t m = 0; m < rules::kMetricNames.size(); ++m) {
      values.emplace(rules::kMetricNames[m], rules::Value::Number(static_cast<double>(m)));
    }
    metrics.emplace(r.name, std::move(values));
  }
  rules::RuleHistory history;
  for (const rules::RuleDecl& rule : ruleset.rules()) {
    history[rule.name] = {true, now - std::chrono::seconds{45}};
  }
  for (const rules::MetricsSnapshot& snapshot : {rules::MetricsSnapshot{}, metrics}) {
    const rules::Evaluation evaluation = ruleset.Evaluate(snapshot, history, now);
    const rules::Explanation explanation = ruleset.Explain(snapshot, history, now);
    fuzz::Check(explanation.scale_up.value == evaluation.scale_up);
    fuzz::Check(explanation.scale_down.value == evaluation.scale_down);
    static_cast<void>(explanation.ToString());
    static_cast<void>(explanation.ToJson().dump());
  }
}

}  // namespace
}  // namespace maiev::config

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::config::ParseScaleConfig;
  auto config = ParseScaleConfig(maiev::fuzz::Text(data, size));
  if (!config.ok()) {
    maiev::fuzz::Check(!config.error().empty());
    for (const auto& e : config.error()) maiev::fuzz::CheckMessage(e.ToString());
    return 0;
  }
  const nlohmann::json written = config->ToJson();
  auto again = ParseScaleConfig(written.dump());
  maiev::fuzz::Check(again.ok());
  maiev::fuzz::Check(again->ToJson() == written);
  if (config->scale) maiev::config::EvaluateRules(config->scale->ruleset);
  return 0;
}
