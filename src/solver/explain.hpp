// Short, human explanations of why no consistent phase exists (docs/SOLVER.md, "Explanations").
// Internal to the solver library.
#pragma once

#include <string>
#include <vector>

#include "solver/problem.hpp"
#include "solver/solver.hpp"

namespace maiev::solver {

// Reads the reasons recorded while propagating at the root of the search: for each (service,
// rank) — flat index value_offset[service] + rank — the constraint that removed it, or -1.
class Explainer {
 public:
  Explainer(const Problem& p, const std::vector<int>& reason, const std::vector<int>& value_offset)
      : p_(p), reason_(reason), value_offset_(value_offset) {}

  // Every candidate version of `service` was ruled out.
  Failure WipedOut(int service) const;
  // Extra constraint `c` holds for no phase at all.
  Failure ImpossibleConstraint(int c) const;
  // Propagation left candidates but the search found no consistent phase; `conflicts` are the
  // requirements that most often blocked it.
  Failure Conflicts(const std::vector<int>& conflicts) const;

  // "requires `X`, met only by B 1.0, 1.1" and the like, for messages about requirement `c`.
  std::string RequirementSummary(int c) const;

 private:
  struct Tail {
    std::string text;
    std::vector<std::pair<int, int>> follow;  // values whose removal explains this one
  };
  Tail Explain(int service, int rank) const;
  std::string UnprovidedNames(int c) const;

  const Problem& p_;
  const std::vector<int>& reason_;
  const std::vector<int>& value_offset_;
};

// "0.1, 0.2, 0.3 … (4 more)": the versions of `service` at `ranks`.
std::string VersionList(const Problem& p, int service, const std::vector<int>& ranks);
// Candidate ranks of `service` among `bits` (all candidates when bits is empty).
std::vector<int> CandidateRanks(const Problem& p, int service,
                                const std::vector<std::uint64_t>& bits = {});

}  // namespace maiev::solver
