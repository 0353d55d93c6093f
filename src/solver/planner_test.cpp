#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "solver/catalog.hpp"
#include "solver/problem.hpp"
#include "solver/solver.hpp"

namespace maiev::solver {
namespace {

using ::testing::HasSubstr;

Problem BuildOk(std::string_view json, std::map<std::string, std::string> running) {
  auto catalog = ParseCatalog(json);
  EXPECT_TRUE(catalog.ok()) << (catalog.ok() ? "" : catalog.error().message);
  ProblemOptions options;
  options.running = std::move(running);
  auto problem = Problem::Build(*catalog, options);
  EXPECT_TRUE(problem.ok()) << (problem.ok() ? "" : problem.error().message);
  return std::move(problem).value();
}

// "service from→to" per step.
std::vector<std::string> Steps(const Problem& p, const std::vector<Step>& plan) {
  std::vector<std::string> out;
  for (const Step& s : plan) {
    const auto& info = p.service(s.service);
    out.push_back(info.name + " " + (s.from == kAbsent ? "-" : info.versions[s.from]) + "→" +
                  info.versions[s.to]);
  }
  return out;
}

std::vector<int> TargetOf(const Problem& p) {
  auto solution = Solve(p);
  EXPECT_TRUE(solution.ok());
  return solution.ok() ? solution->ranks : std::vector<int>{};
}

TEST(PlanUpgrade, OrdersStepsSoEveryPhaseIsConsistent) {
  // web 2 needs api 2; api 2 is compatible with web 1. So api first.
  const Problem p = BuildOk(R"([
    {"name": "web", "versions": {"1": {"require": ["api:v >= 1"]},
                                 "2": {"require": ["api:v >= 2"]}}},
    {"name": "api", "versions": {"1": {"provide": {"api:v": 1}},
                                 "2": {"provide": {"api:v": 2}}}}])",
                            {{"web", "1"}, {"api", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Steps(p, *plan), (std::vector<std::string>{"api 1→2", "web 1→2"}));
}

TEST(PlanUpgrade, IsEmptyWhenTheRunningPhaseIsTheTarget) {
  const Problem p = BuildOk(R"([{"name": "a", "versions": {"1": {}}}])", {{"a", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->empty());
}

TEST(PlanUpgrade, IsEmptyWithoutARunningPhase) {
  const Problem p = BuildOk(R"([{"name": "a", "versions": {"1": {}, "2": {}}}])", {});
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->empty());
}

TEST(PlanUpgrade, UsesAnIntermediateVersionWhenThatIsTheOnlyWay) {
  // a 1 needs b < 3; a 3 needs b 3. b 2 bridges: a 1→… no: a 2 accepts b 1..3, so
  // b 1→2 is fine for a 1, a 1→2 is fine, b 2→3 fine for a 2, a 2→3.
  // Directly: a 1→3 needs b 3 (breaks); b 1→3 breaks a 1. So a goes through 2.
  const Problem p = BuildOk(R"([
    {"name": "a", "versions": {"1": {"require": ["b:v < 3"]},
                               "2": {"require": ["b:v >= 1"]},
                               "3": {"require": ["b:v >= 3"]}}},
    {"name": "b", "versions": {"1": {"provide": {"b:v": 1}},
                               "3": {"provide": {"b:v": 3}}}}])",
                            {{"a", "1"}, {"b", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Steps(p, *plan), (std::vector<std::string>{"a 1→2", "b 1→3", "a 2→3"}));
}

TEST(PlanUpgrade, SaysWhichStepIsBlockedWhenTwoServicesMustChangeAtOnce) {
  // x 2 and y 2 need each other; x 1 and y 1 need each other.
  const Problem p = BuildOk(R"([
    {"name": "x", "versions": {"1": {"provide": {"x:v": 1}, "require": ["y:v == 1"]},
                               "2": {"provide": {"x:v": 2}, "require": ["y:v == 2"]}}},
    {"name": "y", "versions": {"1": {"provide": {"y:v": 1}, "require": ["x:v == 1"]},
                               "2": {"provide": {"y:v": 2}, "require": ["x:v == 2"]}}}])",
                            {{"x", "1"}, {"y", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, "no_plan");
  EXPECT_THAT(plan.error().message, HasSubstr("no upgrade path"));
  ASSERT_EQ(plan.error().reasons.size(), 2U);
  EXPECT_EQ(plan.error().reasons[0],
            "upgrading x 1 → 2 is blocked: x 2 requires `y:v == 2`, not met while y 1 runs");
  EXPECT_EQ(plan.error().reasons[1],
            "upgrading y 1 → 2 is blocked: y 2 requires `x:v == 2`, not met while x 1 runs");
}

TEST(PlanUpgrade, DeploysAServiceWithoutARunningVersionAfterWhatItNeeds) {
  const Problem p = BuildOk(R"([
    {"name": "new", "versions": {"1": {"require": ["old:v >= 2"]}}},
    {"name": "old", "versions": {"1": {"provide": {"old:v": 1}},
                                 "2": {"provide": {"old:v": 2}}}}])",
                            {{"old", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Steps(p, *plan), (std::vector<std::string>{"old 1→2", "new -→1"}));
}

TEST(PlanUpgrade, PlansIndependentServicesOneStepEach) {
  std::string json = "[";
  std::map<std::string, std::string> running;
  constexpr int kServices = 40;
  for (int i = 0; i < kServices; ++i) {
    const std::string n = "s" + std::to_string(i);
    const std::string next = "s" + std::to_string((i + 1) % kServices);
    json += (i ? "," : "") + std::string(R"({"name": ")") + n + R"(", "versions": {)" +
            R"("1": {"provide": {")" + n + R"(:v": 1}}, "2": {"provide": {")" + n +
            R"(:v": 2}, "require": [")" + next + R"(:v >= 1"]}}})";
    running[n] = "1";
  }
  json += "]";
  const Problem p = BuildOk(json, running);
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->size(), static_cast<std::size_t>(kServices));
}

