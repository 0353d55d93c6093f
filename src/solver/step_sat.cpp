#include "solver/step_sat.hpp"

#include <algorithm>
#include <cadical.hpp>
#include <climits>
#include <initializer_list>
#include <map>
#include <set>
#include <span>
#include <tuple>

namespace maiev::solver {
namespace {

// (member, layer boundary) pairs an encoding may have. Clauses grow with them (about 65 per pair
// on the bench's catalogs), and so does the cost of a conflict: 0.15 ms at 1 700 pairs, 0.4–0.7 ms
// at 4 000; the largest the bench's breaking rows need is 3 300.
constexpr std::size_t kMaxCells = 20'000;

}  // namespace

// The clauses for one horizon (layer boundaries 0 … horizon_), on one solver.
class StepSat::Encoding {
 public:
  Encoding(const StepProblem& problem, int horizon)
      : p_(problem), m_(static_cast<int>(problem.members.size())), horizon_(horizon) {
    sat_.set("chrono", 0);  // as in sat_search.cpp: many short calls under assumptions
    sat_.connect_learner(&learnt_);
    true_ = NewVar();
    Add({true_});
    Variables();
    Links();
    Compress();
    for (int t = 0; t <= horizon_; ++t) Boundary(t);
    for (int t = 0; t < horizon_; ++t) Transition(t);
    Routes();
    Counters();
  }

  int horizon() const { return horizon_; }

  // `spent`: the conflicts (clauses learnt) of this call.
  Answer Solve(int length, std::uint64_t max_conflicts, std::vector<std::vector<int>>& routes,
               std::uint64_t& spent) {
    spent = 0;
    const Unary& root = counts_.back();
    if (length < root.offset) return Answer::kNone;
    const int above = length - root.offset;  // index of "count ≥ length + 1"
    if (above < static_cast<int>(root.lits.size())) sat_.assume(-root.lits[above]);
    sat_.limit("conflicts", static_cast<int>(std::min<std::uint64_t>(max_conflicts, INT_MAX)));
    const std::uint64_t before = learnt_.count;
    const int result = sat_.solve();
    spent = learnt_.count - before;
    if (result == 20) return Answer::kNone;
    if (result != 10) return Answer::kLimit;
    routes.assign(m_, {});
    for (int a = 0; a < m_; ++a) {
      for (int t = 0; t <= horizon_; ++t) {
        const int at = Position(a, t);
        if (routes[a].empty() || routes[a].back() != at) routes[a].push_back(at);
      }
    }
    return Answer::kPlan;
  }

 private:
  // Counts the clauses learnt (one per conflict); exports none.
  struct Counter : CaDiCaL::Learner {
    std::uint64_t count = 0;
    bool learning(int /*size*/) override {
      ++count;
      return false;
    }
    void learn(int /*lit*/) override {}
  };

  // A count in unary: lits[k] ⇔ count ≥ offset + k + 1.
  struct Unary {
    int offset = 0;
    std::vector<int> lits;
  };

  // "member runs index or older at the boundary" (at_least) or its negation: a literal of a
  // clause stated at every boundary.
  struct Bound {
    int member;
    int index;
    bool at_least;
    bool operator<(const Bound& other) const {
      return std::tie(member, index, at_least) <
             std::tie(other.member, other.index, other.at_least);
    }
  };

  int NewVar() { return ++vars_; }
  void Add(std::initializer_list<int> lits) {
    for (const int lit : lits) sat_.add(lit);
    sat_.add(0);
  }
  void Add(std::span<const int> lits) {
    for (const int lit : lits) sat_.add(lit);
    sat_.add(0);
  }

  int Values(int a) const { return p_.members[a].values; }
  int Start(int a) const { return Values(a) - 1; }

  // "a runs value index j or older at boundary t".
  int Ge(int a, int j, int t) const {
    if (j <= 0) return true_;
    if (j >= Values(a)) return -true_;
    return ge_[a][static_cast<std::size_t>(t) * Start(a) + j - 1];
  }
  int Move(int a, int t) const { return move_[a][t]; }

