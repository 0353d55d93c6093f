#include "solver/catalog.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "solver/problem.hpp"

namespace maiev::solver {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view json) {
  auto catalog = ParseCatalog(json);
  EXPECT_FALSE(catalog.ok()) << json;
  return catalog.ok() ? "" : catalog.error().message;
}

std::string BuildErrorOf(std::string_view json, ProblemOptions options = {}) {
  auto catalog = ParseCatalog(json);
  EXPECT_TRUE(catalog.ok()) << (catalog.ok() ? "" : catalog.error().message);
  if (!catalog.ok()) return "";
  auto problem = Problem::Build(*catalog, options);
  EXPECT_FALSE(problem.ok());
  return problem.ok() ? "" : problem.error().code + ": " + problem.error().message;
}

constexpr std::string_view kSolverForm = R"([[
  {"name": "a", "versions": {"1.0": {"provide": {"a:api": 1, "a:args": ["x"]},
                                     "require": ["b:api > 0"]},
                             "2.0": {"provide": {}, "require": []}}},
  {"name": "b", "versions": {"0.1": {"provide": {"b:api": 1}, "require": []}}}
]])";

TEST(ParseCatalog, AcceptsTheOriginalSolverArgumentList) {
  auto catalog = ParseCatalog(kSolverForm);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  ASSERT_EQ(catalog->services.size(), 2U);
  EXPECT_EQ(catalog->services[0].name, "a");
  EXPECT_EQ(catalog->services[0].versions.size(), 2U);
  const auto& v1 = catalog->services[0].versions[0];
  EXPECT_EQ(v1.version, "1.0");
  EXPECT_EQ(v1.require, std::vector<std::string>{"b:api > 0"});
  ASSERT_EQ(v1.provide.size(), 2U);
  EXPECT_EQ(v1.provide[0].first, "a:api");
  EXPECT_EQ(v1.provide[0].second, rules::Value::Number(1));
}

TEST(ParseCatalog, AcceptsABareCatalogList) {
  auto catalog = ParseCatalog(R"([{"name": "a", "versions": {"1": {}}}])");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  EXPECT_EQ(catalog->services.size(), 1U);
  EXPECT_TRUE(catalog->services[0].versions[0].provide.empty());
}

TEST(ParseCatalog, AcceptsThePlannerFormWithRunningVersionsAndAvailability) {
  auto catalog = ParseCatalog(R"({"catalog": [{"name": "a", "version": "1.0", "versions_list": [
      {"version": "1.0", "dependencies": {}, "available": true},
      {"version": "1.1", "dependencies": {"provide": {"a:x": 2}, "require": ["b:y"]},
       "available": false}]}]})");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const auto& a = catalog->services[0];
  EXPECT_EQ(a.running, "1.0");
  EXPECT_TRUE(a.versions[0].available);
  EXPECT_FALSE(a.versions[1].available);
  EXPECT_EQ(catalog->RecordedRunning(), (std::map<std::string, std::string>{{"a", "1.0"}}));
}

TEST(ParseCatalog, RejectsTextThatIsNotJson) {
  auto catalog = ParseCatalog("[{\"name\": ");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.error().code, "parse");
  EXPECT_THAT(catalog.error().message, HasSubstr("not JSON"));
}

TEST(ParseCatalog, NamesThePathOfAWrongShape) {
  EXPECT_THAT(ErrorOf(R"([{"name": "a", "versions": []}])"),
              HasSubstr("[0] (service `a`).versions: expected an object"));
  EXPECT_THAT(ErrorOf(R"([{"name": "a", "versions": {"1.0": {"require": "b > 1"}}}])"),
              HasSubstr("(service `a`).versions.1.0.require: expected a list"));
  EXPECT_THAT(ErrorOf(R"([{"name": "a", "versions": {"1.0": {"require": [3]}}}])"),
              HasSubstr("require[0]: expected an expression"));
  EXPECT_THAT(ErrorOf(R"([{"versions": {}}])"), HasSubstr("[0]: missing `name`"));
  EXPECT_THAT(ErrorOf(R"([{"name": "a"}])"), HasSubstr("missing `versions`"));
  EXPECT_THAT(ErrorOf(R"({"catalog": [{"name": "a", "versions_list": [{"version": "1",
      "available": "yes"}]}]})"),
              HasSubstr("catalog[0] (service `a`).versions_list[0].available"));
  EXPECT_THAT(ErrorOf(R"({"services": []})"), HasSubstr("expected a list of services"));
}

TEST(ParseCatalog, RejectsDuplicateServicesAndVersions) {
  EXPECT_THAT(ErrorOf(R"([{"name": "a", "versions": {"1": {}}}, {"name": "a",
      "versions": {"2": {}}}])"),
              HasSubstr("service `a` is listed twice"));
  EXPECT_THAT(ErrorOf(R"({"catalog": [{"name": "a", "versions_list": [{"version": "1"},
      {"version": "1"}]}]})"),
              HasSubstr("version `1` is listed twice"));
}

TEST(ParseCatalog, RejectsACapabilityNameTheRuleLanguageCannotName) {
  EXPECT_THAT(ErrorOf(R"([{"name": "a", "versions": {"1.0": {"provide": {"a api": 1}}}}])"),
              HasSubstr("versions.1.0.provide.a api: capability name `a api` is not a "
                        "rule-language name"));
  EXPECT_THAT(ErrorOf(R"([{"name": "a", "versions": {"1.0": {"provide": {"and": 1}}}}])"),
              HasSubstr("capability name `and`"));
}

