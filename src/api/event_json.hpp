// The JSON of the control loops' events (control/events.hpp), as GET /api/v1/events streams them
// and --notify-url receivers get them (docs/OPERATIONS.md, "The event stream").
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string_view>

#include "control/events.hpp"

namespace maiev::api {

// Every event type, as the stream names them.
inline constexpr std::array<std::string_view, 6> kEventTypes = {
    "decision", "service", "config_error", "plan", "step", "cycle"};

// The event's type: one of kEventTypes.
std::string_view EventType(const control::Event& event);

// The event's data:
//   decision      the decision as GET /api/v1/decisions lists it (decision_json.hpp)
//   service       {"service", "change": "added"|"removed"|"config_changed"|"paused"|"resumed"}
//   config_error  {"service", "errors": [text, ...]}
//   plan          {"id", "state", "reason"}
//   step          {"plan", "index", "service", "from" (null: a deploy), "to", "state",
//                  "error" (null unless failed or aborted)}
//   cycle         {"time", "duration_ms", "services", "decisions"}
nlohmann::json EventData(const control::Event& event);

}  // namespace maiev::api