  int Position(int a, int t) {
    int at = 0;
    while (at < Start(a) && sat_.val(Ge(a, at + 1, t)) > 0) ++at;
    return at;
  }

  // Appends the negation of "a runs i at t": ¬ge(a, i, t) ∨ ge(a, i + 1, t), constants dropped.
  void NotAt(int a, int i, int t, std::vector<int>& clause) const {
    for (const int lit : {-Ge(a, i, t), Ge(a, i + 1, t)}) {
      if (lit != -true_) clause.push_back(lit);
    }
  }

  void Variables() {
    ge_.resize(m_);
    move_.resize(m_);
    visit_.resize(m_);
    for (int a = 0; a < m_; ++a) {
      for (int n = 0; n < (horizon_ + 1) * Start(a); ++n) ge_[a].push_back(NewVar());
      for (int t = 0; t < horizon_; ++t) move_[a].push_back(NewVar());
      for (int j = 1; j < Start(a); ++j) visit_[a].push_back(NewVar());  // visit_[a][j - 1]
    }
  }

  // Members that some forbidden combination names together.
  void Links() {
    std::vector<std::vector<char>> linked(m_, std::vector<char>(m_, 0));
    for (const auto& combination : p_.forbidden) {
      for (const auto& [a, i] : combination) {
        for (const auto& [b, j] : combination) {
          if (a != b) linked[a][b] = 1;
        }
      }
    }
    links_.resize(m_);
    for (int a = 0; a < m_; ++a) {
      for (int b = 0; b < m_; ++b) {
        if (linked[a][b] != 0) links_[a].push_back(b);
      }
    }
  }

  void Boundary(int t) {
    std::vector<int> clause;
    for (int a = 0; a < m_; ++a) {
      for (int j = 1; j < Start(a); ++j) Add({-Ge(a, j + 1, t), Ge(a, j, t)});
      if (t == 0) Add({Ge(a, Start(a), t)});
      if (t == horizon_) Add({-Ge(a, 1, t)});
      for (int i = 0; i < Start(a); ++i) {
        clause.clear();
        NotAt(a, i, t, clause);
        if (p_.members[a].live[i] == 0) {
          Add(clause);
        } else if (i > 0) {
          clause.push_back(visit_[a][i - 1]);
          Add(clause);
        }
      }
    }
    for (const auto& pattern : forbidden_) {
      clause.clear();
      for (const Bound& bound : pattern) {
        const int lit =
            bound.at_least ? Ge(bound.member, bound.index, t) : -Ge(bound.member, bound.index, t);
        if (lit != -true_) clause.push_back(lit);
      }
      Add(clause);
    }
  }

  // The forbidden combinations as clauses over bounds, the same at every boundary. A member a at
  // i that forbids member b a set of values is one clause per run of forbidden values (values
  // that never run may join a run): "a not at i, or b outside [lo, hi]", the run's ends that are
  // b's first or last value needing no literal.
  void Compress() {
    std::map<std::pair<std::pair<int, int>, int>, std::vector<char>> pairs;  // ((a, i), b) → J
    std::set<std::vector<Bound>> out;
    auto not_at = [&](int a, int i, std::vector<Bound>& clause) {
      if (i > 0) clause.push_back(Bound{a, i, false});
      if (i < Start(a)) clause.push_back(Bound{a, i + 1, true});
    };
    for (const auto& combination : p_.forbidden) {
      if (combination.size() == 2) {
        const auto [a, i] = combination[0];
        const auto [b, j] = combination[1];
        auto& values = pairs[{{a, i}, b}];
        values.resize(Values(b), 0);
        values[j] = 1;
        continue;
      }
      std::vector<Bound> clause;
      for (const auto& [a, i] : combination) not_at(a, i, clause);
      std::sort(clause.begin(), clause.end());
      out.insert(std::move(clause));
    }
    for (const auto& [key, values] : pairs) {
      const auto [a, i] = key.first;
      const int b = key.second;
      const StepProblem::Member& member = p_.members[b];
      for (int lo = 0; lo < Values(b);) {
        if (values[lo] == 0) {
          ++lo;
          continue;
        }
        int hi = lo;
        while (hi + 1 < Values(b) && (values[hi + 1] != 0 || member.live[hi + 1] == 0)) ++hi;
        while (hi > lo && values[hi] == 0) --hi;  // a run ends on a forbidden value
        std::vector<Bound> clause;
        not_at(a, i, clause);
        if (lo > 0) clause.push_back(Bound{b, lo, false});
        if (hi < Start(b)) clause.push_back(Bound{b, hi + 1, true});
        std::sort(clause.begin(), clause.end());
        out.insert(std::move(clause));
        lo = hi + 1;
      }
    }
    forbidden_.assign(out.begin(), out.end());
  }