// a 2 needs c 2, b 2 needs a 2, c 2 needs b 2: direct moves would have to go c, a, b, c.
// Every direct step passes the pairwise test, so only the search sees the cycle.
constexpr std::string_view kCycle = R"([
    {"name": "a", "versions": {"1": {"provide": {"a:v": 1}},
                               "2": {"provide": {"a:v": 2}, "require": ["c:v >= 2"]}}},
    {"name": "b", "versions": {"1": {"provide": {"b:v": 1}},
                               "2": {"provide": {"b:v": 2}, "require": ["a:v >= 2"]}}},
    {"name": "c", "versions": {"1": {"provide": {"c:v": 1}},
                               "2": {"provide": {"c:v": 2}, "require": ["b:v >= 2"]}}}])";

// kCycle with a 1.5: a's api level 2 without a's requirement, a way out of the cycle.
std::string CycleWithABridge() {
  std::string json(kCycle);
  const std::string first = R"("1": {"provide": {"a:v": 1}},)";
  json.insert(json.find(first) + first.size(), R"( "1.5": {"provide": {"a:v": 2}},)");
  return json;
}

TEST(PlanUpgrade, BreaksACycleOfDirectMovesWithAnIntermediateVersion) {
  const Problem p = BuildOk(CycleWithABridge(), {{"a", "1"}, {"b", "1"}, {"c", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(Steps(p, *plan), (std::vector<std::string>{"a 1→1.5", "b 1→2", "c 1→2", "a 1.5→2"}));
}

TEST(PlanUpgrade, ProvesThereIsNoPlanWhenACycleCannotBeBroken) {
  const Problem p = BuildOk(kCycle, {{"a", "1"}, {"b", "1"}, {"c", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, "no_plan");
  EXPECT_THAT(plan.error().reasons,
              ::testing::Contains("upgrading b 1 → 2 is blocked: b 2 requires `a:v >= 2`, not "
                                  "met while a 1 runs"));
}

TEST(PlanUpgrade, GivesUpAtTheStateLimitAndSaysSo) {
  const Problem p = BuildOk(CycleWithABridge(), {{"a", "1"}, {"b", "1"}, {"c", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p), PlanLimits{.max_states = 1, .max_conflicts = 0});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, "limit");
  EXPECT_THAT(plan.error().message, HasSubstr("3 linked services (a, b, c)"));
  EXPECT_THAT(plan.error().message, HasSubstr("planning the 3 services whose moves conflict"));
  EXPECT_THAT(plan.error().message, HasSubstr("at least 3 steps needed"));
}

TEST(PlanUpgrade, GivesUpAtTheStateLimitFromAnInconsistentPhaseToo) {
  // a 1 needs b 2, which does not run: the start breaks a requirement.
  const Problem p = BuildOk(R"([
    {"name": "a", "versions": {"1": {"require": ["b:v >= 2"]},
                               "2": {"require": ["b:v >= 1"]},
                               "3": {"require": ["b:v >= 3"]}}},
    {"name": "b", "versions": {"1": {"provide": {"b:v": 1}},
                               "3": {"provide": {"b:v": 3}}}}])",
                            {{"a", "1"}, {"b", "1"}});
  auto plan = PlanUpgrade(p, TargetOf(p), PlanLimits{1});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, "limit");
  EXPECT_THAT(plan.error().message, HasSubstr("phases kept"));
}

}  // namespace
}  // namespace maiev::solver
