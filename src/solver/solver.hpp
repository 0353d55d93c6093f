// The target phase (SPEC §5) and the plan to reach it. Pure: no I/O, no clock.
//
// Solve finds the consistent phase of least total rank among the candidate versions, ties
// broken towards newer versions for services earlier in the catalog (lexicographic order of the
// rank vector). It is exact: a branch and bound with constraint propagation, handing over to a
// core-guided MaxSAT search on a SAT solver when the catalog is hard for it (docs/SOLVER.md).
// PlanUpgrade finds a shortest sequence of single-service upgrades from the running phase to a
// target, every intermediate phase consistent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "solver/problem.hpp"

namespace maiev::solver {

// Why there is no answer. `code`: "no_solution" (no consistent phase), "no_plan" (no path of
// consistent phases), "limit" (the search gave up; the message says which limit).
struct Failure {
  std::string code;
  std::string message;               // one sentence
  std::vector<std::string> reasons;  // short lines: which requirement of which version fails
};

struct Solution {
  std::vector<int> ranks;  // by service
  int total_rank = 0;
  std::uint64_t nodes = 0;      // branch-and-bound nodes visited, for benchmarks
  std::uint64_t sat_calls = 0;  // calls of the SAT solver (0 when the branch and bound sufficed)
};

struct Step {
  int service = 0;
  int from = kAbsent;  // rank; kAbsent when the service is not deployed yet
  int to = 0;          // rank
};

// Which exact method finds the target phase (docs/SOLVER.md, "Method").
enum class SolveEngine {
  kAuto,            // the branch and bound, then the SAT search if it needs more than max_nodes
  kBranchAndBound,  // the branch and bound alone: "limit" after max_nodes
  kSat,             // the core-guided SAT search alone (after the root propagation)
};

struct SolveLimits {
  std::uint64_t max_nodes = 2'000;          // branch-and-bound nodes (see SolveEngine)
  std::uint64_t max_conflicts = 2'000'000;  // conflicts per call of the SAT solver before "limit"
  SolveEngine engine = SolveEngine::kAuto;
};

struct PlanLimits {
  // Work allowed per group of linked services before giving up with "limit": phases kept by
  // an A* search (each holds one rank per service it moves), route assignments checked by the
  // route planner, and for each pattern it plans, partial route assignments checked by each
  // member order of its route search and phases kept by its A* (docs/SOLVER.md).
  std::uint64_t max_states = 20'000;
  // Conflicts of the SAT solver allowed per group, over every projection it plans by
  // bounded-length planning (docs/SOLVER.md, "Planning a projection").
  std::uint64_t max_conflicts = 2'000;
};

Result<Solution, Failure> Solve(const Problem& problem, const SolveLimits& limits = {});

// REQUIRES: target is a consistent phase of `problem` (e.g. from Solve). Without a running
// phase (Problem::has_running() false) the plan is empty. Steps never downgrade and never go
// past the target; services without a running version are deployed by a step from kAbsent.
Result<std::vector<Step>, Failure> PlanUpgrade(const Problem& problem,
                                               const std::vector<int>& target,
                                               const PlanLimits& limits = {});

}  // namespace maiev::solver
