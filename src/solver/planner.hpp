// PlanUpgrade with the counters of its searches, for tests and benchmarks (solver.hpp has the
// contract).
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.hpp"
#include "solver/problem.hpp"
#include "solver/route_search.hpp"
#include "solver/solver.hpp"

namespace maiev::solver {

struct PlanStats {
  RouteStats routes;                  // summed over the groups planned from a consistent phase
  std::uint64_t phases_expanded = 0;  // by A* from an inconsistent running phase
  int dominated = 0;                  // intermediate versions dropped as dominated by a neighbour
};

// As PlanUpgrade(problem, target, limits); `stats` receives the counters.
Result<std::vector<Step>, Failure> PlanUpgrade(const Problem& problem,
                                               const std::vector<int>& target,
                                               const PlanLimits& limits, PlanStats& stats);

}  // namespace maiev::solver
