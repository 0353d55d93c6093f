// What the autoscaler says about one decision (docs/OPERATIONS.md, "Decisions and their
// explanation"): the scaling decision's reason, followed by why its trigger fired when the rules
// decided it. One text (log line, stored reason, `maiev status`) and the same as JSON (store, API).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "rules/explanation.hpp"
#include "scaling/decision.hpp"

namespace maiev::control {

struct DecisionExplanation {
  std::string text;  // e.g. "2 → 3: scale_up: rules:behind ← rmq:latency 133 > 3"
  // {"text", "decision": ReasonJson, "rules": rules::Explanation::ToJson() or null}
  nlohmann::json json;
};

// `rules`: the pass the decision was made from; null when no rules were evaluated (no `scale`
// section, or metrics missing).
DecisionExplanation ExplainDecision(const scaling::Decision& decision,
                                    const rules::Explanation* rules);

// {"kind": "at_max", "trigger": "scale_up", "from": 6, "to": 6, "paused": false, "max": 6, ...}:
// the fields of scaling::Reason that its kind uses.
nlohmann::json ReasonJson(const scaling::Reason& why);

}  // namespace maiev::control
