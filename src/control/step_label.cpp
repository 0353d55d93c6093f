#include "control/step_label.hpp"

#include <nlohmann/json.hpp>

#include "common/time_format.hpp"

namespace maiev::control {

std::string StepLabelValue(const InFlightStep& step) {
  return nlohmann::json{{"plan", step.plan_id},  {"step", step.step},
                        {"steps", step.steps},   {"from", step.from_version},
                        {"to", step.to_version}, {"from_image", step.from_image},
                        {"image", step.image},   {"requested", FormatUtcMillis(step.requested)}}
      .dump();
}

Result<InFlightStep> ParseStepLabel(std::string_view value) {
  const auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  const std::string where = "label " + std::string(kStepLabel);
  if (!j.is_object()) return Fail("invalid", where + ": not a JSON object");
  InFlightStep step;
  auto integer = [&](const char* key, auto& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) {
      return Fail("invalid", where + ": " + key + " must be a whole number");
    }
    out = it->get<std::remove_reference_t<decltype(out)>>();
    return {};
  };
  auto text = [&](const char* key, std::string& out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() && !required) return {};
    if (it == j.end() || !it->is_string() || (required && it->get<std::string>().empty())) {
      return Fail("invalid", where + ": " + key + " must be a non-empty string");
    }
    out = it->get<std::string>();
    return {};
  };
  if (auto st = integer("plan", step.plan_id); !st) return Unexpected{st.error()};
  if (auto st = integer("step", step.step); !st) return Unexpected{st.error()};
  if (auto st = integer("steps", step.steps); !st) return Unexpected{st.error()};
  if (step.step < 1 || step.step > step.steps) {
    return Fail("invalid", where + ": step must be 1 to steps");
  }
  if (auto st = text("from", step.from_version, false); !st) return Unexpected{st.error()};
  if (auto st = text("to", step.to_version, true); !st) return Unexpected{st.error()};
  if (auto st = text("from_image", step.from_image, false); !st) return Unexpected{st.error()};
  if (auto st = text("image", step.image, true); !st) return Unexpected{st.error()};
  std::string requested;
  if (auto st = text("requested", requested, true); !st) return Unexpected{st.error()};
  auto at = ParseRfc3339(requested);
  if (!at) return Fail("invalid", where + ": requested: " + at.error().message);
  step.requested = *at;
  return step;
}

std::map<std::string, std::string> StepLabels(std::int64_t plan_id, const store::UpgradeStep& step,
                                              std::size_t steps, TimePoint requested) {
  const InFlightStep in_flight{plan_id,           step.index + 1,  static_cast<int>(steps),
                               step.from_version, step.to_version, step.from_image,
                               step.image,        requested};
  return {{std::string(kStepLabel), StepLabelValue(in_flight)}};
}

}  // namespace maiev::control
