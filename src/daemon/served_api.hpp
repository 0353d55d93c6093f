// The HTTP API of `maiev serve` over its running components: `Serve` wires it with this, and so
// does bench/daemon_load_bench, which measures it under load.
#pragma once

#include <thread>

#include "api/event_hub.hpp"
#include "api/http_api.hpp"
#include "api/readiness.hpp"
#include "common/result.hpp"
#include "control/autoscaler.hpp"
#include "control/leader_election.hpp"
#include "control/upgrade_controller.hpp"
#include "daemon/daemon.hpp"
#include "monitor/rabbitmq_monitor.hpp"
#include "store/store_health.hpp"

namespace maiev::daemon {

// What the API reads and acts on. Not owned: each must outlive the ServedApi.
struct ApiComponents {
  control::Autoscaler& autoscaler;
  store::StoreHealth& store;  // the store, through what /readyz learns of its writes
  const monitor::RabbitMqMonitor& rabbitmq;
  const api::DockerReadiness& docker;
  api::EventHub& events;                            // what GET /api/v1/events streams
  control::UpgradeController* upgrades = nullptr;   // null: upgrades are off (their routes: 503)
  const control::LeaderElector* elector = nullptr;  // null: this instance always leads
};

// `options.api` served over `components`, with the event hub, the leadership and /readyz from the
// components' health (no credential of `options` in any error), on a thread of its own from
// Start() until Stop() or destruction. Requests are thread-safe as HttpApi's are; Start and Stop
// are called from one thread.
class ServedApi {
 public:
  ServedApi(const ServeOptions& options, const ApiComponents& components);
  ~ServedApi() { Stop(); }
  ServedApi(const ServedApi&) = delete;
  ServedApi& operator=(const ServedApi&) = delete;

  // Binds the port (HttpApi::Bind's errors) and starts serving.
  Status Start();
  // Ends serving and joins its thread; idempotent.
  void Stop();
  // The bound port (the free one chosen for port 0), once Start() succeeded.
  int port() const { return api_.port(); }

 private:
  api::HttpApi api_;
  std::jthread serving_;
};

}  // namespace maiev::daemon