  void Transition(int t) {
    std::vector<int> clause;
    for (int a = 0; a < m_; ++a) {
      const int mv = Move(a, t);
      for (int j = 1; j <= Start(a); ++j) {
        Add({-Ge(a, j, t + 1), Ge(a, j, t)});      // values only get newer
        Add({-Ge(a, j, t), Ge(a, j, t + 1), mv});  // leaving j (or older) is a move
      }
      for (int i = 0; i <= Start(a); ++i) {  // a move from i goes to a newer value
        clause.clear();
        NotAt(a, i, t, clause);
        clause.push_back(-mv);
        if (i > 0) clause.push_back(-Ge(a, i, t + 1));
        Add(clause);
      }
      const StepProblem::Member& member = p_.members[a];
      for (int i = 1; i <= Start(a); ++i) {
        for (int j = 0; j < i; ++j) {
          if (member.may_step[i * Values(a) + j] != 0) continue;
          clause.clear();
          NotAt(a, i, t, clause);
          NotAt(a, j, t + 1, clause);
          Add(clause);
        }
      }
      for (const int b : links_[a]) {
        if (b > a) Add({-mv, -Move(b, t)});
      }
      if (t == 0) continue;
      clause.assign({-mv, Move(a, t - 1)});  // Foata: a move depends on one just before
      for (const int b : links_[a]) clause.push_back(Move(b, t - 1));
      Add(clause);
    }
  }

  // The values a member visits form a route: each but its start is entered from an older value
  // that may step to it, and each but its target left for a newer one (timeless, so that the
  // counts constrain the routes directly).
  void Routes() {
    std::vector<int> clause;
    for (int a = 0; a < m_; ++a) {
      const StepProblem::Member& member = p_.members[a];
      auto visited = [&](int j) { return j == 0 || j == Start(a) ? true_ : visit_[a][j - 1]; };
      for (int j = 1; j < Start(a); ++j) {
        clause.assign({-visit_[a][j - 1]});
        for (int i = j + 1; i <= Start(a); ++i) {
          if (member.may_step[i * Values(a) + j] != 0) clause.push_back(visited(i));
        }
        Add(clause);
        clause.assign({-visit_[a][j - 1]});
        for (int k = 0; k < j; ++k) {
          if (member.may_step[j * Values(a) + k] != 0) clause.push_back(visited(k));
        }
        Add(clause);
      }
    }
  }

  // Totalizer merge (both directions): out ⇔ a + b, capped at `cap` literals.
  Unary Merge(const Unary& a, const Unary& b, int cap) {
    Unary out;
    out.offset = a.offset + b.offset;
    const int na = static_cast<int>(a.lits.size());
    const int nb = static_cast<int>(b.lits.size());
    const int size = std::min(na + nb, std::max(cap, 0));
    for (int k = 0; k < size; ++k) out.lits.push_back(NewVar());
    auto lit = [](const Unary& u, int k) {  // "u ≥ offset + k", k ≥ 1
      return u.lits[k - 1];
    };
    for (int i = 0; i <= na; ++i) {
      for (int j = 0; j <= nb; ++j) {
        const int k = i + j;
        if (k >= 1 && k <= size) {  // a ≥ i ∧ b ≥ j → out ≥ k
          std::vector<int> clause{out.lits[k - 1]};
          if (i > 0) clause.push_back(-lit(a, i));
          if (j > 0) clause.push_back(-lit(b, j));
          Add(clause);
        }
        if (k + 1 <= size) {  // out ≥ k + 1 → a ≥ i + 1 ∨ b ≥ j + 1
          std::vector<int> clause{-out.lits[k]};
          if (i < na) clause.push_back(lit(a, i + 1));
          if (j < nb) clause.push_back(lit(b, j + 1));
          Add(clause);
        }
      }
    }
    return out;
  }

