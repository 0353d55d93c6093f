// `maiev serve`: wires the concrete implementations (Docker Engine, RabbitMQ, SQLite, HTTP) and
// runs the loops until asked to stop. The only place besides src/cli that names them.
#pragma once

#include <functional>
#include <set>
#include <stop_token>
#include <string>

#include "api/http_api.hpp"
#include "api/notifier.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "control/autoscaler.hpp"
#include "control/leader_election.hpp"
#include "control/upgrade_controller.hpp"
#include "monitor/rabbitmq_monitor.hpp"
#include "orchestrator/docker_endpoint.hpp"

namespace maiev::daemon {

// The upgrade half (docs/UPGRADES.md).
struct UpgradeServeOptions {
  bool enabled = true;                        // --upgrades on|off
  std::string registry_auth_file;             // a Docker config.json; "" for anonymous access only
  std::set<std::string> insecure_registries;  // plain HTTP besides loopback hosts
  control::UpgradeOptions controller;
};

struct ServeOptions {
  std::string store_path = "maiev.db";
  api::HttpApiOptions api;
  Duration evaluation_interval{1.0};  // one autoscaling cycle
  monitor::RabbitMqConfig rabbitmq;   // includes the counts (1 s) and stats (5 s) intervals
  orchestrator::DockerEndpoint docker;
  UpgradeServeOptions upgrades;
  api::NotifierOptions notify;  // --notify-url: its targets (none: nothing is sent)
  control::LeaseOptions lease;  // --lease-*, --instance-id: one acting maiev per swarm
};

// Runs until `stop` is requested. Returns an error (fatal, with a clear message) when start-up
// configuration is unusable: the store cannot be opened, the API port cannot be bound. Broker or
// Docker outages after start are retried, never fatal.
Status Serve(const ServeOptions& options, const std::stop_token& stop);

// Told, on the loop's thread, when each cycle ends, with the time it started.
using CycleObserver = std::function<void(TimePoint started)>;

// The autoscaling loop of Serve, until `stop`: waits `interval`, re-reads the running task counts
// when they are 2 s old, runs one cycle, tells `after_cycle` (may be empty), and again. A cycle
// thus starts `interval` after the previous one ended.
void RunCycles(control::Autoscaler& autoscaler, const Clock& clock, Duration interval,
               const std::stop_token& stop, const CycleObserver& after_cycle = {});

}  // namespace maiev::daemon