TEST(ParseRunningPhase, ReadsServiceToVersion) {
  auto running = ParseRunningPhase(R"({"a": "1.0", "b": "2"})");
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->at("b"), "2");
  EXPECT_THAT(ParseRunningPhase(R"({"a": 1})").error().message, HasSubstr("a: expected a version"));
  EXPECT_EQ(ParseRunningPhase("[").error().code, "parse");
}

TEST(ProblemBuild, NamesServiceVersionPositionAndColumnOfAnUnparsableRequirement) {
  const std::string error =
      BuildErrorOf(R"([{"name": "a", "versions": {"1.0": {"require": ["b:x > 1", "b:x >"]}}}])");
  EXPECT_THAT(error, HasSubstr("invalid: service `a` version `1.0`: require[1] `b:x >`"));
  EXPECT_THAT(error, HasSubstr("(col 6)"));
}

TEST(ProblemBuild, RejectsAnUnparsableExtraConstraintWithItsPosition) {
  ProblemOptions options;
  options.constraints = {"a:x > 0", "a:x & 1"};
  EXPECT_THAT(BuildErrorOf(R"([{"name": "a", "versions": {"1.0": {}}}])", options),
              HasSubstr("constraint 2 `a:x & 1`"));
}

TEST(ProblemBuild, RejectsAVersionThatIsNotAVersion) {
  EXPECT_THAT(BuildErrorOf(R"([{"name": "a", "versions": {"edge": {}}}])"),
              HasSubstr("service `a`: version `edge` is not a version"));
  EXPECT_THAT(BuildErrorOf(R"([{"name": "a", "versions": {"1.0": {}, "1.2.x": {}}}])"),
              HasSubstr("version `1.2.x` is not a version"));
}

TEST(ProblemBuild, RejectsTwoSpellingsOfTheSameVersion) {
  EXPECT_THAT(BuildErrorOf(R"([{"name": "a", "versions": {"1.2": {}, "1.2.0": {}}}])"),
              HasSubstr("are the same version"));
}

TEST(ProblemBuild, RejectsARunningServiceOrVersionNotInTheCatalog) {
  constexpr std::string_view kCatalog = R"([{"name": "a", "versions": {"1.0": {}}}])";
  ProblemOptions unknown_service;
  unknown_service.running = {{"zz", "1.0"}};
  EXPECT_THAT(BuildErrorOf(kCatalog, unknown_service),
              HasSubstr("service `zz` is not in the catalog"));
  ProblemOptions unknown_version;
  unknown_version.running = {{"a", "9.9"}};
  EXPECT_THAT(BuildErrorOf(kCatalog, unknown_version), HasSubstr("runs version `9.9`"));
}

TEST(ProblemBuild, RanksNewestFirstByVersionOrder) {
  auto catalog = ParseCatalog(
      R"([{"name": "a", "versions": {"0.2.9": {}, "0.2.10": {}, "0.3.0-rc.1": {}, "0.3": {}}}])");
  ASSERT_TRUE(catalog.ok());
  auto problem = Problem::Build(*catalog, {});
  ASSERT_TRUE(problem.ok()) << problem.error().message;
  EXPECT_EQ(problem->service(0).versions,
            (std::vector<std::string>{"0.3", "0.3.0-rc.1", "0.2.10", "0.2.9"}));
}

// The original deployment's versions: letter suffixes, four parts and `latest` (the newest).
TEST(ProblemBuild, RanksTheOriginalDeploymentsVersionsWithLatestNewest) {
  auto catalog = ParseCatalog(R"([{"name": "a", "versions": {
      "1.1.108b": {}, "latest": {}, "1.3.0.119": {}, "122b": {}, "1.1.52b": {}, "1.3.0": {}}}])");
  ASSERT_TRUE(catalog.ok());
  auto problem = Problem::Build(*catalog, {});
  ASSERT_TRUE(problem.ok()) << problem.error().message;
  EXPECT_EQ(
      problem->service(0).versions,
      (std::vector<std::string>{"latest", "122b", "1.3.0.119", "1.3.0", "1.1.108b", "1.1.52b"}));
}

TEST(ProblemBuild, RejectsAFourthPartAndItsBuildSpellingAsTheSameVersion) {
  EXPECT_THAT(BuildErrorOf(R"([{"name": "a", "versions": {"1.3.0.119": {}, "1.3.0+119": {}}}])"),
              HasSubstr("are the same version"));
}

// Found by fuzz/catalog_fuzz: a number too large for a double escaped as an exception (a crash of
// `maiev solve`), and a syntax error quoted bytes that are not UTF-8.
TEST(ParseCatalog, NumberOverflowAndBytesThatAreNotUtf8AreParseErrors) {
  auto overflow = ParseCatalog(R"([{"name": "a", "versions": {"1": {"provide": {"x": 1e310}}}}])");
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().code, "parse");
  EXPECT_THAT(overflow.error().message, HasSubstr("number overflow"));
  auto bytes = ParseCatalog("[{\"name\": \"a\xFF\"}]");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code, "parse");
  EXPECT_THAT(bytes.error().message, HasSubstr("\\xFF"));
  EXPECT_EQ(bytes.error().message.find('\xFF'), std::string::npos);
}

}  // namespace
}  // namespace maiev::solver
