#include "api/event_json.hpp"

#include <type_traits>

#include "api/decision_json.hpp"
#include "common/time_format.hpp"

namespace maiev::api {
namespace {

using nlohmann::json;

json TextOrNull(const std::string& text) { return text.empty() ? json() : json(text); }

json DataOf(const control::DecisionEvent& e) { return ToJson(e.decision); }

json DataOf(const control::ServiceEvent& e) {
  return {{"service", e.service}, {"change", control::ToString(e.change)}};
}

json DataOf(const control::ConfigErrorEvent& e) {
  return {{"service", e.service}, {"errors", e.errors}};
}

json DataOf(const control::PlanEvent& e) {
  return {{"id", e.id}, {"state", store::ToString(e.state)}, {"reason", e.reason}};
}

json DataOf(const control::StepEvent& e) {
  return {{"plan", e.plan},
          {"index", e.index},
          {"service", e.service},
          {"from", TextOrNull(e.from)},
          {"to", e.to},
          {"state", store::ToString(e.state)},
          {"error", TextOrNull(e.error)}};
}

json DataOf(const control::CycleEvent& e) {
  return {{"time", FormatUtcMillis(e.time)},
          {"duration_ms", e.duration_ms},
          {"services", e.services},
          {"decisions", e.decisions}};
}

}  // namespace

std::string_view EventType(const control::Event& event) {
  // The variant's alternatives are in kEventTypes' order.
  static_assert(std::variant_size_v<control::Event> == kEventTypes.size());
  static_assert(
      std::is_same_v<std::variant_alternative_t<0, control::Event>, control::DecisionEvent>);
  static_assert(
      std::is_same_v<std::variant_alternative_t<1, control::Event>, control::ServiceEvent>);
  static_assert(
      std::is_same_v<std::variant_alternative_t<2, control::Event>, control::ConfigErrorEvent>);
  static_assert(std::is_same_v<std::variant_alternative_t<3, control::Event>, control::PlanEvent>);
  static_assert(std::is_same_v<std::variant_alternative_t<4, control::Event>, control::StepEvent>);
  static_assert(std::is_same_v<std::variant_alternative_t<5, control::Event>, control::CycleEvent>);
  return kEventTypes[event.index()];
}

json EventData(const control::Event& event) {
  return std::visit([](const auto& e) { return DataOf(e); }, event);
}

}  // namespace maiev::api
