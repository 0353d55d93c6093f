#include "upgrade/policy.hpp"

#include <gtest/gtest.h>

namespace maiev::upgrade {
namespace {

versions::Version V(std::string_view text) { return versions::Version::Parse(text).value(); }

TEST(ReadUpdateSettings, DefaultsToAutoAndAll) {
  auto settings = ReadUpdateSettings({});
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->mode, UpdateMode::kAuto);
  EXPECT_EQ(settings->policy, UpdatePolicy::kAll);
}

TEST(ReadUpdateSettings, ReadsBothLabels) {
  auto settings = ReadUpdateSettings(
      {{"maiev.update", "approve"}, {"maiev.update_policy", "minor"}, {"other", "x"}});
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->mode, UpdateMode::kApprove);
  EXPECT_EQ(settings->policy, UpdatePolicy::kMinor);
  EXPECT_EQ(ReadUpdateSettings({{"maiev.update", "off"}})->mode, UpdateMode::kOff);
  EXPECT_EQ(ReadUpdateSettings({{"maiev.update_policy", "patch"}})->policy, UpdatePolicy::kPatch);
}

TEST(ReadUpdateSettings, RejectsUnknownValuesNamingLabelAndChoices) {
  auto mode = ReadUpdateSettings({{"maiev.update", "Auto"}});
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.error().code, "invalid");
  EXPECT_EQ(mode.error().message, "label maiev.update: \"Auto\" is not one of auto, approve, off");
  auto policy = ReadUpdateSettings({{"maiev.update_policy", "minors"}});
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.error().message,
            "label maiev.update_policy: \"minors\" is not one of all, major, minor, patch");
}

struct PolicyCase {
  UpdatePolicy policy;
  const char* running;
  const char* candidate;
  bool allowed;
};

TEST(PolicyAllows, FollowsTheTable) {
  const PolicyCase cases[] = {
      {UpdatePolicy::kAll, "1.2.3", "2.0.0", true},
      {UpdatePolicy::kAll, "1.2.3", "2.0.0-rc.1", true},
      {UpdatePolicy::kMajor, "1.2.3", "2.0.0", true},
      {UpdatePolicy::kMajor, "1.2.3", "2.0.0-rc.1", false},
      {UpdatePolicy::kMajor, "2.0.0-rc.1", "2.0.0-rc.2", true},
      {UpdatePolicy::kMajor, "2.0.0-rc.1", "2.0.0", true},
      {UpdatePolicy::kMajor, "2.0.0-rc.1", "2.1.0-rc.1", false},
      {UpdatePolicy::kMinor, "1.2.3", "1.9.0", true},
      {UpdatePolicy::kMinor, "1.2.3", "2.0.0", false},
      {UpdatePolicy::kMinor, "1.2", "1.2.1", true},
      {UpdatePolicy::kPatch, "1.2.3", "1.2.9", true},
      {UpdatePolicy::kPatch, "1.2.3", "1.3.0", false},
      {UpdatePolicy::kPatch, "1.2", "1.2.0.7", true},  // a fourth part is build metadata
      {UpdatePolicy::kPatch, "1.0.69a1", "1.0.69b1", true},
      {UpdatePolicy::kPatch, "1.0.68", "1.0.69a1", false},
  };
  for (const PolicyCase& c : cases) {
    EXPECT_EQ(PolicyAllows(c.policy, V(c.running), V(c.candidate)), c.allowed)
        << ToString(c.policy) << ": " << c.running << " → " << c.candidate;
  }
}

}  // namespace
}  // namespace maiev::upgrade
