#include "upgrade/upgrade_catalog.hpp"

#include <gtest/gtest.h>

#include "upgrade/test_support.hpp"

namespace maiev::upgrade {
namespace {

using testing::Image;
using testing::Service;

std::vector<std::string> VersionsOf(const UpgradeCatalog& c, const std::string& service) {
  for (const auto& s : c.catalog.services) {
    if (s.name != service) continue;
    std::vector<std::string> out;
    for (const auto& v : s.versions) out.push_back(v.version);
    return out;
  }
  return {};
}

TEST(AssembleCatalog, RunningFirstThenNewerNewestFirstWithPins) {
  const WatchedService services[] = {
      Service("a", Image("1.0.0", {{"a:api", 1}}),
              {Image("1.1.0", {{"a:api", 1}}), Image("0.9.0"), Image("2.0.0", {{"a:api", 2}}),
               Image("1.0.0")}),
  };
  const UpgradeCatalog c = AssembleCatalog(services);
  EXPECT_EQ(VersionsOf(c, "a"), (std::vector<std::string>{"1.0.0", "2.0.0", "1.1.0"}));
  EXPECT_EQ(c.running.at("a"), "1.0.0");
  EXPECT_EQ(c.catalog.services[0].running, "1.0.0");
  EXPECT_EQ(c.pins.at({"a", "2.0.0"}), "127.0.0.1:5000/a:2.0.0@" + Image("2.0.0").digest);
  ASSERT_EQ(c.catalog.services[0].versions[1].provide.size(), 1U);
  EXPECT_EQ(c.catalog.services[0].versions[1].provide[0].first, "a:api");
  EXPECT_TRUE(c.excluded.empty());
}

TEST(AssembleCatalog, SpeciesTagsKeepTheirVersionTextAndEqualVersionsCollapse) {
  const WatchedService services[] = {
      Service("w", Image("worker-1.2"), {Image("worker-1.3"), Image("worker-1.3.0")}),
  };
  const UpgradeCatalog c = AssembleCatalog(services);
  EXPECT_EQ(VersionsOf(c, "w"), (std::vector<std::string>{"1.2", "1.3"}));
  EXPECT_EQ(c.pins.at({"w", "1.3"}), "127.0.0.1:5000/w:worker-1.3@" + Image("worker-1.3").digest);
}

TEST(AssembleCatalog, ModeOffPolicyAndBadLabelsHoldVersionsBackWithReasons) {
  ImageVersion broken = Image("1.5.0");
  broken.rejection =
      "its scale config label is invalid: scale.rules[0].expression: unknown name `x`";
  const WatchedService services[] = {
      Service("off", Image("1.0.0"), {Image("2.0.0")}, {UpdateMode::kOff, UpdatePolicy::kAll}),
      Service("minor", Image("1.2.0"), {Image("1.3.0"), Image("2.0.0"), broken},
              {UpdateMode::kAuto, UpdatePolicy::kMinor}),
  };
  const UpgradeCatalog c = AssembleCatalog(services);
  EXPECT_EQ(VersionsOf(c, "off"), (std::vector<std::string>{"1.0.0"}));
  EXPECT_EQ(VersionsOf(c, "minor"), (std::vector<std::string>{"1.2.0", "1.3.0"}));
  EXPECT_EQ(
      c.excluded,
      (std::vector<HeldBack>{
          {"off", "2.0.0", "held back: maiev.update=off"},
          {"minor", "2.0.0", "held back: maiev.update_policy=minor takes releases of 1.x only"},
          {"minor", "1.5.0",
           "held back: its scale config label is invalid: scale.rules[0].expression: unknown "
           "name `x`"},
      }));
}

TEST(AssembleCatalog, ServicesWithoutAKnownVersionAreLeftOutAndSaidSo) {
  WatchedService edge;
  edge.name = "edge";
  edge.image = versions::ParseImageRef("127.0.0.1:5000/edge:edge").value();
  const WatchedService services[] = {edge, Service("a", Image("1.0.0"))};
  const UpgradeCatalog c = AssembleCatalog(services);
  ASSERT_EQ(c.catalog.services.size(), 1U);
  EXPECT_EQ(c.catalog.services[0].name, "a");
  ASSERT_EQ(c.unversioned.size(), 1U);
  EXPECT_EQ(c.unversioned[0].first, "edge");
  EXPECT_EQ(c.unversioned[0].second, "runs 127.0.0.1:5000/edge:edge, which names no known version");
}

}  // namespace
}  // namespace maiev::upgrade
