// The JSON of a scaling decision, as GET /api/v1/decisions lists it and the event stream sends it.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace maiev::api {

// {"id", "time", "service", "old_replicas", "new_replicas", "direction": "up"|"down"|"none",
//  "reason", "rules", "metrics", "explanation"}
nlohmann::json ToJson(const store::DecisionRecord& decision);

}  // namespace maiev::api
