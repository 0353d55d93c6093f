// The human forms of the service API's answers, printed by `maiev services`, `maiev status`,
// `maiev decisions`, `maiev events` and `maiev top` (docs/CLI.md). Pure: typed snapshots (read
// back with api/service_json.hpp) or the API's JSON in, text out; missing fields print as `-`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/sse_parser.hpp"
#include "cli/table.hpp"
#include "common/clock.hpp"
#include "control/service_status.hpp"

namespace maiev::cli {

// One row per service: state, replicas (running/desired), min–max, the first resource's waiting,
// latency and consumers, each rule's value (`behind=T`), and under it why it has its size.
std::string ServicesText(const std::vector<control::ServiceStatus>& services,
                         const TableStyle& style = {});

// One service: what it runs, its bounds and config, each rule with its value, since when and its
// expression, the triggers, each resource's metrics, why it has its size, and `decisions` (the
// API's `{"decisions": […]}`, newest first).
std::string ServiceText(const control::ServiceStatus& service, const nlohmann::json& decisions,
                        const TableStyle& style = {});

// GET /api/v1/decisions: one row per decision (time, service, old → new, reason).
std::string DecisionsText(const nlohmann::json& decisions, const TableStyle& style = {});
// One decision on one line, as `maiev decisions --follow` prints it as it comes.
std::string DecisionLine(const nlohmann::json& decision);

// One event of the stream on one line: `#ID TYPE what` (docs/OPERATIONS.md lists the types);
// an event of a type this CLI does not know prints its data as it came.
std::string EventLine(const SseEvent& event);

// The screen of `maiev top`: a title line (the daemon, the time, how many services and how many
// are moving) and the services table, fitted to `style.width`.
std::string TopText(const std::vector<control::ServiceStatus>& services, const std::string& url,
                    TimePoint now, const TableStyle& style = {});

// A metric as people read it: up to 3 significant digits, `inf`, or `-` when absent.
std::string MetricText(const std::optional<double>& value);

}  // namespace maiev::cli
