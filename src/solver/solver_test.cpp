// Solve and PlanUpgrade against hand-made catalogs, the fixture catalogs and thousands of seeded
// random small catalogs, checked by an independent brute force (below): it reads the parsed
// catalog directly, orders versions itself and evaluates every requirement on whole phases.
#include "solver/solver.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "rules/expression.hpp"
#include "solver/catalog.hpp"
#include "solver/planner.hpp"
#include "solver/problem.hpp"
#include "solver/route_search.hpp"
#include "versions/version.hpp"

namespace maiev::solver {
namespace {

using ::testing::HasSubstr;

// ------------------------------------------------------------------------------------------
// Brute force: enumerate every phase of candidate versions.

class NameBinder : public rules::Binder {
 public:
  explicit NameBinder(std::map<std::string, uint32_t>& slots) : slots_(slots) {}
  Result<rules::Binding, std::string> Bind(const rules::Reference& ref) override {
    auto [it, inserted] = slots_.emplace(ref.Text(), static_cast<uint32_t>(slots_.size()));
    return rules::Binding{it->second, rules::SlotType::kValue};
  }

 private:
  std::map<std::string, uint32_t>& slots_;
};

struct BruteVersion {
  std::string text;
  std::vector<std::pair<uint32_t, rules::Value>> provide;
  std::vector<int> require;  // expression ids
};

class BruteForce {
 public:
  BruteForce(const Catalog& catalog, const std::map<std::string, std::string>& running,
             const std::vector<std::string>& constraints) {
    for (const auto& service : catalog.services) {
      std::vector<const CatalogVersion*> sorted;
      for (const auto& v : service.versions) sorted.push_back(&v);
      std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
        return *versions::Version::Parse(a->version) > *versions::Version::Parse(b->version);
      });
      std::vector<BruteVersion> versions;
      std::vector<int> candidates;
      int running_rank = -1;
      auto it = running.find(service.name);
      for (std::size_t r = 0; r < sorted.size(); ++r) {
        if (it != running.end() && sorted[r]->version == it->second) running_rank = r;
      }
      for (std::size_t r = 0; r < sorted.size(); ++r) {
        BruteVersion bv{sorted[r]->version, {}, {}};
        for (const auto& [name, value] : sorted[r]->provide) {
          bv.provide.emplace_back(Slot(name), value);
        }
        for (const auto& text : sorted[r]->require) bv.require.push_back(Compile(text));
        versions.push_back(std::move(bv));
        const int rank = static_cast<int>(r);
        const bool newer_or_running = running_rank < 0 || rank <= running_rank;
        if ((sorted[r]->available && newer_or_running) || rank == running_rank) {
          candidates.push_back(rank);
        }
      }
      versions_.push_back(std::move(versions));
      candidates_.push_back(std::move(candidates));
      running_.push_back(running_rank);
    }
    for (const auto& text : constraints) extra_.push_back(Compile(text));
  }

  // A phase: rank per service, -1 = not deployed.
  bool Consistent(const std::vector<int>& phase, bool with_extra) const {
    std::vector<std::vector<rules::Value>> slots(slots_.size());
    for (std::size_t s = 0; s < phase.size(); ++s) {
      if (phase[s] < 0) continue;
      for (const auto& [slot, value] : versions_[s][phase[s]].provide) {
        if (referenced_.count(slot)) slots[slot].push_back(value);  // skip what nothing reads
      }
    }
    for (std::size_t s = 0; s < phase.size(); ++s) {
      if (phase[s] < 0) continue;
      for (int e : versions_[s][phase[s]].require) {
        if (!expressions_[e].EvaluateAny(slots)) return false;
      }
    }
    if (with_extra) {
      for (int e : extra_) {
        if (!expressions_[e].EvaluateAny(slots)) return false;
      }
    }
    return true;
  }

  // The least (total rank, rank vector) consistent phase.
  std::optional<std::vector<int>> Solve() const {
    std::optional<std::vector<int>> best;
    int best_total = 0;
    std::vector<std::size_t> index(candidates_.size(), 0);
    for (const auto& c : candidates_) {
      if (c.empty()) return std::nullopt;
    }
    std::vector<int> phase(candidates_.size());
    while (true) {
      int total = 0;
      for (std::size_t s = 0; s < phase.size(); ++s) {
        phase[s] = candidates_[s][index[s]];
        total += phase[s];
      }
      if (Consistent(phase, true) &&
          (!best || total < best_total || (total == best_total && phase < *best))) {
        best = phase;
        best_total = total;
      }
      std::size_t s = 0;
      for (; s < index.size(); ++s) {
        if (++index[s] < candidates_[s].size()) break;
        index[s] = 0;
      }
      if (s == index.size()) break;
    }
    return best;
  }

  // Fewest steps from the running phase to `target`, or nullopt. Steps move one service to a
  // candidate version newer than its current one and not newer than its target.
  std::optional<int> ShortestPlan(const std::vector<int>& target) const {
    std::map<std::vector<int>, int> distance;
    std::set<std::vector<int>> inconsistent;  // each phase is evaluated once
    std::deque<std::vector<int>> queue{running_};
    distance[running_] = 0;
    while (!queue.empty()) {
      const std::vector<int> phase = queue.front();
      queue.pop_front();
      if (phase == target) return distance[phase];
      for (std::size_t s = 0; s < phase.size(); ++s) {
        for (int r : candidates_[s]) {
          if (r < target[s] || (phase[s] >= 0 && r >= phase[s])) continue;
          std::vector<int> next = phase;
          next[s] = r;
          if (distance.count(next) || inconsistent.count(next)) continue;
          if (!Consistent(next, false)) {
            inconsistent.insert(next);
            continue;
          }
          distance[next] = distance[phase] + 1;
          queue.push_back(next);
        }
      }
    }
    return std::nullopt;
  }

