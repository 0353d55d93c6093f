// The exact planner for a group of linked services from a consistent phase (docs/SOLVER.md,
// "Plan: routes, precedences and patterns"). Pure: no I/O, no clock.
//
// A plan gives each service a *route*: the versions it runs, from its current value to its
// target, each newer than the last; its length is the sum of the route lengths. For fixed
// routes, a plan is an order of the moves in which no phase breaks a requirement: a combination
// of route positions that breaks one must never run at once, which says "one of these services
// leaves its position before another arrives at its own" — a precedence, or a choice between a
// few. A small search decides whether an order exists; when none does, it names the services
// whose routes its proof used (a conflict). The conflict's services, with every pattern it
// touches, become one *pattern*: its projection (the requirements that read only it and the
// services that do not move) is planned exactly — by the same route method over the pattern
// alone, with the patterns it absorbed as lower bounds, or by A* — and its routes are adopted.
// A shortest plan of a projection is no longer than the pattern's share of any plan, so the sum
// over disjoint patterns, plus the shortest route of every other service, is a lower bound on
// the plan — and the current routes have exactly that length. The first routes that can be
// ordered therefore give a shortest plan; a projection without a plan proves there is none.
#pragma once

#include <cstdint>
#include <vector>

#include "solver/problem.hpp"
#include "solver/solver.hpp"

namespace maiev::solver {

struct RouteInput {
  // The phase before the group moves; it must be consistent. Services outside `group` keep
  // their value.
  std::vector<int> phase;
  std::vector<int> group;  // services to move, ascending (catalog order)
  // By group index: the values the service may run (rank or kAbsent), [0] its target, back() its
  // value in `phase`, the others in between, newest first.
  std::vector<std::vector<int>> values;
  // By group index, [i * values.size() + j]: a move from values[i] to values[j] (j < i) is
  // possible as far as pairwise requirements tell; a route only uses such moves.
  std::vector<std::vector<char>> may_step;
  // Work allowed before giving up: route assignments checked (whole), and for each projection,
  // partial assignments checked by each order of the route search and phases kept by A*.
  std::uint64_t max_states = 0;
  // Conflicts allowed to the SAT search, over every projection.
  std::uint64_t max_conflicts = 0;
  // The first budget of each method planning a projection; they take turns, the budget growing
  // fourfold (a small value makes them alternate sooner: tests).
  std::uint64_t first_budget = 1'000;
  // Which methods plan a projection: all of them, taking turns (the SAT search last, or for
  // tests first), or (tests: each must be exact on its own) only the SAT search.
  enum class Projection { kAllMethods, kSatFirst, kSatOnly };
  Projection projection = Projection::kAllMethods;
};

// Counters, for tests and benchmarks.
struct RouteStats {
  int patterns = 0;   // projections planned
  int by_routes = 0;  // … of which by the route search (Assign), the rest by A* over phases
  int by_phases = 0;
  int by_sat = 0;               // … by bounded-length planning on a SAT solver (step_sat.hpp)
  int deepenings = 0;           // lengths a projection's route search exhausted past its bound
  int sat_refutations = 0;      // lengths past a projection's bound the SAT search refuted
  std::uint64_t checks = 0;     // partial route assignments checked by the route searches
  std::uint64_t backjumps = 0;  // conflict-directed backjumps of the route searches
};

struct RouteOutcome {
  enum class Kind { kPlan, kNoPlan, kLimit };
  Kind kind = Kind::kNoPlan;
  std::vector<Step> steps;  // kPlan: a shortest plan
  std::uint64_t nodes = 0;  // route assignments checked
  // No plan has fewer steps (for kPlan: the plan's length).
  int lower_bound = 0;
  std::vector<int> pattern;  // kLimit: the services whose projection was being planned, if any
  RouteStats stats;
};

// REQUIRES: input.phase is consistent, and each group member has at least its target and its
// current value in `values`.
RouteOutcome PlanByRoutes(const Problem& problem, const RouteInput& input);

}  // namespace maiev::solver
