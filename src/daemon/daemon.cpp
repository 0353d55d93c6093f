#include "daemon/daemon.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <thread>
#include <utility>

#include "api/listen_address.hpp"
#include "api/readiness.hpp"
#include "common/memory.hpp"
#include "common/sleep.hpp"
#include "control/autoscaler.hpp"
#include "control/swarm_discovery.hpp"
#include "daemon/registry_pool.hpp"
#include "daemon/served_api.hpp"
#include "orchestrator/docker_engine_orchestrator.hpp"
#include "registry/docker_config.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_health.hpp"

namespace maiev::daemon {
namespace {

// How often the running task counts shown by the API are re-read.
constexpr Duration kTaskCountRefresh{2.0};

void WatchServiceEvents(orchestrator::Orchestrator& orchestrator, control::Autoscaler& autoscaler,
                        api::DockerReadiness& readiness, const Clock& clock, std::stop_token stop) {
  bool was_connected = true;
  orchestrator::WatchOptions options;
  options.on_stream_error = [&](const Error& error) { readiness.StreamFailed(error, clock.Now()); };
  options.on_stream_state = [&](bool connected) {
    if (connected) readiness.StreamUp();
    if (connected && !was_connected) {
      spdlog::info("Docker event stream back: resynchronising services");
      if (auto st = autoscaler.Discover(); !st.ok()) {
        spdlog::warn("resynchronising services failed: {}", st.error().message);
      }
    }
    // The orchestrator logs why, once per outage.
    if (!connected && was_connected) spdlog::debug("Docker event stream lost; reconnecting");
    was_connected = connected;
  };
  auto on_event = [&](const orchestrator::ServiceEvent& event) {
    if (event.kind == orchestrator::ServiceEventKind::kRemoved) {
      autoscaler.Remove(event.service_id);
      return;
    }
    if (auto st = autoscaler.Refresh(event.service_id); !st.ok()) {
      spdlog::warn("service {}: cannot refresh after event: {}", event.service_id,
                   st.error().message);
    }
  };
  if (auto st = orchestrator.WatchEvents(options, on_event, std::move(stop)); !st.ok()) {
    spdlog::error("Docker event stream: {}", st.error().message);
  }
}

}  // namespace

void RunCycles(control::Autoscaler& autoscaler, const Clock& clock, Duration interval,
               const std::stop_token& stop, const CycleObserver& after_cycle) {
  TimePoint counts_read{};
  while (SleepFor(interval, stop)) {
    const TimePoint started = clock.Now();
    if (SecondsBetween(counts_read, started) >= kTaskCountRefresh.count()) {
      counts_read = started;
      if (auto st = autoscaler.RefreshTaskCounts(); !st.ok()) {
        spdlog::debug("cannot read running task counts: {}", st.error().message);
      }
    }
    autoscaler.RunCycle();
    if (after_cycle) after_cycle(started);
  }
}

Status Serve(const ServeOptions& options, const std::stop_token& stop) {
  TuneAllocator();
  SystemClock clock;
  auto opened = store::SqliteStore::Open(options.store_path);
  if (!opened.ok()) {
    return Fail("config",
                "cannot open the store '" + options.store_path + "': " + opened.error().message);
  }
  // Every call goes through `store`, which tells /readyz whether writes succeed.
  store::StoreHealth store(**opened, clock);

  // Registry credentials: a bad file is fatal (the operator meant to give some).
  registry::DockerConfig credentials;
  if (options.upgrades.enabled && !options.upgrades.registry_auth_file.empty()) {
    auto loaded = registry::LoadDockerConfig(options.upgrades.registry_auth_file);
    if (!loaded) return Fail("config", "registry credentials: " + loaded.error().message);
    credentials = std::move(*loaded);
  }
  RegistryPool registries(std::move(credentials), options.upgrades.insecure_registries, clock);

  // The loops publish to the hub; the API streams it, the notifier (if any) posts it. Both
  // outlive everything that publishes or subscribes.
  api::EventHub event_hub;
  std::unique_ptr<api::Notifier> notifier;
  if (!options.notify.targets.empty()) {
    notifier = std::make_unique<api::Notifier>(options.notify);
    event_hub.AddListener(*notifier);
    for (const api::NotifyTarget& target : options.notify.targets) {
      spdlog::info("notifying {} of events", target.label);
    }
  }

  orchestrator::DockerEngineOrchestrator docker(options.docker, clock);
  monitor::RabbitMqMonitor rabbitmq(options.rabbitmq, clock);
  control::Autoscaler autoscaler(docker, rabbitmq, store, clock, &event_hub);
  control::UpgradeController upgrades(
      docker, [&registries](std::string_view host) { return registries.For(host); }, store, clock,
      options.upgrades.controller, &event_hub);
  // One acting maiev per swarm: the loops and the API's changes ask the elector first.
  control::LeaderElector elector(docker, clock, options.lease);
  autoscaler.SetLeadership(&elector);
  upgrades.SetLeadership(&elector);
  api::DockerReadiness docker_readiness(options.docker.Describe());
  ServedApi http_api(options, {.autoscaler = autoscaler,
                               .store = store,
                               .rabbitmq = rabbitmq,
                               .docker = docker_readiness,
                               .events = event_hub,
                               .upgrades = options.upgrades.enabled ? &upgrades : nullptr,
                               .elector = &elector});
  if (auto st = http_api.Start(); !st.ok()) return st;
  spdlog::info("maiev serving on {}://{} (store {}, docker {}, rabbitmq {}:{}, instance {})",
               options.api.tls_cert.empty() ? "http" : "https",
               api::ListenAddress{options.api.host, http_api.port()}.ToString(), options.store_path,
               options.docker.Describe(), options.rabbitmq.host, options.rabbitmq.port,
               options.lease.identity);
  std::jthread electing([&elector](const std::stop_token& s) { elector.Run(s); });

  rabbitmq.Start();
  control::DiscoverServices(
      autoscaler, clock, control::kDiscoveryBackoff,
      [&stop](Duration d) { return SleepFor(d, stop); },
      [&docker_readiness](const Status& s, TimePoint at) { docker_readiness.Listed(s, at); });
  std::jthread events([&](std::stop_token s) {
    WatchServiceEvents(docker, autoscaler, docker_readiness, clock, std::move(s));
  });
  std::jthread upgrading;
  if (options.upgrades.enabled) {
    upgrading = std::jthread([&upgrades](const std::stop_token& s) { upgrades.Run(s); });
  } else {
    spdlog::info("upgrades are off (--upgrades off)");
  }
  RunCycles(autoscaler, clock, options.evaluation_interval, stop);

  spdlog::info("maiev stopping");
  if (upgrading.joinable()) {
    upgrading.request_stop();
    upgrading.join();
  }
  // The loops have stopped acting: the lease is released, so a standby takes over at once.
  electing.request_stop();
  electing.join();
  events.request_stop();
  events.join();
  rabbitmq.Stop();
  http_api.Stop();
  return {};
}

}  // namespace maiev::daemon
