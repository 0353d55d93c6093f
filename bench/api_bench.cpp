// What the REST API costs with a large swarm: GET /api/v1/services (the whole list), one service,
// its history and /metrics, for N services with rules and live metrics, while the autoscaling
// cycle runs beside it once a second, as in `maiev serve`. Prints percentiles of the answer time
// and the size of each answer, and the cycle's own duration with and without the API's load.
// Everything on loopback over fakes (no stack): the figures are the API's and the autoscaler's.
//
//   build/bench/api_bench [SERVICES] [REQUESTS]     (defaults: 1000 services, 300 requests)
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/http_api.hpp"
#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace {

using maiev::SystemClock;
using Clock = std::chrono::steady_clock;

constexpr const char* kConfig = R"({
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

struct Figures {
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::size_t bytes = 0;
};

Figures Measure(int port, const std::string& path, int requests) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  std::vector<double> ms;
  Figures f;
  for (int i = 0; i < requests; ++i) {
    const auto start = Clock::now();
    auto res = client.Get(path.c_str());
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!res || res->status != 200) {
      std::fprintf(stderr, "GET %s failed\n", path.c_str());
      std::exit(1);
    }
    f.bytes = res->body.size();
  }
  std::sort(ms.begin(), ms.end());
  f.p50_ms = ms[ms.size() / 2];
  f.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  f.max_ms = ms.back();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const int services = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int requests = argc > 2 ? std::atoi(argv[2]) : 300;

  maiev::orchestrator::FakeOrchestrator docker;
  maiev::monitor::FakeQueueMetricsSource queues;
  for (int i = 0; i < services; ++i) {
    const std::string name = "svc-" + std::to_string(i);
    std::string config = kConfig;
    config.replace(config.find("QUEUE"), 5, "q" + std::to_string(i));
    auto service = maiev::orchestrator::LabelledService("id" + std::to_string(i), name, 2, config);
    service.running_tasks = 2;
    docker.PutService(service);
    maiev::monitor::QueueMetrics m;
    m.waiting = i % 7 == 0 ? 0 : 40 + i % 100;
    m.latency = 0.5 + (i % 9);
    m.consumers = 2;
    m.call_rate = 20;
    m.exec_rate = 25;
    queues.Set("q" + std::to_string(i), m);
  }
  auto store = std::move(maiev::store::SqliteStore::Open(":memory:").value());
  const SystemClock clock;
  maiev::control::Autoscaler autoscaler(docker, queues, *store, clock);
  if (!autoscaler.Discover().ok()) return 1;

  // The cycle, once a second, as `maiev serve` runs it; its durations are kept.
  std::atomic<bool> stop{false};
  std::atomic<bool> loaded{false};
  std::mutex cycles_mutex;  // guards the two lists below
  std::vector<double> idle_cycles_ms;
  std::vector<double> loaded_cycles_ms;
  std::thread cycle([&] {
    while (!stop) {
      const auto start = Clock::now();
      autoscaler.RunCycle();
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      {
        const std::lock_guard lock(cycles_mutex);
        (loaded ? loaded_cycles_ms : idle_cycles_ms).push_back(ms);
      }
      for (int i = 0; i < 10 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
  });
  const auto idle_cycles = [&] {
    const std::lock_guard lock(cycles_mutex);
    return idle_cycles_ms.size();
  };
  while (idle_cycles() < 3) std::this_thread::sleep_for(std::chrono::milliseconds{50});

  maiev::api::HttpApiOptions options;
  options.port = 0;
  maiev::api::HttpApi api(options, autoscaler, nullptr, *store,
                          [] { return maiev::api::Readiness{}; });
  if (!api.Bind().ok()) return 1;
  std::thread serving([&] { api.Serve(); });

  loaded = true;
  std::printf("%d services with 3 rules and 1 queue each; %d requests per route, one client\n",
              services, requests);
  std::printf("%-40s %9s %9s %9s %10s\n", "route", "p50 ms", "p99 ms", "max ms", "bytes");
  const std::vector<std::string> paths = {"/api/v1/services", "/api/v1/services/svc-7",
                                          "/api/v1/services/svc-7/history?minutes=15", "/metrics"};
  for (const std::string& path : paths) {
    const Figures f = Measure(api.port(), path, requests);
    std::printf("%-40s %9.2f %9.2f %9.2f %10zu\n", path.c_str(), f.p50_ms, f.p99_ms, f.max_ms,
                f.bytes);
  }
  stop = true;
  cycle.join();
  api.Stop();
  serving.join();
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  std::printf(
      "cycle over %d services: median %.2f ms idle (%zu cycles), %.2f ms under the API's "
      "load (%zu cycles)\n",
      services, median(idle_cycles_ms), idle_cycles_ms.size(), median(loaded_cycles_ms),
      loaded_cycles_ms.size());
  return 0;
}