  // Merges a list of counts pairwise (a balanced tree of totalizers).
  Unary Sum(std::vector<Unary> parts, int cap) {
    if (parts.empty()) return {};
    while (parts.size() > 1) {
      std::vector<Unary> next;
      for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
        next.push_back(Merge(parts[i], parts[i + 1], cap - parts[i].offset - parts[i + 1].offset));
      }
      if (parts.size() % 2 == 1) next.push_back(std::move(parts.back()));
      parts = std::move(next);
    }
    return std::move(parts.front());
  }

  // A count per tree node, each at least its node's bound; no count above the horizon matters
  // (a plan of at most horizon_ moves has no larger count), so each is capped there.
  void Counters() {
    const int cap = horizon_ + 1;
    counts_.resize(p_.tree.size());
    for (std::size_t n = 0; n < p_.tree.size(); ++n) {
      const auto& node = p_.tree[n];
      Unary count;
      if (static_cast<int>(n) < m_) {
        std::vector<Unary> bits;
        for (const int v : visit_[n]) bits.push_back(Unary{0, {v}});
        count = Sum(std::move(bits), cap);
        count.offset += 1;  // the target is always visited
      } else {
        std::vector<Unary> parts;
        for (const int child : node.children) parts.push_back(counts_[child]);
        count = Sum(std::move(parts), cap);
      }
      const int need = node.least - count.offset;  // count ≥ least
      if (need > static_cast<int>(count.lits.size())) {
        Add({-true_});
      } else if (need > 0) {
        Add({count.lits[need - 1]});
      }
      counts_[n] = std::move(count);
    }
  }

  const StepProblem& p_;
  const int m_;
  const int horizon_;
  Counter learnt_;  // before sat_: the solver refers to it until destroyed
  CaDiCaL::Solver sat_;
  int vars_ = 0;
  int true_ = 0;
  std::vector<std::vector<int>> ge_;     // by member: [t * Start + j - 1]
  std::vector<std::vector<int>> move_;   // by member, t
  std::vector<std::vector<int>> visit_;  // by member: [j - 1], 1 ≤ j < Start
  std::vector<std::vector<int>> links_;
  std::vector<Unary> counts_;                  // by tree node
  std::vector<std::vector<Bound>> forbidden_;  // clauses of every boundary (Compress)
};

StepSat::StepSat(StepProblem problem) : problem_(std::move(problem)) {}

StepSat::~StepSat() = default;

StepSat::Answer StepSat::Solve(int length, std::uint64_t max_conflicts,
                               std::vector<std::vector<int>>& routes) {
  // A horizon of exactly `length` layers: a longer one would let the next lengths reuse the
  // solver, but every layer costs propagation on every call (one spare layer: 12–21% slower on
  // the bench's breaking rows), and most projections need one refutation only.
  if (!encoding_ || encoding_->horizon() < length) {
    const auto cells = problem_.members.size() * static_cast<std::size_t>(length + 1);
    if (cells > kMaxCells) return Answer::kLimit;
    encoding_ = std::make_unique<Encoding>(problem_, length);
  }
  std::uint64_t spent = 0;
  const Answer answer = encoding_->Solve(length, max_conflicts, routes, spent);
  conflicts_ += spent;
  return answer;
}

}  // namespace maiev::solver
