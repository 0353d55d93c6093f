// What the rule benchmarks share: the producer fixture's rule set and the metric samples they
// cycle through. Header-only, so each benchmark program compiles it as its own code.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "rules/ruleset.hpp"

namespace maiev::rules::bench {

inline RuleSet MustCompile(std::vector<ResourceDecl> resources, std::vector<RuleDecl> rules,
                           std::string up, std::string down) {
  auto set =
      RuleSet::Compile(std::move(resources), std::move(rules), std::move(up), std::move(down));
  if (!set.ok()) {
    std::fprintf(stderr, "%s\n", set.error().ToString().c_str());
    std::abort();
  }
  return std::move(set).value();
}

// The rules of fixtures/scale-config-producer.json.
inline RuleSet ProducerRuleSet() {
  return MustCompile(
      {{"rmq", "monitorer_rabbitmq", "rpc-producer"}},
      {{"latency_ok", "rmq:waiting == 0 or rmq:latency < 0.200"},
       {"latency_fail", "rmq:latency > 5"},
       {"panic", "rmq:latency > 10 or (rules:latency_fail and rules:latency_fail:since > \"25s\")"},
       {"stable_latency", "rules:latency_ok and rules:latency_ok:since > \"30s\""}},
      "rules:panic or (rmq:consumers == 0 and rmq:waiting > 0) or not rmq:exists",
      "rules:stable_latency and rmq:consumers > 0");
}

// Four latencies (ok, slow, failing, panic) for every resource of `set`, cycled by the benchmarks.
inline std::vector<MetricsSnapshot> Samples(const RuleSet& set) {
  std::vector<MetricsSnapshot> samples;
  for (double latency : {0.05, 0.3, 7.0, 12.0}) {
    MetricsSnapshot snapshot;
    for (const ResourceDecl& r : set.resources()) {
      snapshot[r.name] = {{"exists", Value::Bool(true)},
                          {"waiting", Value::Number(latency * 80)},
                          {"latency", Value::Number(latency)},
                          {"call_rate", Value::Number(3.0)},
                          {"exec_rate", Value::Number(80.0)},
                          {"rate", Value::Number(77.0)},
                          {"consumers", Value::Number(latency > 5 ? 0 : 2)},
                          {"unacked", Value::Number(0)},
                          {"age", Value()},
                          {"stalled", Value::Bool(false)}};
    }
    samples.push_back(std::move(snapshot));
  }
  return samples;
}

}  // namespace maiev::rules::bench
