// The JSON of the autoscaler's typed snapshots (control/service_status.hpp), once for the server
// and the CLI's client alike: what GET /api/v1/services… answers, and how `maiev services` reads
// it back. docs/OPERATIONS.md ("The API") shows each shape.
#pragma once

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "control/autoscaler.hpp"
#include "control/leader_election.hpp"
#include "control/service_status.hpp"

namespace maiev::api {

// {"id", "name", "mode", "replicas", "running_tasks", "image", "state", "paused",
//  "config_origin", "config_errors", "min", "max", "resources": [{"name", "queue"}],
//  "metrics": {RESOURCE: METRICS | null}, "rules": {RULE: {"value", "since", "since_seconds",
//  "expression"}}, "triggers": {"scale_up": EXPR, "scale_down": EXPR}, "scale_up",
//  "scale_down", "evaluated_at", "last_reason", "explanation", "last_change"} and, when the
// status carries it, "config". since_seconds is as of evaluated_at.
nlohmann::json ToJson(const control::ServiceStatus& status);
// The inverse of ToJson; error "invalid" naming the member that does not fit. Members a newer
// daemon adds are ignored.
Result<control::ServiceStatus> ServiceStatusFromJson(const nlohmann::json& json);

// {"service", "resources": [NAME], "samples": [{"time", "replicas", "running_tasks",
//  "metrics": {RESOURCE: {"waiting", "latency", "consumers", "call_rate", "exec_rate"} | null},
//  "scale_up", "scale_down"}]}
nlohmann::json ToJson(const control::ServiceHistory& history);
Result<control::ServiceHistory> ServiceHistoryFromJson(const nlohmann::json& json);

// {"service", "expression", "time", "value", "terms": TRACE, "text"} (TRACE as in a decision's
// explanation; "rules": the rules the terms refer to with this pass's values).
nlohmann::json ToJson(const control::RuleTest& test);

// {"leading", "leader", "self", "lease_expires", "transitions", "error"} (GET /api/v1/leader).
nlohmann::json ToJson(const control::LeaderStatus& status);
Result<control::LeaderStatus> LeaderStatusFromJson(const nlohmann::json& json);

// {"service", "previous", "replicas", "paused": true}
nlohmann::json ToJson(const control::ManualScale& scale);

}  // namespace maiev::api