  // Whether `plan` leads from the running phase to `target` by valid steps.
  ::testing::AssertionResult ValidPlan(const std::vector<Step>& plan,
                                       const std::vector<int>& target) const {
    std::vector<int> phase = running_;
    for (const Step& step : plan) {
      if (phase[step.service] != step.from) return ::testing::AssertionFailure() << "bad from";
      if (step.to < target[step.service] || (step.from >= 0 && step.to >= step.from)) {
        return ::testing::AssertionFailure() << "downgrade or past target";
      }
      if (std::find(candidates_[step.service].begin(), candidates_[step.service].end(), step.to) ==
          candidates_[step.service].end()) {
        return ::testing::AssertionFailure() << "not a candidate";
      }
      phase[step.service] = step.to;
      if (!Consistent(phase, false)) return ::testing::AssertionFailure() << "inconsistent";
    }
    if (phase != target) return ::testing::AssertionFailure() << "does not reach the target";
    return ::testing::AssertionSuccess();
  }

  bool has_running() const {
    return std::any_of(running_.begin(), running_.end(), [](int r) { return r >= 0; });
  }

 private:
  uint32_t Slot(const std::string& name) {
    return slots_.emplace(name, static_cast<uint32_t>(slots_.size())).first->second;
  }
  int Compile(const std::string& text) {
    NameBinder binder(slots_);
    auto e = rules::Expression::Compile(text, binder);
    EXPECT_TRUE(e.ok()) << text;
    const auto refs = rules::Expression::References(text);
    if (refs.ok()) {
      for (const auto& ref : refs.value()) referenced_.insert(slots_[ref.Text()]);
    }
    expressions_.push_back(std::move(e).value());
    return static_cast<int>(expressions_.size()) - 1;
  }

  std::map<std::string, uint32_t> slots_;
  std::set<uint32_t> referenced_;  // slots some expression reads
  std::vector<rules::Expression> expressions_;
  std::vector<std::vector<BruteVersion>> versions_;
  std::vector<std::vector<int>> candidates_;
  std::vector<int> running_;
  std::vector<int> extra_;
};

// ------------------------------------------------------------------------------------------
// Shorthands for building cases.

struct Case {
  Catalog catalog;
  ProblemOptions options;
};

Case Make(std::string_view json, std::map<std::string, std::string> running = {},
          std::vector<std::string> constraints = {}) {
  auto catalog = ParseCatalog(json);
  EXPECT_TRUE(catalog.ok()) << (catalog.ok() ? "" : catalog.error().message);
  Case c{catalog.ok() ? *catalog : Catalog{}, {}};
  c.options.running = std::move(running);
  c.options.constraints = std::move(constraints);
  return c;
}

Problem BuildOk(const Case& c) {
  auto problem = Problem::Build(c.catalog, c.options);
  EXPECT_TRUE(problem.ok()) << (problem.ok() ? "" : problem.error().message);
  return std::move(problem).value();
}

// The target as service → version.
std::map<std::string, std::string> Target(const Problem& p, const Solution& s) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < p.service_count(); ++i)
    out[p.service(i).name] = p.service(i).versions[s.ranks[i]];
  return out;
}

std::string ReasonsOf(const Failure& f) {
  std::string out = f.message;
  for (const auto& r : f.reasons) out += "\n" + r;
  return out;
}

// A planner's answer against the brute force: a plan exactly when one exists, and then a valid
// one of the least length; else the failure "no_plan".
::testing::AssertionResult PlanMatchesBruteForce(const Result<std::vector<Step>, Failure>& plan,
                                                 const BruteForce& brute,
                                                 const std::vector<int>& target) {
  const auto shortest = brute.ShortestPlan(target);
  if (plan.ok() != shortest.has_value()) {
    return ::testing::AssertionFailure()
           << (plan.ok() ? "a plan where the brute force finds none" : ReasonsOf(plan.error()));
  }
  if (!plan.ok()) {
    if (plan.error().code == "no_plan") return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "failure code " << plan.error().code;
  }
  if (static_cast<int>(plan->size()) != *shortest) {
    return ::testing::AssertionFailure()
           << "plan of " << plan->size() << " steps, the shortest has " << *shortest;
  }
  return brute.ValidPlan(*plan, target);
}

// a: 3.0 needs b >= 2; b: 2.0 needs c:api == 2; c: newest 3.0 provides api 3.
constexpr std::string_view kChain = R"([
  {"name": "a", "versions": {
    "1.0": {"provide": {"a:api": 1}, "require": []},
    "2.0": {"provide": {"a:api": 2}, "require": ["b:api >= 1"]},
    "3.0": {"provide": {"a:api": 3}, "require": ["b:api >= 2"]}}},
  {"name": "b", "versions": {
    "1.0": {"provide": {"b:api": 1}, "require": []},
    "2.0": {"provide": {"b:api": 2}, "require": ["c:api == 2"]}}},
  {"name": "c", "versions": {
    "2.0": {"provide": {"c:api": 2}, "require": []},
    "3.0": {"provide": {"c:api": 3}, "require": []}}}
])";

// ------------------------------------------------------------------------------------------
// Hand-made catalogs.

TEST(Solve, PicksTheConsistentPhaseOfLeastTotalRank) {
  const Problem p = BuildOk(Make(kChain));
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok()) << ReasonsOf(solution.error());
  // a 3.0 + b 2.0 + c 2.0 costs 1; a 2.0 + b 1.0 + c 3.0 costs 2.
  EXPECT_EQ(Target(p, *solution),
            (std::map<std::string, std::string>{{"a", "3.0"}, {"b", "2.0"}, {"c", "2.0"}}));
  EXPECT_EQ(solution->total_rank, 1);
}

