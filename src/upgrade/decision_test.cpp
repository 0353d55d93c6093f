#include "upgrade/decision.hpp"

#include <gtest/gtest.h>

#include "upgrade/test_support.hpp"

namespace maiev::upgrade {
namespace {

using testing::Image;
using testing::Service;

std::vector<std::string> StepTexts(const UpgradeDecision& d) {
  std::vector<std::string> out;
  for (const auto& s : d.steps) out.push_back(s.service + " " + s.from + " → " + s.to);
  return out;
}

TEST(Decide, NothingNewerMeansAnEmptyPlan) {
  const WatchedService services[] = {Service("a", Image("1.0.0"))};
  const UpgradeDecision d = Decide(AssembleCatalog(services));
  ASSERT_TRUE(d.ok()) << d.message;
  EXPECT_TRUE(d.steps.empty());
  EXPECT_EQ(d.target.at("a"), "1.0.0");
  EXPECT_TRUE(d.held_back.empty());
}

TEST(Decide, UpgradesTheProviderBeforeItsNewConsumer) {
  // b 2.0 needs a capability only a 2.0 provides; a 2.0 still serves b 1.0.
  const WatchedService services[] = {
      Service("b", Image("1.0.0", {}, {"a:rpc >= 1"}), {Image("2.0.0", {}, {"a:rpc >= 2"})}),
      Service("a", Image("1.0.0", {{"a:rpc", 1}}), {Image("2.0.0", {{"a:rpc", 2}})}),
  };
  const UpgradeDecision d = Decide(AssembleCatalog(services));
  ASSERT_TRUE(d.ok()) << d.message;
  EXPECT_EQ(StepTexts(d), (std::vector<std::string>{"a 1.0.0 → 2.0.0", "b 1.0.0 → 2.0.0"}));
  EXPECT_EQ(d.steps[0].image, "127.0.0.1:5000/a:2.0.0@" + Image("2.0.0").digest);
  EXPECT_TRUE(d.needs_approval.empty());
}

TEST(Decide, AVersionWhoseRequirementNothingMeetsIsHeldBackWithWhy) {
  const WatchedService services[] = {
      Service("c", Image("1.0.0"), {Image("2.0.0", {}, {"nothing:here > 0"})}),
  };
  const UpgradeDecision d = Decide(AssembleCatalog(services));
  ASSERT_TRUE(d.ok()) << d.message;
  EXPECT_TRUE(d.steps.empty());
  EXPECT_EQ(d.target.at("c"), "1.0.0");
  ASSERT_EQ(d.held_back.size(), 1U);
  EXPECT_EQ(d.held_back[0].service, "c");
  EXPECT_EQ(d.held_back[0].version, "2.0.0");
  EXPECT_EQ(d.held_back[0].reason,
            "held back: requires `nothing:here > 0`, but no candidate version provides "
            "`nothing:here`");
}

TEST(Decide, AVersionThatWouldForceOthersOlderIsHeldBackForRank) {
  // x 2.0 wants y at api 1 at most, which only y 1.0 provides: x 2.0 with y 1.0 ranks 2 (y two
  // versions behind), x 1.0 with y 2.0 ranks 1. x stays on 1.0.
  const WatchedService services[] = {
      Service("x", Image("1.0.0"), {Image("2.0.0", {}, {"y:api <= 1"})}),
      Service("y", Image("1.0.0", {{"y:api", 1}}),
              {Image("1.5.0", {{"y:api", 2}}), Image("2.0.0", {{"y:api", 3}})}),
  };
  const UpgradeDecision d = Decide(AssembleCatalog(services));
  ASSERT_TRUE(d.ok()) << d.message;
  EXPECT_EQ(d.target.at("x"), "1.0.0");
  EXPECT_EQ(d.target.at("y"), "2.0.0");
  ASSERT_EQ(d.held_back.size(), 1U);
  EXPECT_EQ(d.held_back[0].reason,
            "held back: it fits only a phase with older versions elsewhere (y 1.0.0 instead of "
            "2.0.0), which ranks lower than the target");
}

TEST(Decide, ApproveModeMarksItsServicesAndOffKeepsTheRunningVersion) {
  const WatchedService services[] = {
      Service("a", Image("1.0.0"), {Image("1.1.0")}, {UpdateMode::kApprove, UpdatePolicy::kAll}),
      Service("b", Image("1.0.0"), {Image("1.1.0")}, {UpdateMode::kOff, UpdatePolicy::kAll}),
  };
  const UpgradeDecision d = Decide(AssembleCatalog(services));
  ASSERT_TRUE(d.ok()) << d.message;
  EXPECT_EQ(StepTexts(d), (std::vector<std::string>{"a 1.0.0 → 1.1.0"}));
  EXPECT_EQ(d.needs_approval, (std::vector<std::string>{"a"}));
  ASSERT_EQ(d.held_back.size(), 1U);
  EXPECT_EQ(d.held_back[0].reason, "held back: maiev.update=off");
}

TEST(Decide, AnInconsistentRunningPhaseWithNoWayOutIsReported) {
  // The running b already breaks its requirement and no version of a can meet it.
  const WatchedService services[] = {
      Service("b", Image("1.0.0", {}, {"a:rpc >= 5"})),
      Service("a", Image("1.0.0", {{"a:rpc", 1}})),
  };
  const UpgradeDecision d = Decide(AssembleCatalog(services));
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.outcome, "no_solution");
  EXPECT_FALSE(d.message.empty());
  ASSERT_FALSE(d.reasons.empty());
  EXPECT_NE(d.reasons[0].find("a:rpc >= 5"), std::string::npos) << d.reasons[0];
}

TEST(Decide, ARequirementThatDoesNotCompileIsInvalidNamingWhere) {
  const WatchedService services[] = {Service("a", Image("1.0.0"), {Image("2.0.0", {}, {"a:x >"})})};
  const UpgradeDecision d = Decide(AssembleCatalog(services));
  EXPECT_EQ(d.outcome, "invalid");
  EXPECT_NE(d.message.find("a"), std::string::npos) << d.message;
}

}  // namespace
}  // namespace maiev::upgrade
