// The target phase by a core-guided MaxSAT search on an incremental SAT solver (CaDiCaL), for
// the catalogs on which the branch and bound's bound is too weak (docs/SOLVER.md, "Method").
//
// Encoding. Each service's candidate versions left after the root propagation, by ascending
// rank, are positions 0..K-1: a literal x(s, j) "s runs position j" and an order literal
// ge(s, j) "s runs position j or older" (j ≥ 1), with ge(s, j+1) → ge(s, j), so that exactly one
// x holds. A binary requirement of (A, j) on B becomes ¬x(A, j) ∨ "B in its support"; a support
// that is one run of positions [a, b] is two binary clauses on order literals (ge(B, a) and
// ¬ge(B, b+1)), anything else one clause over the x of B. A general requirement forbids the
// tuples of its scope that break it: eagerly when its scope has few tuples, otherwise lazily,
// by a clause added when a model breaks it. The cost of a phase is its total rank:
// rank(position 0) + Σ over j ≤ position of (rank(j) − rank(j−1)), i.e. one soft literal
// ¬ge(s, j) per order literal, weighted by the rank gap.
//
// Search (OLL). Solve under the assumption that every soft literal holds (of a service's order
// literals only the first: it implies the others); an unsatisfiable core (soft literals that
// cannot all hold), trimmed and shrunk within a small conflict budget, raises the lower bound by
// its least weight and is replaced by a totalizer over its literals, whose "at most 1" output
// becomes a soft literal — or "at most k" when the clauses alone force more (core exhaustion); a
// totalizer output that takes part in a later core is followed by its next output. When the soft
// literals are satisfiable, the model's total rank equals the lower bound: it is optimal. Every
// model satisfying the final soft literals has that total, so the lexicographic tie-break (newer
// versions for earlier services) fixes services in catalog order, each at the newest position some
// optimal model still allows.
#pragma once

#include <cstdint>
#include <vector>

#include "solver/problem.hpp"

namespace maiev::solver {

struct SatSearchResult {
  enum class Status { kOptimal, kInfeasible, kLimit };
  Status status = Status::kLimit;
  std::vector<int> ranks;  // kOptimal: by service
  int total_rank = 0;
  std::uint64_t sat_calls = 0;
  std::uint64_t cores = 0;
};

// REQUIRES: domains[s] holds the candidate ranks of service s still possible after the root
// propagation (ascending, non-empty), so that binary and fixed requirements already agree with
// them. `max_conflicts` bounds each call of the SAT solver; a call that reaches it ends the search
// with kLimit.
SatSearchResult SolveBySat(const Problem& problem, const std::vector<std::vector<int>>& domains,
                           std::uint64_t max_conflicts);

}  // namespace maiev::solver