TEST(Solve, BreaksTiesTowardsNewerVersionsOfEarlierServices) {
  // Either x or y must step back one version; x is listed first, so y steps back.
  const Problem p = BuildOk(Make(R"([
    {"name": "x", "versions": {"1": {"provide": {"x:v": 1}}, "2": {"provide": {"x:v": 2},
                               "require": ["y:v < 2"]}}},
    {"name": "y", "versions": {"1": {"provide": {"y:v": 1}}, "2": {"provide": {"y:v": 2},
                               "require": ["x:v < 2"]}}}])"));
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  EXPECT_EQ(Target(p, *solution), (std::map<std::string, std::string>{{"x", "2"}, {"y", "1"}}));
}

TEST(Solve, NeverDowngradesAndAlwaysAllowsTheRunningVersion) {
  // c runs 3.0: c 2.0 is older, so b 2.0 (needs c:api == 2) is out; a 3.0 needs b 2.0.
  const Problem p = BuildOk(Make(kChain, {{"c", "3.0"}}));
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  EXPECT_EQ(Target(p, *solution),
            (std::map<std::string, std::string>{{"a", "2.0"}, {"b", "1.0"}, {"c", "3.0"}}));
  EXPECT_EQ(solution->total_rank, 2);
}

TEST(Solve, SkipsUnavailableVersionsButKeepsAnUnavailableRunningOne) {
  const Problem p = BuildOk(Make(R"({"catalog": [
    {"name": "a", "version": "1.0", "versions_list": [
      {"version": "1.0", "available": false}, {"version": "2.0", "available": false}]},
    {"name": "b", "version": "1.0", "versions_list": [
      {"version": "1.0"}, {"version": "1.1", "available": false}]}]})",
                                 {{"a", "1.0"}, {"b", "1.0"}}));
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  EXPECT_EQ(Target(p, *solution), (std::map<std::string, std::string>{{"a", "1.0"}, {"b", "1.0"}}));
  EXPECT_EQ(solution->total_rank, 2);  // ranks count every version of the catalog
}

TEST(Solve, ReadsAMissingCapabilityAsNull) {
  // `not` of a null capability holds; a comparison with it does not.
  const Problem p = BuildOk(Make(R"([
    {"name": "a", "versions": {"1": {}, "2": {"require": ["ghost:api > 0"]},
                               "3": {"require": ["ghost:api <= 0"]}}},
    {"name": "b", "versions": {"1": {"require": ["not ghost:api"]}}}])"));
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  EXPECT_EQ(Target(p, *solution), (std::map<std::string, std::string>{{"a", "1"}, {"b", "1"}}));
}

TEST(Solve, AcceptsACapabilityWhenOneOfSeveralProvidersMeetsTheComparison) {
  // shared:level is provided by p and q; c 2 needs it >= 5, which only q 2 provides.
  const Problem p = BuildOk(Make(R"([
    {"name": "c", "versions": {"1": {}, "2": {"require": ["shared:level >= 5"]}}},
    {"name": "p", "versions": {"1": {"provide": {"shared:level": 1}}}},
    {"name": "q", "versions": {"1": {"provide": {"shared:level": 2}},
                               "2": {"provide": {"shared:level": 7}}}}])"));
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  EXPECT_EQ(Target(p, *solution),
            (std::map<std::string, std::string>{{"c", "2"}, {"p", "1"}, {"q", "2"}}));
}

TEST(Solve, HonoursExtraConstraintsOnTheTarget) {
  const Problem p = BuildOk(Make(kChain, {}, {"c:api == 3"}));
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  EXPECT_EQ(Target(p, *solution).at("c"), "3.0");
  EXPECT_EQ(Target(p, *solution).at("a"), "2.0");
}

TEST(Solve, HonoursAnExtraConstraintOverSeveralServices) {
  const Problem p = BuildOk(Make(kChain, {}, {"a:api < 3 or c:api > 2"}));
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  // a 2.0 + b 2.0 + c 2.0 and a 2.0 + b 1.0 + c 3.0 both cost 2: b, listed first, stays newest.
  EXPECT_EQ(Target(p, *solution),
            (std::map<std::string, std::string>{{"a", "2.0"}, {"b", "2.0"}, {"c", "2.0"}}));
  EXPECT_EQ(solution->total_rank, 2);
}

TEST(Solve, ExplainsWhichRequirementOfWhichVersionCannotBeMet) {
  // Every version of front needs back:http, which back never provides at a candidate version.
  const Problem p = BuildOk(Make(R"([
    {"name": "front", "versions": {"1.0": {"require": ["back:http > 0"]},
                                   "1.1": {"require": ["back:http > 1"]}}},
    {"name": "back", "versions": {"0.9": {"provide": {"back:http": 1}}, "1.0": {}}}])",
                                 {{"back", "1.0"}}));
  auto solution = Solve(p);
  ASSERT_FALSE(solution.ok());
  const Failure& f = solution.error();
  EXPECT_EQ(f.code, "no_solution");
  EXPECT_THAT(f.message, HasSubstr("every candidate version of front is ruled out"));
  ASSERT_EQ(f.reasons.size(), 2U) << ReasonsOf(f);
  // back 0.9 provides back:http but is older than the running 1.0.
  EXPECT_EQ(f.reasons[0],
            "front 1.1: requires `back:http > 1`, but no candidate version provides `back:http`");
  EXPECT_THAT(f.reasons[1], HasSubstr("front 1.0: requires `back:http > 0`, but no candidate"));
}

