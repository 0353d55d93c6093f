// A large swarm on fakes, for the benchmarks of the API and of the web page (api_bench,
// web_page_server): N services with 3 rules and one queue each, with live metrics.
#pragma once

#include <string>

#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"

namespace maiev::bench {

inline constexpr const char* kServiceConfig = R"({
  "min": 1, "max": 20,
  "scale": {
    "resources": [{"name": "rmq", "monitorer": "monitorer_rabbitmq", "identifier": "QUEUE"}],
    "rules": [
      {"name": "behind", "expression": "rmq:latency > 3"},
      {"name": "idle", "expression": "rmq:waiting == 0"},
      {"name": "busy", "expression": "rmq:exec_rate > 100 and rmq:consumers > 1"}
    ],
    "scale_up": "rules:behind",
    "scale_down": "rules:idle and rules:idle:since > \"60s\""
  }
})";

// Puts services svc-0 … svc-(N-1) into `docker` (2 replicas, 2 running, the config above on
// queue qI) and their queues' metrics into `queues`.
inline void PopulateSwarm(orchestrator::FakeOrchestrator& docker,
                          monitor::FakeQueueMetricsSource& queues, int services) {
  for (int i = 0; i < services; ++i) {
    const std::string name = "svc-" + std::to_string(i);
    std::string config = kServiceConfig;
    config.replace(config.find("QUEUE"), 5, "q" + std::to_string(i));
    auto service = orchestrator::LabelledService("id" + std::to_string(i), name, 2, config);
    service.running_tasks = 2;
    docker.PutService(service);
    monitor::QueueMetrics m;
    m.waiting = i % 7 == 0 ? 0 : 40 + i % 100;
    m.latency = 0.5 + (i % 9);
    m.consumers = 2;
    m.call_rate = 20;
    m.exec_rate = 25;
    queues.Set("q" + std::to_string(i), m);
  }
}

}  // namespace maiev::bench
