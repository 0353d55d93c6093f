// What the REST API costs with a large swarm: GET /api/v1/services (the whole list), one service,
// its history and /metrics, for N services with rules and live metrics, while the autoscaling
// cycle runs beside it once a second, as in `maiev serve`. Prints percentiles of the answer time
// and the size of each answer, and the cycle's own duration with and without the API's load.
// Then CLIENTS event-stream clients connect and read: the cycle's duration with them, and how
// many events they got. Everything on loopback over fakes (no stack): the figures are the API's
// and the autoscaler's.
//
//   build/bench/api_bench [SERVICES] [REQUESTS] [CLIENTS]   (defaults: 1000, 300, 100)
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/event_hub.hpp"
#include "api/http_api.hpp"
#include "fake_swarm.hpp"
#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace {

using maiev::SystemClock;
using Clock = std::chrono::steady_clock;

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
  const int clients = argc > 3 ? std::atoi(argv[3]) : 100;

  maiev::orchestrator::FakeOrchestrator docker;
  maiev::monitor::FakeQueueMetricsSource queues;
  maiev::bench::PopulateSwarm(docker, queues, services);
  auto store = std::move(maiev::store::SqliteStore::Open(":memory:").value());
  const SystemClock clock;
  maiev::api::EventHub hub;
  maiev::control::Autoscaler autoscaler(docker, queues, *store, clock, &hub);
  if (!autoscaler.Discover().ok()) return 1;

  // The cycle, once a second, as `maiev serve` runs it; its durations are kept.
  std::atomic<bool> stop{false};
  // Which list a cycle's duration goes to: 0 idle, 1 under requests, 2 with stream clients.
  std::atomic<int> phase{0};
  std::mutex cycles_mutex;  // guards the lists below
  std::vector<double> cycles_ms[3];
  std::thread cycle([&] {
    while (!stop) {
      const auto start = Clock::now();
      autoscaler.RunCycle();
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      {
        const std::lock_guard lock(cycles_mutex);
        cycles_ms[phase].push_back(ms);
      }
      for (int i = 0; i < 10 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
  });
  const auto cycles_in = [&](int p) {
    const std::lock_guard lock(cycles_mutex);
    return cycles_ms[p].size();
  };
  while (cycles_in(0) < 3) std::this_thread::sleep_for(std::chrono::milliseconds{50});

  maiev::api::HttpApiOptions options;
  options.port = 0;
  options.events = &hub;
  maiev::api::HttpApi api(options, autoscaler, nullptr, *store,
                          [] { return maiev::api::Readiness{}; });
  if (!api.Bind().ok()) return 1;
  std::thread serving([&] { api.Serve(); });

  phase = 1;
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

  // Stream clients that read every event until the API stops.
  phase = 2;
  std::atomic<std::uint64_t> received{0};
  std::vector<std::thread> readers;
  readers.reserve(static_cast<std::size_t>(clients));
  for (int i = 0; i < clients; ++i) {
    readers.emplace_back([&] {
      httplib::Client client("127.0.0.1", api.port());
      client.set_read_timeout(std::chrono::seconds{60});
      client.Get("/api/v1/events", [&](const char* data, std::size_t size) {
        for (std::size_t k = 0; k + 6 < size; ++k) {
          if (std::string_view(data + k, 7) == "\nevent:") ++received;
        }
        return !stop;
      });
    });
  }
  const std::size_t before = cycles_in(2);
  while (cycles_in(2) < before + 5) std::this_thread::sleep_for(std::chrono::milliseconds{50});
  const std::size_t connected = hub.clients();
  stop = true;
  cycle.join();
  api.Stop();
  serving.join();
  for (std::thread& reader : readers) reader.join();
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  std::printf(
      "cycle over %d services, median: %.2f ms idle (%zu cycles), %.2f ms under the "
      "requests (%zu), %.2f ms with %zu stream clients (%zu); they read %llu events\n",
      services, median(cycles_ms[0]), cycles_ms[0].size(), median(cycles_ms[1]),
      cycles_ms[1].size(), median(cycles_ms[2]), connected, cycles_ms[2].size(),
      static_cast<unsigned long long>(received.load()));
  return 0;
}