TEST(Solve, ExplainsARequirementNoCandidateOfTheOtherServiceMeets) {
  const Problem p = BuildOk(Make(R"([
    {"name": "front", "versions": {"1.0": {"require": ["back:http > 1"]}}},
    {"name": "back", "versions": {"0.9": {"provide": {"back:http": 2}},
                                  "1.0": {"provide": {"back:http": 1}}}}])",
                                 {{"back", "1.0"}}));
  auto solution = Solve(p);
  ASSERT_FALSE(solution.ok());
  ASSERT_EQ(solution.error().reasons.size(), 1U);
  EXPECT_EQ(solution.error().reasons[0],
            "front 1.0: requires `back:http > 1`, which no candidate version of back meets "
            "(candidates: 1.0)");
}

TEST(Solve, ExplainsAChainOfRuledOutVersions) {
  // a needs b 2 (the only one with b:x), b 2 needs c:y which nothing provides.
  const Problem p = BuildOk(Make(R"([
    {"name": "a", "versions": {"1": {"require": ["b:x"]}}},
    {"name": "b", "versions": {"1": {}, "2": {"provide": {"b:x": 1}, "require": ["c:y"]}}},
    {"name": "c", "versions": {"1": {}}}])"));
  auto solution = Solve(p);
  ASSERT_FALSE(solution.ok());
  const std::string text = ReasonsOf(solution.error());
  EXPECT_THAT(text, HasSubstr("a 1: requires `b:x`, met only by b 2, which are ruled out"));
  EXPECT_THAT(text, HasSubstr("b 2: requires `c:y`, but no candidate version provides `c:y`"));
}

TEST(Solve, ExplainsAnExtraConstraintThatCanNeverHold) {
  const Problem p = BuildOk(Make(kChain, {}, {"nobody:provides > 1"}));
  auto solution = Solve(p);
  ASSERT_FALSE(solution.ok());
  EXPECT_THAT(solution.error().message, HasSubstr("constraint `nobody:provides > 1` can never"));
  EXPECT_THAT(ReasonsOf(solution.error()), HasSubstr("no candidate version provides"));
}

TEST(Solve, ProvesByTheSearchThatPairwiseCompatibleVersionsConflict) {
  // Three services that must pairwise differ, with two versions each: each pair alone is fine.
  const Problem p = BuildOk(Make(R"([
    {"name": "a", "versions": {"1": {"provide": {"a:v": 1}, "require": ["a:v != b:v"]},
                               "2": {"provide": {"a:v": 2}, "require": ["a:v != b:v"]}}},
    {"name": "b", "versions": {"1": {"provide": {"b:v": 1}, "require": ["b:v != c:v"]},
                               "2": {"provide": {"b:v": 2}, "require": ["b:v != c:v"]}}},
    {"name": "c", "versions": {"1": {"provide": {"c:v": 1}, "require": ["c:v != a:v"]},
                               "2": {"provide": {"c:v": 2}, "require": ["c:v != a:v"]}}}])"));
  auto solution = Solve(p);
  ASSERT_FALSE(solution.ok());
  EXPECT_EQ(solution.error().code, "no_solution");
  EXPECT_THAT(solution.error().message, HasSubstr("conflict with each other"));
  EXPECT_FALSE(solution.error().reasons.empty());
}

TEST(Solve, GivesUpAtTheNodeLimitInsteadOfGuessing) {
  const Problem p = BuildOk(Make(kChain));
  auto solution = Solve(p, SolveLimits{.max_nodes = 1, .engine = SolveEngine::kBranchAndBound});
  ASSERT_FALSE(solution.ok());
  EXPECT_EQ(solution.error().code, "limit");
}

// ------------------------------------------------------------------------------------------
// The fixture catalogs.

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(MAIEV_FIXTURES_DIR) + "/catalogs/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void CheckAgainstBruteForce(const Case& c, bool expect_plan_checked) {
  const Problem p = BuildOk(c);
  const BruteForce brute(c.catalog, c.options.running, c.options.constraints);
  auto expected = brute.Solve();
  auto solution = Solve(p);
  ASSERT_EQ(solution.ok(), expected.has_value())
      << (solution.ok() ? "" : ReasonsOf(solution.error()));
  if (!expected) return;
  EXPECT_EQ(solution->ranks, *expected);
  EXPECT_EQ(solution->total_rank, p.TotalRank(*expected));
  if (!brute.has_running()) return;
  auto plan = PlanUpgrade(p, solution->ranks);
  auto shortest = brute.ShortestPlan(solution->ranks);
  ASSERT_EQ(plan.ok(), shortest.has_value()) << (plan.ok() ? "" : ReasonsOf(plan.error()));
  if (!plan.ok()) return;
  EXPECT_EQ(static_cast<int>(plan->size()), *shortest);
  EXPECT_TRUE(brute.ValidPlan(*plan, solution->ranks));
  if (expect_plan_checked) {
    EXPECT_FALSE(plan->empty());
  }
}

TEST(SolveFixtures, SolverSample1MatchesBruteForce) {
  Case c = Make(ReadFixture("solver-sample1.json"));
  CheckAgainstBruteForce(c, false);
  const Problem p = BuildOk(c);
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  // Nothing blocks the newest versions in this sample.
  EXPECT_EQ(solution->total_rank, 0);
  EXPECT_EQ(Target(p, *solution).at("yupeeposting-backend"), "0.2.62");
}

TEST(SolveFixtures, PlannerSample1MatchesBruteForceFromTheRecordedRunningPhase) {
  Case c = Make(ReadFixture("planner-sample1.json"));
  c.options.running = c.catalog.RecordedRunning();
  ASSERT_EQ(c.options.running.size(), 7U);
  CheckAgainstBruteForce(c, true);
  const Problem p = BuildOk(c);
  auto solution = Solve(p);
  ASSERT_TRUE(solution.ok());
  EXPECT_EQ(Target(p, *solution).at("yupeeposting-webui"), "0.2.64");
  EXPECT_EQ(Target(p, *solution).at("maiev"), "1.3.0");
}

