// The API and the web page of `maiev serve` over a large fake swarm (bench/fake_swarm.hpp), for
// bench/web_first_table.mjs to load in a browser: N services with rules and live metrics, the
// autoscaling cycle once a second publishing to the event stream, as in `maiev serve`. Prints
// "serving on http://127.0.0.1:PORT" and serves until its standard input closes.
//
//   build/bench/web_page_server [SERVICES]   (default 1000)
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "api/event_hub.hpp"
#include "api/http_api.hpp"
#include "fake_swarm.hpp"
#include "store/sqlite_store.hpp"

int main(int argc, char** argv) {
  const int services = argc > 1 ? std::atoi(argv[1]) : 1000;
  spdlog::set_level(spdlog::level::warn);  // not a line per decision of 1,000 services
  maiev::orchestrator::FakeOrchestrator docker;
  maiev::monitor::FakeQueueMetricsSource queues;
  maiev::bench::PopulateSwarm(docker, queues, services);
  auto store = std::move(maiev::store::SqliteStore::Open(":memory:").value());
  const maiev::SystemClock clock;
  maiev::api::EventHub hub;
  maiev::control::Autoscaler autoscaler(docker, queues, *store, clock, &hub);
  if (!autoscaler.Discover().ok()) return 1;

  std::atomic<bool> stop{false};
  std::thread cycle([&] {
    while (!stop) {
      autoscaler.RunCycle();
      for (int i = 0; i < 10 && !stop; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
      }
    }
  });
  maiev::api::HttpApiOptions options;
  options.port = 0;
  options.api_token = "bench";
  options.events = &hub;
  maiev::api::HttpApi api(options, autoscaler, nullptr, *store,
                          [] { return maiev::api::Readiness{}; });
  if (!api.Bind().ok()) return 1;
  std::thread serving([&] { api.Serve(); });
  std::printf("serving on http://127.0.0.1:%d (%d services)\n", api.port(), services);
  std::fflush(stdout);
  while (std::cin.get() != EOF) {
  }
  stop = true;
  cycle.join();
  api.Stop();
  serving.join();
  return 0;
}
