// Which upgrades an operator allows for a service (docs/UPGRADES.md, "Labels"): the service
// labels `maiev.update` (auto, approve, off) and `maiev.update_policy` (all, major, minor, patch,
// as Keel's policies). Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "versions/version.hpp"

namespace maiev::upgrade {

inline constexpr std::string_view kUpdateLabel = "maiev.update";
inline constexpr std::string_view kUpdatePolicyLabel = "maiev.update_policy";

enum class UpdateMode {
  kAuto,     // plans run as soon as they are made (the default)
  kApprove,  // plans are made, then wait for an operator's approval
  kOff,      // never upgraded: the running version is the only one considered
};

enum class UpdatePolicy {
  kAll,    // every newer version, pre-releases included (the default)
  kMajor,  // every newer release
  kMinor,  // newer releases of the same major version
  kPatch,  // newer releases of the same major.minor version
};

std::string_view ToString(UpdateMode mode);
std::string_view ToString(UpdatePolicy policy);

struct UpdateSettings {
  UpdateMode mode = UpdateMode::kAuto;
  UpdatePolicy policy = UpdatePolicy::kAll;

  friend bool operator==(const UpdateSettings&, const UpdateSettings&) = default;
};

// Reads the two labels (absent: the defaults). Error "invalid" naming the label, the value and
// the accepted values; values are matched exactly (lower case).
Result<UpdateSettings> ReadUpdateSettings(const std::map<std::string, std::string>& labels);

// Whether `policy` lets a service running `running` move to the newer `candidate`. Except under
// kAll, a pre-release is allowed only on the way to its own release from an earlier pre-release
// of it (running 2.0.0-rc.1 → 2.0.0-rc.2). Missing parts count as 0 (`1.2` is `1.2.0`).
// REQUIRES: candidate > running; neither is `latest`.
bool PolicyAllows(UpdatePolicy policy, const versions::Version& running,
                  const versions::Version& candidate);

}  // namespace maiev::upgrade