TEST(SolveFixtures, PlannerSample1WithAnOldRunningPhaseNeedsOrderedSteps) {
  // http_to_rpc 0.1.24 needs the publishers and the fetcher upgraded first, and the fetcher
  // needs the algolia publisher. (Recent web versions keep the brute force small.)
  Case c = Make(ReadFixture("planner-sample1.json"), {{"yupeeposting-webui", "0.2.56"},
                                                      {"yupeeposting-backend", "0.2.57"},
                                                      {"joboffer_fetcher", "0.1.19"},
                                                      {"joboffer_algolia_publisher", "0.1.19"},
                                                      {"joboffer_xml_publisher", "0.1.19"},
                                                      {"http_to_rpc", "0.1.19"},
                                                      {"maiev", "1.1.0"}});
  CheckAgainstBruteForce(c, true);
}

// ------------------------------------------------------------------------------------------
// Property tests: seeded random small catalogs against the brute force.

std::string RandomCatalog(std::mt19937& rng, std::map<std::string, std::string>& running,
                          std::vector<std::string>& constraints) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int n = pick(1, 6);
  std::vector<int> counts(n);
  for (int& m : counts) m = pick(1, 4);
  const std::vector<std::string> features = {"f1", "f2", "f3"};
  auto name = [](int s) { return "s" + std::to_string(s); };
  auto random_requirement = [&](int self) -> std::string {
    int other = pick(0, n - 1);
    if (other == self && n > 1) other = (other + 1) % n;
    const std::string o = name(other);
    switch (pick(0, 8)) {
      case 0:
        return o + ":api >= " + std::to_string(pick(0, 4));
      case 1:
        return o + ":api < " + std::to_string(pick(1, 4));
      case 2:
        return "\"" + features[pick(0, 2)] + "\" in " + o + ":feat";
      case 3:
        return o + ":api";
      case 4:
        return "not " + o + ":api == " + std::to_string(pick(0, 3));
      case 5:
        return "shared:level >= " + std::to_string(pick(1, 4));
      case 6:
        return o + ":api > 1 or " + name(pick(0, n - 1)) + ":api < 2";
      case 7:
        return o + ":api == " + name(pick(0, n - 1)) + ":api";
      default:
        return "ghost:api > 0";
    }
  };
  std::ostringstream out;
  out << "{\"catalog\": [";
  const bool with_running = pick(0, 1) == 1;
  for (int s = 0; s < n; ++s) {
    out << (s ? "," : "") << "{\"name\": \"" << name(s) << "\", \"versions_list\": [";
    for (int v = 0; v < counts[s]; ++v) {
      out << (v ? "," : "") << "{\"version\": \"" << v + 1
          << ".0\", \"available\": " << (pick(0, 9) == 0 ? "false" : "true")
          << ", \"dependencies\": {\"provide\": {";
      bool first = true;
      if (pick(0, 5) != 0) {
        out << "\"" << name(s) << ":api\": " << pick(0, 4);
        first = false;
      }
      if (pick(0, 1) == 0) {
        out << (first ? "" : ",") << "\"" << name(s) << ":feat\": [\"" << features[pick(0, 2)]
            << "\"]";
        first = false;
      }
      if (pick(0, 3) == 0) out << (first ? "" : ",") << "\"shared:level\": " << pick(0, 4);
      out << "}, \"require\": [";
      const int requirements = pick(0, 2);
      for (int q = 0; q < requirements; ++q) {
        out << (q ? "," : "") << nlohmann::json(random_requirement(s)).dump();
      }
      out << "]}}";
    }
    out << "]}";
    if (with_running && pick(0, 4) != 0)
      running[name(s)] = std::to_string(pick(1, counts[s])) + ".0";
  }
  out << "]}";
  if (pick(0, 5) == 0) constraints.push_back(random_requirement(-1));
  return out.str();
}

constexpr SolveLimits kSatOnly{.engine = SolveEngine::kSat};

constexpr int kPropertyCases = 3000;
constexpr unsigned kPropertySeed = 20240601;

TEST(SolveProperty, MatchesBruteForceOnThousandsOfRandomCatalogs) {
  std::mt19937 rng(kPropertySeed);
  int solved = 0, unsolvable = 0, planned = 0, unplannable = 0;
  for (int i = 0; i < kPropertyCases; ++i) {
    std::map<std::string, std::string> running;
    std::vector<std::string> constraints;
    const std::string json = RandomCatalog(rng, running, constraints);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + json);
    Case c = Make(json, running, constraints);
    const Problem p = BuildOk(c);
    const BruteForce brute(c.catalog, running, constraints);
    const auto expected = brute.Solve();
    const auto solution = Solve(p);
    ASSERT_EQ(solution.ok(), expected.has_value())
        << (solution.ok() ? "" : ReasonsOf(solution.error()));
    if (!expected) {
      ++unsolvable;
      EXPECT_EQ(solution.error().code, "no_solution");
      EXPECT_FALSE(solution.error().reasons.empty());
      const auto by_sat = Solve(p, kSatOnly);
      ASSERT_FALSE(by_sat.ok());
      EXPECT_EQ(by_sat.error().code, "no_solution");
      EXPECT_FALSE(by_sat.error().reasons.empty());
      continue;
    }
    ++solved;
    ASSERT_EQ(solution->ranks, *expected);
    ASSERT_TRUE(p.Consistent(solution->ranks, true));
    ASSERT_EQ(Solve(p, kSatOnly).value().ranks, *expected);
    if (!brute.has_running()) continue;
    const auto plan = PlanUpgrade(p, solution->ranks);
    ASSERT_TRUE(PlanMatchesBruteForce(plan, brute, solution->ranks));
    if (!plan.ok()) {
      ++unplannable;
      continue;
    }
    ++planned;
  }
  // The generator must exercise every outcome, or the comparison proves little.
  EXPECT_GT(solved, kPropertyCases / 4);
  EXPECT_GT(unsolvable, kPropertyCases / 20);
  EXPECT_GT(planned, kPropertyCases / 10);
  EXPECT_GT(unplannable, 0);
}

