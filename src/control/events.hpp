// What the control loops tell of what they did, as typed values: the autoscaler's decisions,
// service changes, config errors and cycles; the upgrade controller's plans and steps. The API
// streams them (GET /api/v1/events) and sends them to --notify-url receivers; the loops know
// neither, only the EventSink they are given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "store/store.hpp"

namespace maiev::control {

// A scaling decision recorded (by a cycle or an operator's scale), with the id the store gave it
// (0 when it could not be stored).
struct DecisionEvent {
  store::DecisionRecord decision;
};

enum class ServiceChange { kAdded, kRemoved, kConfigChanged, kPaused, kResumed };
// "added", "removed", "config_changed", "paused", "resumed"
std::string_view ToString(ServiceChange change);

// A service appeared or went, its effective scale config changed (origin, content or errors), or
// its autoscaling was paused or resumed.
struct ServiceEvent {
  std::string service;
  ServiceChange change = ServiceChange::kAdded;
};

// A scale config (of a label, or given through the API and kept) that does not parse or
// validate: each error as the service's status lists it, with its field path.
struct ConfigErrorEvent {
  std::string service;
  std::vector<std::string> errors;
};

// An upgrade plan was created or changed state.
struct PlanEvent {
  std::int64_t id = 0;
  store::RunState state = store::RunState::kPending;
  std::string reason;
};

// A step of an upgrade plan changed state; `from` is empty for a step that deploys a service,
// `error` empty unless it failed or was aborted.
struct StepEvent {
  std::int64_t plan = 0;
  int index = 0;  // 0-based, as in the plan's JSON
  std::string service;
  std::string from;
  std::string to;
  store::RunState state = store::RunState::kPending;
  std::string error;
};

// One autoscaling cycle ended.
struct CycleEvent {
  TimePoint time;             // the cycle's "now"
  double duration_ms = 0;     // how long it took (steady clock)
  std::size_t services = 0;   // services evaluated (those with a valid scale config)
  std::size_t decisions = 0;  // replica changes decided (applied or refused by the orchestrator)
};

using Event =
    std::variant<DecisionEvent, ServiceEvent, ConfigErrorEvent, PlanEvent, StepEvent, CycleEvent>;

// Where the loops publish events. Implementations are thread-safe and never block: Publish only
// enqueues (it is called from the autoscaling cycle, the Docker event thread, the upgrade loop
// and API threads), so a slow reader can never slow a loop down. Callers publish without holding
// their own state locks; events of one thread arrive in the order it published them.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Publish(Event event) = 0;
};

}  // namespace maiev::control
