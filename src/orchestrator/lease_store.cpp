#include "orchestrator/lease_store.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include "common/time_format.hpp"

namespace maiev::orchestrator {
namespace {

constexpr std::string_view kHolder = "maiev.lease.holder";
constexpr std::string_view kRenewed = "maiev.lease.renewed";
constexpr std::string_view kDuration = "maiev.lease.duration";
constexpr std::string_view kTransitions = "maiev.lease.transitions";

Unexpected<Error> Invalid(std::string_view label, std::string_view what) {
  return Fail("invalid", "lease label " + std::string(label) + ": " + std::string(what));
}

const std::string* Find(const std::map<std::string, std::string>& labels, std::string_view key) {
  auto it = labels.find(std::string(key));
  return it == labels.end() ? nullptr : &it->second;
}

}  // namespace

std::map<std::string, std::string> LeaseLabels(const LeaseRecord& record) {
  std::ostringstream duration;
  duration << record.duration.count();
  return {{std::string(kHolder), record.holder},
          {std::string(kRenewed), FormatUtcMillis(record.renewed)},
          {std::string(kDuration), duration.str()},
          {std::string(kTransitions), std::to_string(record.transitions)}};
}

Result<LeaseRecord> LeaseFromLabels(const std::map<std::string, std::string>& labels) {
  LeaseRecord record;
  const std::string* holder = Find(labels, kHolder);
  if (holder == nullptr) return Invalid(kHolder, "missing");
  record.holder = *holder;
  const std::string* renewed = Find(labels, kRenewed);
  if (renewed == nullptr) return Invalid(kRenewed, "missing");
  auto at = ParseRfc3339(*renewed);
  if (!at) return Invalid(kRenewed, at.error().message);
  record.renewed = *at;
  const std::string* duration = Find(labels, kDuration);
  if (duration == nullptr) return Invalid(kDuration, "missing");
  double seconds = 0;
  auto [end, ec] = std::from_chars(duration->data(), duration->data() + duration->size(), seconds);
  if (ec != std::errc{} || end != duration->data() + duration->size() || !std::isfinite(seconds) ||
      seconds < 0) {
    return Invalid(kDuration, "expected seconds >= 0, got '" + *duration + "'");
  }
  record.duration = Duration{seconds};
  const std::string* transitions = Find(labels, kTransitions);
  if (transitions != nullptr) {
    auto [t_end, t_ec] = std::from_chars(
        transitions->data(), transitions->data() + transitions->size(), record.transitions);
    if (t_ec != std::errc{} || t_end != transitions->data() + transitions->size()) {
      return Invalid(kTransitions, "expected a count, got '" + *transitions + "'");
    }
  }
  return record;
}

}  // namespace maiev::orchestrator