// Layered catalogs like the benchmark's, small enough for the brute force: requirements point to
// services listed earlier, api levels rise with the version, and upper bounds (breaking changes)
// and `or` over two services make direct moves form cycles that intermediate versions break —
// the cases where the planner's conflicts and projections do the work.
std::string RandomLayeredCatalog(std::mt19937& rng, std::map<std::string, std::string>& running,
                                 int max_services = 6) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int n = pick(3, max_services);
  auto name = [](int s) { return "s" + std::to_string(s); };
  nlohmann::json catalog = nlohmann::json::array();
  for (int s = 0; s < n; ++s) {
    const int m = pick(2, 4);
    std::vector<int> deps;
    for (int d = 0; d < s; ++d) {
      if (pick(0, 2) != 0) deps.push_back(d);
    }
    nlohmann::json versions = nlohmann::json::object();
    for (int k = 0; k < m; ++k) {
      nlohmann::json require = nlohmann::json::array();
      for (int q = deps.empty() ? 0 : pick(0, 2); q > 0; --q) {
        const std::string d = name(deps[pick(0, static_cast<int>(deps.size()) - 1)]);
        const int level = std::max(0, k - pick(0, 1));
        switch (pick(0, 5)) {
          case 0:
            require.push_back(d + ":api < " + std::to_string(k + pick(1, 2)));
            break;
          case 1:
            require.push_back(d + ":api >= " + std::to_string(level) + " or " + name(deps[0]) +
                              ":api >= " + std::to_string(level + 1));
            break;
          default:
            require.push_back(d + ":api >= " + std::to_string(level));
        }
      }
      versions[std::to_string(k + 1) + ".0"] = {{"provide", {{name(s) + ":api", k}}},
                                                {"require", require}};
    }
    catalog.push_back({{"name", name(s)}, {"versions", versions}});
    running[name(s)] = std::to_string(pick(1, (m + 1) / 2)) + ".0";
  }
  return catalog.dump();
}

// Catalogs of the benchmark's "ceilings" kind, small enough for the brute force: requirements
// are mostly upper bounds on the api levels of services listed earlier, near the level the
// version was built against, so the newest versions often exclude each other and the optimum
// trades ranks between services along chains of bounds.
std::string RandomCeilingsCatalog(std::mt19937& rng, std::map<std::string, std::string>& running) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int n = pick(2, 6);
  const bool coarse = pick(0, 1) == 0;  // two versions per api level, or one
  auto name = [](int s) { return "s" + std::to_string(s); };
  nlohmann::json catalog = nlohmann::json::array();
  const bool with_running = pick(0, 1) == 0;
  for (int s = 0; s < n; ++s) {
    const int m = pick(2, 5);
    std::vector<int> deps;
    for (int d = 0; d < s; ++d) {
      if (pick(0, 2) != 0) deps.push_back(d);
    }
    nlohmann::json versions = nlohmann::json::object();
    for (int k = 0; k < m; ++k) {
      const int level = coarse ? k / 2 : k;
      nlohmann::json require = nlohmann::json::array();
      for (int q = deps.empty() ? 0 : pick(1, 3); q > 0; --q) {
        const std::string d = name(deps[pick(0, static_cast<int>(deps.size()) - 1)]);
        const int bound = std::max(0, level + pick(-2, 2));
        require.push_back(d + (pick(0, 9) < 7 ? ":api <= " : ":api >= ") + std::to_string(bound));
      }
      versions[std::to_string(k + 1) + ".0"] = {{"provide", {{name(s) + ":api", level}}},
                                                {"require", require}};
    }
    catalog.push_back({{"name", name(s)}, {"versions", versions}});
    if (with_running) running[name(s)] = std::to_string(pick(1, m)) + ".0";
  }
  return catalog.dump();
}

constexpr int kCeilingsCases = 2000;

// Both exact methods, and the branch and bound handing over to the SAT search after a few
// nodes, against the brute force; plans too when there is a running phase.
TEST(SolveProperty, EveryEngineMatchesBruteForceOnCeilingsCatalogs) {
  std::mt19937 rng(kPropertySeed + 3);
  int solved = 0, unsolvable = 0, far_from_newest = 0, handed_over = 0, planned = 0;
  const SolveLimits branch_and_bound{.max_nodes = 1'000'000,
                                     .engine = SolveEngine::kBranchAndBound};
  const SolveLimits hand_over{.max_nodes = 1};
  for (int i = 0; i < kCeilingsCases; ++i) {
    std::map<std::string, std::string> running;
    const std::string json = RandomCeilingsCatalog(rng, running);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + json);
    Case c = Make(json, running);
    const Problem p = BuildOk(c);
    const BruteForce brute(c.catalog, running, {});
    const auto expected = brute.Solve();
    const std::vector<SolveLimits> engines = {branch_and_bound, kSatOnly, hand_over, {}};
    for (std::size_t e = 0; e < engines.size(); ++e) {
      const auto solution = Solve(p, engines[e]);
      ASSERT_EQ(solution.ok(), expected.has_value())
          << (solution.ok() ? "" : ReasonsOf(solution.error()));
      if (!expected) {
        EXPECT_EQ(solution.error().code, "no_solution");
        EXPECT_FALSE(solution.error().reasons.empty());
        continue;
      }
      ASSERT_EQ(solution->ranks, *expected);
      if (e == 2 && solution->sat_calls > 0) ++handed_over;
    }
    if (!expected) {
      ++unsolvable;
      continue;
    }
    ++solved;
    int total = 0;
    for (int r : *expected) total += r;
    far_from_newest += total >= 2 ? 1 : 0;
    if (!brute.has_running()) continue;
    const auto plan = PlanUpgrade(p, *expected);
    ASSERT_TRUE(PlanMatchesBruteForce(plan, brute, *expected));
    planned += plan.ok() ? 1 : 0;
  }
  EXPECT_GT(solved, kCeilingsCases / 2);
  EXPECT_GT(unsolvable, kCeilingsCases / 50);
  EXPECT_GT(far_from_newest, kCeilingsCases / 5);
  EXPECT_GT(handed_over, kCeilingsCases / 10);
  EXPECT_GT(planned, kCeilingsCases / 20);
}

