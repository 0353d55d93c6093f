// What the upgrade routes of HttpApi answer, as values (docs/OPERATIONS.md, "The API"): the
// JSON of the catalog, of plans and of decisions, and the upgrade lines of /metrics. Pure: no
// I/O, no clock; times are written in RFC 3339 (UTC, milliseconds, as decisions are).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "control/upgrade_controller.hpp"
#include "store/store.hpp"
#include "upgrade/decision.hpp"

namespace maiev::api {

// A plan with its steps: {"id", "state", "created", "updated", "reason", "steps": [{"index",
// "service", "from", "to", "image", "from_image", "state", "error", "started"}]}; `from` is null
// for a service deployed by the step, `error` and `started` null when there is none.
nlohmann::json PlanToJson(const store::UpgradePlan& plan);

// {"outcome", "message", "reasons", "target": {service: version}, "steps": [{"service", "from",
// "to", "image"}], "held_back": [{"service", "version", "reason"}], "needs_approval"}.
nlohmann::json DecisionToJson(const upgrade::UpgradeDecision& decision);

// The answer of POST /api/v1/plans/resolve: the decision of `check`, its time as `checked_at`
// and the notes of its gathering ({service: what could not be read}).
nlohmann::json ResolveToJson(const control::UpgradeCheck& check);

// The answer of GET /api/v1/catalog, from the latest check (nullopt before the first: then
// `checked_at` is null and the lists are empty):
//   {"checked_at", "error" (the swarm could not be listed, else null), "outcome", "message",
//    "reasons", "needs_approval",
//    "services": [{"name", "image", "update", "update_policy", "running", "target", "note",
//                  "versions": [{"version", "tag", "digest", "provide", "require", "state",
//                                "reason"}]}],
//    "unversioned": [{"service", "reason"}]}
// Versions are newest first; `state` is "running", "target", "held_back" (with `reason`, the
// decision's "held back: …") or "candidate" (allowed, not the target: a version a plan may pass
// through, or any allowed version while there is no target).
nlohmann::json CatalogToJson(const std::optional<control::UpgradeCheck>& check);

// Webhook deliveries of one source, as /metrics counts them: events accepted (each a hint to the
// upgrade controller), events ignored (not a tagged manifest push), deliveries rejected (no
// token configured, a wrong token, a malformed body).
struct WebhookCounts {
  std::uint64_t accepted = 0;
  std::uint64_t ignored = 0;
  std::uint64_t rejected = 0;
};

struct UpgradeMetrics {
  // Stored plans by state; an error when the store could not count them (then no line).
  Result<std::map<store::RunState, std::size_t>> plans = std::map<store::RunState, std::size_t>{};
  // nullopt without an upgrade controller (then no counter line of the controller).
  std::optional<control::UpgradeCounters> counters;
  WebhookCounts registry_webhooks;
  WebhookCounts dockerhub_webhooks;
};

// The upgrade lines of the Prometheus exposition: maiev_upgrade_plans{state},
// maiev_upgrade_plans_created_total, maiev_upgrade_steps_total{result},
// maiev_upgrade_checks_total, maiev_upgrade_check_failures_total, maiev_registry_requests_total,
// maiev_webhook_events_total{source,result}.
std::string UpgradePrometheusText(const UpgradeMetrics& metrics);

}  // namespace maiev::api
