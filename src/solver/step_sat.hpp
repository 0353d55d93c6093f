// Bounded-length planning of a projection (route_search.cpp) as SAT on CaDiCaL: "is there a plan
// of at most L moves?", answered exactly, either way (docs/SOLVER.md, "Planning a projection").
//
// Steps. A plan's moves form a trace: two moves commute when they are of different members that
// no breaking combination names together (swapping them in a valid plan leaves every phase
// consistent, the start being consistent). Every trace has one Foata normal form: layers of
// pairwise independent moves, each move after the first layer depending on a move of the layer
// before. The encoding describes exactly these layered plans, so each plan is found once, in
// one arrangement of its moves, and any order of a layer's moves is a valid plan. A plan of L
// moves has at most L layers, so a horizon of at least L layers refutes every plan of L moves.
//
// Encoding, per member and layer boundary t: order literals ge(a, j, t) "a runs value index j or
// older" (values only get newer over t); a combination of values that breaks a requirement is
// forbidden at every t, a move that no pairwise requirement allows is forbidden between
// consecutive t; mv(a, t) "a moves between t and t + 1", two linked members never both, and a
// move at t + 1 needs a move at t of the member or of one linked to it (Foata). A member's moves
// are the values it visits besides its start; they are counted by totalizers along the pattern
// tree, each node at least its lower bound (hard) and the root at most L (an assumption).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace maiev::solver {

struct StepProblem {
  struct Member {
    int values = 0;              // value indices 0 (target) … values - 1 (start)
    std::vector<char> live;      // by value index: may run in a plan (the start always)
    std::vector<char> may_step;  // [i * values + j], j < i: a move from i to j is allowed
  };
  // A value combination that breaks a requirement: (member, value index) pairs, members distinct.
  using Combination = std::vector<std::pair<int, int>>;
  // The pattern tree: nodes [0, members.size()) are the members, the others patterns whose
  // children come before them; the last node is the root. Each node's members make at least
  // `least` moves in every plan.
  struct Node {
    std::vector<int> children;
    int least = 0;
  };

  std::vector<Member> members;
  std::vector<Combination> forbidden;
  std::vector<Node> tree;
};

// Not thread-safe. Keeps one incremental solver while the lengths asked fit its horizon.
class StepSat {
 public:
  enum class Answer { kPlan, kNone, kLimit };

  // REQUIRES: every member's start differs from its target (values ≥ 2).
  explicit StepSat(StepProblem problem);
  ~StepSat();
  StepSat(const StepSat&) = delete;
  StepSat& operator=(const StepSat&) = delete;

  // Whether a plan of at most `length` moves exists. kPlan: `routes` receives, by member, the
  // value indices it runs, from its start to 0, and the plan's moves are their lengths summed.
  // kNone: no plan of at most `length` moves. kLimit: `max_conflicts` conflicts were not enough,
  // or the encoding would be too large (the members times `length` beyond a fixed bound).
  Answer Solve(int length, std::uint64_t max_conflicts, std::vector<std::vector<int>>& routes);

  std::uint64_t conflicts() const { return conflicts_; }

 private:
  class Encoding;
  StepProblem problem_;
  std::unique_ptr<Encoding> encoding_;  // for the horizon encoded
  std::uint64_t conflicts_ = 0;         // spent by every call
};

}  // namespace maiev::solver
