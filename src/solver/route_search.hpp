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
// services that do not move) is planned exactly by A*, and its routes are adopted. A shortest
// plan of a projection is no longer than the pattern's share of any plan, so the sum over
// disjoint patterns, plus the shortest route of every other service, is a lower bound on the
// plan — and the current routes have exactly that length. The first routes that can be ordered
// therefore give a shortest plan; a projection without a plan proves there is none.
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
  // Phases one projection may keep, and route assignments checked, before giving up.
  std::uint64_t max_states = 0;
};

struct RouteOutcome {
  enum class Kind { kPlan, kNoPlan, kLimit };
  Kind kind = Kind::kNoPlan;
  std::vector<Step> steps;  // kPlan: a shortest plan
  std::uint64_t nodes = 0;  // route assignments checked
  // No plan has fewer steps (for kPlan: the plan's length).
  int lower_bound = 0;
  std::vector<int> pattern;  // kLimit: the services whose projection was being planned, if any
};

// REQUIRES: input.phase is consistent, and each group member has at least its target and its
// current value in `values`.
RouteOutcome PlanByRoutes(const Problem& problem, const RouteInput& input);

}  // namespace maiev::solver
