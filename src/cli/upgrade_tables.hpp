// The human forms of the upgrade API's answers, printed by `maiev catalog` and `maiev plans`
// (docs/OPERATIONS.md). Pure: JSON in, text out. Missing or null fields print as `-`, so an
// answer of an older or newer daemon still prints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/table.hpp"

namespace maiev::cli {

// GET /api/v1/catalog: the check's time and outcome, one row per service (update mode/policy,
// `running → target`), and under it the lines of its held-back versions
// (`c 2.0.0 held back: …`) and its note; then the unversioned services with why.
std::string CatalogText(const nlohmann::json& catalog, const TableStyle& style = {});

// GET /api/v1/plans: one row per plan (id, state, created, steps done/total, reason).
std::string PlansText(const nlohmann::json& plans, const TableStyle& style = {});

// One plan (GET /api/v1/plans/ID, approve, abort): its state, times and reason, then one row per
// step (service, from, to, state, started, image) with its error under it.
std::string PlanText(const nlohmann::json& plan, const TableStyle& style = {});

// POST /api/v1/plans/resolve: the target, the numbered steps with their pinned images, who must
// approve, the held-back lines and the notes; or why there is no target.
std::string ResolveText(const nlohmann::json& resolve);

// "2023-11-14T22:13:20.000Z" → "2023-11-14T22:13:20Z": whole seconds are enough for people.
std::string HumanTime(const nlohmann::json& time);

}  // namespace maiev::cli
