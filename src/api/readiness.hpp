// What `maiev serve` waits for (SPEC §6 /readyz): each component it needs, whether it is usable
// and, when not, the last error. Components absent at start are normal in a swarm; /readyz says
// which ones maiev is waiting for instead of only "starting".
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "monitor/rabbitmq_monitor.hpp"
#include "store/store_health.hpp"

namespace maiev::api {

struct ComponentReadiness {
  enum class State { kConnecting, kReachable, kUnreachable };

  std::string name;     // "docker", "rabbitmq_amqp", "rabbitmq_management"
  std::string address;  // where maiev reaches it, e.g. "unix:///var/run/docker.sock"
  State state = State::kConnecting;
  std::optional<std::string> error;  // the last failure while not reachable
  std::optional<TimePoint> since;    // when it became unreachable, when known

  bool ready() const { return state == State::kReachable; }

  static ComponentReadiness Of(std::string name, std::string address, State state,
                               std::optional<std::string> error = std::nullopt,
                               std::optional<TimePoint> since = std::nullopt) {
    return {std::move(name), std::move(address), state, std::move(error), since};
  }
};

struct Readiness {
  std::vector<ComponentReadiness> components;

  bool ready() const;  // every component is reachable
  // The names of the components that are not, in order.
  std::vector<std::string> WaitingFor() const;
};

// {"ready": false, "waiting_for": ["docker"], "components": [{"name": "docker", "address": …,
// "state": "unreachable", "error": …, "since": "2026-12-01T19:51:20Z"}, …]}; absent error and
// since are left out.
nlohmann::json ToJson(const Readiness& readiness);

// `readiness` with every occurrence of each non-empty secret in an error replaced by "***".
Readiness Redacted(Readiness readiness, const std::vector<std::string>& secrets);

// The two sides of the broker as the monitor last saw them.
ComponentReadiness AmqpReadiness(const monitor::BrokerHealth& health, std::string address);
ComponentReadiness ManagementReadiness(const monitor::BrokerHealth& health, std::string address);

// The store: reachable while its writes succeed; unreachable from the first write that failed
// until one succeeds, with the last error and how many decisions wait in memory meanwhile.
ComponentReadiness StoreReadiness(const store::StoreHealthState& health, std::string path,
                                  std::size_t decisions_waiting);

// Docker: reachable once the swarm's services were listed, unreachable again while the event
// stream is down. Thread-safe: the discovery and event threads write, the API threads read;
// mutex_ guards state_.
class DockerReadiness {
 public:
  explicit DockerReadiness(std::string address);

  // After an attempt to list the services (swarm discovery).
  void Listed(const Status& outcome, TimePoint at);
  // The event stream was (re)established, or failed with `error`.
  void StreamUp();
  void StreamFailed(const Error& error, TimePoint at);

  ComponentReadiness Get() const;

 private:
  void Reachable();                                    // REQUIRES: mutex_ held
  void Unreachable(const Error& error, TimePoint at);  // REQUIRES: mutex_ held

  mutable std::mutex mutex_;
  ComponentReadiness state_;
};

}  // namespace maiev::api
