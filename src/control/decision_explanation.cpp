#include "control/decision_explanation.hpp"

namespace maiev::control {

using scaling::Reason;

nlohmann::json ReasonJson(const Reason& why) {
  nlohmann::json out = {{"kind", scaling::ToString(why.kind)},
                        {"from", why.from},
                        {"to", why.to},
                        {"paused", why.paused}};
  out["trigger"] = why.trigger == scaling::Trigger::kNone
                       ? nlohmann::json()
                       : nlohmann::json(scaling::ToString(why.trigger));
  switch (why.kind) {
    case Reason::Kind::kAtMax:
    case Reason::Kind::kAboveMax:
      out["max"] = why.bound;
      break;
    case Reason::Kind::kAtMin:
    case Reason::Kind::kBelowMin:
      out["min"] = why.bound;
      break;
    case Reason::Kind::kCoolDown:
    case Reason::Kind::kReapplyWait:
      out["seconds_left"] = why.seconds_left;
      break;
    default:
      break;
  }
  if (!why.missing.empty()) {
    nlohmann::json missing = nlohmann::json::array();
    for (const auto& m : why.missing) {
      missing.push_back({{"resource", m.resource},
                         {"stale_seconds",
                          m.stale_seconds ? nlohmann::json(*m.stale_seconds) : nlohmann::json()}});
    }
    out["missing"] = std::move(missing);
  }
  if (why.target_latency) {
    out["target_latency"] = *why.target_latency;
    out["latency"] = why.latency ? nlohmann::json(*why.latency) : nlohmann::json();
  }
  if (why.max_step) out["max_step"] = *why.max_step;
  return out;
}

DecisionExplanation ExplainDecision(const scaling::Decision& decision,
                                    const rules::Explanation* rules) {
  DecisionExplanation out;
  out.text =
      rules != nullptr ? scaling::ToString(decision.why, rules->ToString()) : decision.reason;
  out.json = {{"text", out.text},
              {"decision", ReasonJson(decision.why)},
              {"rules", rules != nullptr ? rules->ToJson() : nlohmann::json()}};
  return out;
}

}  // namespace maiev::control
