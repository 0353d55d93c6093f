#include "api/decision_json.hpp"

#include "common/time_format.hpp"

namespace maiev::api {
namespace {

// A record's JSON text, kept as the daemon wrote it; null when empty or unreadable.
nlohmann::json Parsed(const std::string& text) {
  if (text.empty()) return nullptr;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

}  // namespace

nlohmann::json ToJson(const store::DecisionRecord& d) {
  const char* direction = d.new_replicas > d.old_replicas   ? "up"
                          : d.new_replicas < d.old_replicas ? "down"
                                                            : "none";
  return {{"id", d.id},
          {"time", FormatUtcMillis(d.time)},
          {"service", d.service},
          {"old_replicas", d.old_replicas},
          {"new_replicas", d.new_replicas},
          {"direction", direction},
          {"reason", d.reason},
          {"rules", Parsed(d.rule_values_json)},
          {"metrics", Parsed(d.metrics_json)},
          // Decisions recorded before explanations were kept have none.
          {"explanation", Parsed(d.explanation_json)}};
}

}  // namespace maiev::api
