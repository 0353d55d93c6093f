#include "upgrade/policy.hpp"

#include <cstdint>

namespace maiev::upgrade {
namespace {

std::uint64_t Part(const versions::Version& v, std::size_t i) {
  return i < v.numbers().size() ? v.numbers()[i] : 0;
}

bool SameCore(const versions::Version& a, const versions::Version& b, std::size_t parts) {
  for (std::size_t i = 0; i < parts; ++i) {
    if (Part(a, i) != Part(b, i)) return false;
  }
  return true;
}

}  // namespace

std::string_view ToString(UpdateMode mode) {
  switch (mode) {
    case UpdateMode::kAuto:
      return "auto";
    case UpdateMode::kApprove:
      return "approve";
    case UpdateMode::kOff:
      return "off";
  }
  return "auto";
}

std::string_view ToString(UpdatePolicy policy) {
  switch (policy) {
    case UpdatePolicy::kAll:
      return "all";
    case UpdatePolicy::kMajor:
      return "major";
    case UpdatePolicy::kMinor:
      return "minor";
    case UpdatePolicy::kPatch:
      return "patch";
  }
  return "all";
}

Result<UpdateSettings> ReadUpdateSettings(const std::map<std::string, std::string>& labels) {
  UpdateSettings settings;
  if (auto it = labels.find(std::string(kUpdateLabel)); it != labels.end()) {
    if (it->second == "auto") {
      settings.mode = UpdateMode::kAuto;
    } else if (it->second == "approve") {
      settings.mode = UpdateMode::kApprove;
    } else if (it->second == "off") {
      settings.mode = UpdateMode::kOff;
    } else {
      return Fail("invalid", "label " + std::string(kUpdateLabel) + ": \"" + it->second +
                                 "\" is not one of auto, approve, off");
    }
  }
  if (auto it = labels.find(std::string(kUpdatePolicyLabel)); it != labels.end()) {
    if (it->second == "all") {
      settings.policy = UpdatePolicy::kAll;
    } else if (it->second == "major") {
      settings.policy = UpdatePolicy::kMajor;
    } else if (it->second == "minor") {
      settings.policy = UpdatePolicy::kMinor;
    } else if (it->second == "patch") {
      settings.policy = UpdatePolicy::kPatch;
    } else {
      return Fail("invalid", "label " + std::string(kUpdatePolicyLabel) + ": \"" + it->second +
                                 "\" is not one of all, major, minor, patch");
    }
  }
  return settings;
}

bool PolicyAllows(UpdatePolicy policy, const versions::Version& running,
                  const versions::Version& candidate) {
  if (policy == UpdatePolicy::kAll) return true;
  if (candidate.is_pre_release() &&
      !(running.is_pre_release() && SameCore(running, candidate, 3))) {
    return false;
  }
  switch (policy) {
    case UpdatePolicy::kAll:
    case UpdatePolicy::kMajor:
      return true;
    case UpdatePolicy::kMinor:
      return SameCore(running, candidate, 1);
    case UpdatePolicy::kPatch:
      return SameCore(running, candidate, 2);
  }
  return false;
}

}  // namespace maiev::upgrade
