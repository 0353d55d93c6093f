// The step of a plan in flight, recorded on the service it updates (label maiev.upgrade.step),
// set in the same service update as the new image: a maiev that takes over with an empty store
// (another manager, a lost disk) finds the rolling update it did not start, and follows it to its
// end (docs/UPGRADES.md, "A plan in flight survives its maiev").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace maiev::control {

inline constexpr std::string_view kStepLabel = "maiev.upgrade.step";

struct InFlightStep {
  std::int64_t plan_id = 0;
  int step = 0;   // 1-based
  int steps = 0;  // of the plan
  std::string from_version;
  std::string to_version;
  std::string from_image;
  std::string image;
  TimePoint requested;

  friend bool operator==(const InFlightStep&, const InFlightStep&) = default;
};

// The label's JSON, and back (error "invalid" naming what does not fit).
std::string StepLabelValue(const InFlightStep& step);
Result<InFlightStep> ParseStepLabel(std::string_view value);

// The label of `step` (index 0-based) of a plan of `steps` steps.
std::map<std::string, std::string> StepLabels(std::int64_t plan_id, const store::UpgradeStep& step,
                                              std::size_t steps, TimePoint requested);

}  // namespace maiev::control