constexpr int kLayeredCases = 1500;

TEST(SolveProperty, PlansMatchBruteForceOnLayeredCatalogsWithBreakingChanges) {
  std::mt19937 rng(kPropertySeed + 1);
  int consistent = 0, planned = 0, with_intermediates = 0, unplannable = 0;
  PlanStats stats;
  for (int i = 0; i < kLayeredCases; ++i) {
    std::map<std::string, std::string> running;
    const std::string json = RandomLayeredCatalog(rng, running);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + json);
    Case c = Make(json, running);
    const Problem p = BuildOk(c);
    std::vector<int> start;
    for (const auto& service : p.services()) start.push_back(service.running);
    consistent += p.Consistent(start, false) ? 1 : 0;
    const BruteForce brute(c.catalog, running, {});
    const auto solution = Solve(p);
    ASSERT_EQ(solution.ok(), brute.Solve().has_value());
    if (!solution.ok()) continue;
    const auto plan = PlanUpgrade(p, solution->ranks, {}, stats);
    ASSERT_TRUE(PlanMatchesBruteForce(plan, brute, solution->ranks));
    if (!plan.ok()) {
      ++unplannable;
      continue;
    }
    ++planned;
    int moving = 0;
    for (std::size_t s = 0; s < start.size(); ++s) moving += start[s] != solution->ranks[s];
    with_intermediates += static_cast<int>(plan->size()) > moving ? 1 : 0;
  }
  EXPECT_GT(consistent, kLayeredCases / 4);
  EXPECT_GT(planned, kLayeredCases / 4);
  EXPECT_GT(with_intermediates, kLayeredCases / 50);
  EXPECT_GT(unplannable, kLayeredCases / 50);
  // Some patterns are planned by the route search over the pattern, some needing more moves
  // than their parts' bounds.
  EXPECT_GT(stats.routes.by_routes, 0);
  EXPECT_GT(stats.routes.deepenings, 0);
}

// Catalogs where neighbouring versions often behave alike: two versions per api level, and a
// version often keeps the requirements of the one before it (or loosens one bound), so the
// planner drops dominated intermediate versions. Requirements point to services listed earlier.
std::string RandomAlikeCatalog(std::mt19937& rng, std::map<std::string, std::string>& running) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int n = pick(2, 5);
  auto name = [](int s) { return "s" + std::to_string(s); };
  nlohmann::json catalog = nlohmann::json::array();
  for (int s = 0; s < n; ++s) {
    const int m = pick(3, 6);
    nlohmann::json versions = nlohmann::json::object();
    nlohmann::json require = nlohmann::json::array();
    for (int k = 0; k < m; ++k) {
      if (s > 0 && (k == 0 || pick(0, 1) == 0)) {
        require = nlohmann::json::array();
        for (int q = pick(0, 2); q > 0; --q) {
          const std::string d = name(pick(0, s - 1));
          const int level = std::max(0, k / 2 - pick(0, 1));
          switch (pick(0, 4)) {
            case 0:
              require.push_back(d + ":api < " + std::to_string(k / 2 + pick(1, 2)));
              break;
            case 1:
              require.push_back(d + ":api >= " + std::to_string(level) + " or " +
                                name(pick(0, s - 1)) + ":api >= " + std::to_string(level + 1));
              break;
            default:
              require.push_back(d + ":api >= " + std::to_string(level));
          }
        }
      }
      versions[std::to_string(k + 1) + ".0"] = {{"provide", {{name(s) + ":api", k / 2}}},
                                                {"require", require}};
    }
    catalog.push_back({{"name", name(s)}, {"versions", versions}});
    running[name(s)] = std::to_string(pick(1, (m + 1) / 2)) + ".0";
  }
  return catalog.dump();
}

constexpr int kAlikeCases = 1500;

// Dropping a version dominated by its neighbour keeps every shortest plan's length and every
// proof that no plan exists: against the brute force, on catalogs where it drops many.
TEST(SolveProperty, PlansMatchBruteForceWhenDominatedVersionsAreDropped) {
  std::mt19937 rng(kPropertySeed + 4);
  int planned = 0, unplannable = 0, with_intermediates = 0;
  PlanStats stats;
  for (int i = 0; i < kAlikeCases; ++i) {
    std::map<std::string, std::string> running;
    const std::string json = RandomAlikeCatalog(rng, running);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + json);
    Case c = Make(json, running);
    const Problem p = BuildOk(c);
    const BruteForce brute(c.catalog, running, {});
    const auto solution = Solve(p);
    ASSERT_EQ(solution.ok(), brute.Solve().has_value());
    if (!solution.ok()) continue;
    const auto plan = PlanUpgrade(p, solution->ranks, {}, stats);
    ASSERT_TRUE(PlanMatchesBruteForce(plan, brute, solution->ranks));
    if (!plan.ok()) {
      ++unplannable;
      continue;
    }
    ++planned;
    int moving = 0;
    for (int s = 0; s < p.service_count(); ++s) {
      moving += p.service(s).running != solution->ranks[s] ? 1 : 0;
    }
    with_intermediates += static_cast<int>(plan->size()) > moving ? 1 : 0;
  }
  EXPECT_GT(planned, kAlikeCases / 4);
  EXPECT_GT(unplannable, kAlikeCases / 100);
  EXPECT_GT(with_intermediates, kAlikeCases / 100);
  EXPECT_GT(stats.dominated, kAlikeCases);
}

// PlanByRoutes alone, from consistent running phases, on small layered catalogs, its projections
// planned by `projection` from a budget of one (the methods taking turns sooner): every plan must
// be shortest and every "no plan" right. Adds the outcomes to `stats`, `planned`, `unplannable`.
constexpr int kRouteCaseServices = 6;  // the brute force stays fast

void ExpectRoutePlannerMatchesBruteForce(unsigned seed, int cases,
                                         RouteInput::Projection projection,
                                         std::uint64_t max_conflicts, RouteStats& stats,
                                         int& planned, int& unplannable) {
  std::mt19937 rng(seed);
  for (int i = 0; i < cases; ++i) {
    std::map<std::string, std::string> running;
    const std::string json = RandomLayeredCatalog(rng, running, kRouteCaseServices);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + json);
    Case c = Make(json, running);
    const Problem p = BuildOk(c);
    RouteInput input;
    for (const auto& service : p.services()) input.phase.push_back(service.running);
    const auto solution = Solve(p);
    if (!solution.ok() || !p.Consistent(input.phase, false)) continue;
    input.max_states = 1'000'000;
    input.max_conflicts = max_conflicts;
    input.first_budget = 1;
    input.projection = projection;
    for (int s = 0; s < p.service_count(); ++s) {
      const int from = input.phase[s], to = solution->ranks[s];
      if (from == to) continue;
      input.group.push_back(s);
      std::vector<int> values{to};
      const int oldest = from == kAbsent ? static_cast<int>(p.service(s).versions.size()) : from;
      for (int r = to + 1; r < oldest; ++r) {
        if (p.service(s).allowed[r]) values.push_back(r);
      }
      values.push_back(from);
      input.may_step.emplace_back(values.size() * values.size(), 1);  // no pairwise filter
      input.values.push_back(std::move(values));
    }
    if (input.group.empty()) continue;
    const RouteOutcome outcome = PlanByRoutes(p, input);
    ASSERT_NE(outcome.kind, RouteOutcome::Kind::kLimit);
    Result<std::vector<Step>, Failure> plan = outcome.steps;
    if (outcome.kind == RouteOutcome::Kind::kNoPlan) {
      plan = Unexpected<Failure>{Failure{"no_plan", "", {}}};
    }
    ASSERT_TRUE(PlanMatchesBruteForce(plan, BruteForce(c.catalog, running, {}), solution->ranks));
    (plan.ok() ? planned : unplannable)++;
    stats.patterns += outcome.stats.patterns;
    stats.by_routes += outcome.stats.by_routes;
    stats.by_phases += outcome.stats.by_phases;
    stats.by_sat += outcome.stats.by_sat;
    stats.deepenings += outcome.stats.deepenings;
    stats.sat_refutations += outcome.stats.sat_refutations;
    stats.backjumps += outcome.stats.backjumps;
  }
}

// The route search and A* plan patterns; the route search also needs more moves than the bounds
// of a pattern's parts, and jumps back over members a failure does not involve.
TEST(SolveProperty, RoutePlannerMatchesBruteForceWhenItsProjectionMethodsTakeTurns) {
  RouteStats stats;
  int planned = 0, unplannable = 0;
  ExpectRoutePlannerMatchesBruteForce(kPropertySeed + 2, kLayeredCases,
                                      RouteInput::Projection::kAllMethods, 0, stats, planned,
                                      unplannable);
  EXPECT_GT(planned, kLayeredCases / 2);
  EXPECT_GT(unplannable, kLayeredCases / 100);
  EXPECT_GT(stats.by_routes, 10);
  EXPECT_GT(stats.by_phases, 0);
  EXPECT_GT(stats.deepenings, 10);
  EXPECT_GT(stats.backjumps, 0U);
}

// With the SAT search taking the first turn (and the route search trying each length it
// refutes).
TEST(SolveProperty, RoutePlannerMatchesBruteForceWhenTheSatSearchTakesTurnsFirst) {
  RouteStats stats;
  int planned = 0, unplannable = 0;
  ExpectRoutePlannerMatchesBruteForce(kPropertySeed + 6, kLayeredCases,
                                      RouteInput::Projection::kSatFirst, 1'000'000, stats, planned,
                                      unplannable);
  EXPECT_GT(planned, kLayeredCases / 2);
  EXPECT_GT(unplannable, kLayeredCases / 100);
  EXPECT_GT(stats.sat_refutations, 0);
  EXPECT_GT(stats.by_routes, 0);
}

// The SAT search alone plans every projection (step_sat.hpp): its plans are shortest, its
// refutations of a length sound, and its proofs that no plan exists right, also for patterns
// that need more moves than their parts' bounds.
TEST(SolveProperty, RoutePlannerMatchesBruteForceWhenTheSatSearchAlonePlansProjections) {
  RouteStats stats;
  int planned = 0, unplannable = 0;
  constexpr int kCases = 3 * kLayeredCases;
  ExpectRoutePlannerMatchesBruteForce(kPropertySeed + 5, kCases, RouteInput::Projection::kSatOnly,
                                      1'000'000, stats, planned, unplannable);
  EXPECT_GT(planned, kCases / 2);
  EXPECT_GT(unplannable, kCases / 100);
  EXPECT_EQ(stats.by_routes + stats.by_phases, 0);
  EXPECT_GT(stats.by_sat, kCases / 30);
  EXPECT_GT(stats.sat_refutations, kCases / 30);
}

}  // namespace
}  // namespace maiev::solver
