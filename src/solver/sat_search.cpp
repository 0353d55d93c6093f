#include "solver/sat_search.hpp"

#include <algorithm>
#include <cadical.hpp>
#include <climits>
#include <span>

namespace maiev::solver {
namespace {

// A general requirement whose scope has at most this many tuples forbids its breaking tuples by
// clauses up front; a larger one is checked on each model (still exact, clauses added lazily).
constexpr std::uint64_t kMaxEagerTuples = 4096;
// Conflicts allowed to each call that shrinks a core or raises a totalizer's bound.
constexpr int kMinimiseConflicts = 1000;
// Rounds of trimming a core (re-solving under it) before members are dropped one by one.
constexpr int kTrimRounds = 5;

class SatSearch {
 public:
  SatSearch(const Problem& p, const std::vector<std::vector<int>>& domains,
            std::uint64_t max_conflicts)
      : p_(p),
        dom_(domains),
        n_(p.service_count()),
        max_conflicts_(static_cast<int>(std::min<std::uint64_t>(max_conflicts, INT_MAX))) {}

  SatSearchResult Run() {
    // Chronological backtracking keeps the assumptions' levels when a conflict is learnt; with a
    // few hundred assumptions per call and many short calls, plain backjumping to the learnt
    // clause's level was about 20% faster on the bench's fine kind.
    sat_.set("chrono", 0);
    Encode();
    SatSearchResult out;
    out.status = Optimise();
    if (out.status == SatSearchResult::Status::kOptimal) out.status = BreakTies();
    out.sat_calls = calls_;
    out.cores = cores_;
    if (out.status != SatSearchResult::Status::kOptimal) return out;
    for (int s = 0; s < n_; ++s) {
      out.ranks.push_back(dom_[s][position_[s]]);
      out.total_rank += out.ranks.back();
    }
    return out;
  }

 private:
  enum class Answer { kSat, kUnsat, kUnknown };

  // A literal the search wants true, with the cost of its being false.
  struct Soft {
    int lit = 0;
    int weight = 0;
    int totalizer = -1;  // for "at most `bound` of a totalizer's inputs": its index
    int bound = 0;
    int service = -1;  // for ¬ge(service, j): the service (these come first, by service and j)
  };

  int K(int s) const { return static_cast<int>(dom_[s].size()); }
  int X(int s, int j) const { return first_x_[s] + j; }
  int Ge(int s, int j) const { return first_ge_[s] + j - 1; }  // 1 ≤ j < K(s)

  int NewVar() { return ++vars_; }
  void AddClause(std::span<const int> lits) {
    for (int lit : lits) sat_.add(lit);
    sat_.add(0);
  }
  void AddClause(std::initializer_list<int> lits) {
    AddClause(std::span<const int>(lits.begin(), lits.size()));
  }

  void Encode() {
    position_of_.resize(n_);
    for (int s = 0; s < n_; ++s) {
      position_of_[s].assign(p_.service(s).versions.size(), -1);
      for (int j = 0; j < K(s); ++j) position_of_[s][dom_[s][j]] = j;
      first_x_.push_back(vars_ + 1);
      vars_ += K(s);
      first_ge_.push_back(vars_ + 1);
      vars_ += K(s) - 1;
    }
    std::vector<int> clause;
    for (int s = 0; s < n_; ++s) {
      for (int j = 0; j < K(s); ++j) {
        clause.assign({X(s, j)});
        if (j >= 1) {
          AddClause({-X(s, j), Ge(s, j)});
          clause.push_back(-Ge(s, j));
        }
        if (j + 1 < K(s)) {
          AddClause({-X(s, j), -Ge(s, j + 1)});
          clause.push_back(Ge(s, j + 1));
        }
        AddClause(clause);
        if (j >= 2) AddClause({-Ge(s, j), Ge(s, j - 1)});
      }
    }
    for (int s = 0; s < n_; ++s) {
      for (int j = 0; j < K(s); ++j) {
        for (int c : p_.ConstraintsOf(s, dom_[s][j])) EncodeConstraint(c, X(s, j));
      }
    }
    for (int c : p_.Extra()) EncodeConstraint(c, 0);
  }

  // `guard`: the literal of the version stating the requirement, 0 for an extra constraint.
  void EncodeConstraint(int c, int guard) {
    const Constraint& con = p_.constraints()[c];
    std::vector<int> clause;
    if (guard != 0) clause.push_back(-guard);
    switch (con.kind) {
      case ConstraintKind::kFixed:
        if (!con.holds) AddClause(clause);
        return;
      case ConstraintKind::kBinary: {
        const int b = con.target;
        std::vector<int> support;
        for (int q = 0; q < K(b); ++q) {
          if (TestBit(con.support, dom_[b][q])) support.push_back(q);
        }
        if (static_cast<int>(support.size()) == K(b)) return;
        const bool one_run =
            !support.empty() && support.back() - support.front() + 1 == std::ssize(support);
        if (one_run) {
          if (support.front() >= 1) {
            clause.push_back(Ge(b, support.front()));
            AddClause(clause);
            clause.pop_back();
          }
          if (support.back() + 1 < K(b)) {
            clause.push_back(-Ge(b, support.back() + 1));
            AddClause(clause);
          }
          return;
        }
        for (int q : support) clause.push_back(X(b, q));
        AddClause(clause);
        return;
      }
      case ConstraintKind::kGeneral:
        EncodeGeneral(c);
        return;
    }
  }

  // Forbids every tuple of the scope that breaks the general constraint `c`, or leaves it to
  // the models when there are too many tuples.
  void EncodeGeneral(int c) {
    const Constraint& con = p_.constraints()[c];
    std::vector<std::vector<int>> values(con.services.size());
    std::uint64_t tuples = 1;
    for (std::size_t i = 0; i < con.services.size(); ++i) {
      const int s = con.services[i];
      if (s == con.guard_service) {
        values[i] = {con.guard_rank};
      } else {
        values[i] = dom_[s];
      }
      tuples *= values[i].size();
      if (tuples > kMaxEagerTuples) {
        lazy_.push_back(c);
        return;
      }
    }
    std::vector<int> phase(n_, kAbsent);
    std::vector<std::size_t> index(values.size(), 0);
    std::vector<int> clause;
    for (bool more = true; more;) {
      for (std::size_t i = 0; i < values.size(); ++i) phase[con.services[i]] = values[i][index[i]];
      if (!p_.Satisfied(c, phase)) AddClause(BlockingClause(con, phase, clause));
      more = false;
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (++index[i] < values[i].size()) {
          more = true;
          break;
        }
        index[i] = 0;
      }
    }
  }

  // The clause ruling out the tuple `phase` gives the services of a general constraint.
  const std::vector<int>& BlockingClause(const Constraint& con, const std::vector<int>& phase,
                                         std::vector<int>& clause) const {
    clause.clear();
    for (int s : con.services) clause.push_back(-X(s, position_of_[s][phase[s]]));
    return clause;
  }

  // Adds a clause for each lazily checked constraint the model breaks; true when one was added.
  bool AddLazyClauses() {
    bool added = false;
    std::vector<int> clause;
    for (int c : lazy_) {
      if (p_.Satisfied(c, phase_)) continue;
      AddClause(BlockingClause(p_.constraints()[c], phase_, clause));
      added = true;
    }
    return added;
  }

  void ReadModel() {
    phase_.assign(n_, kAbsent);
    position_.assign(n_, 0);
    for (int s = 0; s < n_; ++s) {
      for (int j = 0; j < K(s); ++j) {
        if (sat_.val(X(s, j)) > 0) {
          position_[s] = j;
          phase_[s] = dom_[s][j];
          break;
        }
      }
    }
  }

  Answer SolveUnder(std::span<const int> assumptions, int conflicts = 0) {
    while (true) {
      for (int lit : assumptions) sat_.assume(lit);
      sat_.limit("conflicts", conflicts > 0 ? conflicts : max_conflicts_);
      ++calls_;
      const int result = sat_.solve();
      if (result == 20) return Answer::kUnsat;
      if (result != 10) return Answer::kUnknown;
      ReadModel();
      if (!AddLazyClauses()) return Answer::kSat;
    }
  }

  // The soft literals with weight left, in the order they are assumed. Of a service's order
  // literals only the first is assumed: ¬ge(s, j) implies ¬ge(s, j') for every j' > j, so a core
  // among the assumed ones is a core, and a model satisfying them satisfies all. Services come
  // last in catalog order first (those that depend on the others, the bench's layers), then
  // totalizer outputs oldest first: about 10% less CPU on the fine kind than catalog
  // order, while totalizer outputs first took three to four times as long.
  std::vector<int> Active() const {
    std::vector<int> active;
    int last_service = -1;
    for (int i = 0; i < std::ssize(softs_); ++i) {
      const Soft& soft = softs_[i];
      if (soft.weight <= 0) continue;
      if (soft.service >= 0) {
        if (soft.service == last_service) continue;
        last_service = soft.service;
      }
      active.push_back(i);
    }
    const auto services_end =
        std::find_if(active.begin(), active.end(), [&](int i) { return softs_[i].service < 0; });
    std::reverse(active.begin(), services_end);
    return active;
  }

  std::vector<int> LiteralsOf(std::span<const int> softs) const {
    std::vector<int> lits;
    lits.reserve(softs.size());
    for (int i : softs) lits.push_back(softs_[i].lit);
    return lits;
  }

  // Outputs o[i] ("at least i+1 inputs hold") of a totalizer over `inputs`; one direction only
  // (enough inputs force an output), which is the direction the "at most" soft literals need.
  std::vector<int> Totalize(std::span<const int> inputs) {
    if (inputs.size() == 1) return {inputs[0]};
    const std::size_t half = inputs.size() / 2;
    const std::vector<int> left = Totalize(inputs.first(half));
    const std::vector<int> right = Totalize(inputs.subspan(half));
    std::vector<int> out(inputs.size());
    for (int& lit : out) lit = NewVar();
    std::vector<int> clause;
    for (std::size_t a = 0; a <= left.size(); ++a) {
      for (std::size_t b = 0; b <= right.size(); ++b) {
        if (a + b == 0) continue;
        clause.clear();
        if (a > 0) clause.push_back(-left[a - 1]);
        if (b > 0) clause.push_back(-right[b - 1]);
        clause.push_back(out[a + b - 1]);
        AddClause(clause);
      }
    }
    return out;
  }

  SatSearchResult::Status Optimise() {
    for (int s = 0; s < n_; ++s) {
      for (int j = 1; j < K(s); ++j) {
        softs_.push_back({-Ge(s, j), dom_[s][j] - dom_[s][j - 1], -1, 0, s});
      }
    }
    while (true) {
      std::vector<int> core = Active();
      switch (SolveUnder(LiteralsOf(core))) {
        case Answer::kSat:
          return SatSearchResult::Status::kOptimal;
        case Answer::kUnknown:
          return SatSearchResult::Status::kLimit;
        case Answer::kUnsat:
          break;
      }
      std::erase_if(core, [&](int i) { return !sat_.failed(softs_[i].lit); });
      if (core.empty()) return SatSearchResult::Status::kInfeasible;
      Minimise(core);
      Relax(core);
    }
  }

  // Shrinks a core. Trimming first: solving under the core again often fails on fewer of its
  // members, at the cost of one short call each round. Then a member goes when the others are
  // still unsatisfiable within a small conflict budget (the core shrinks to what that call used).
  // Members are tried in the reverse of the order they were assumed in (newest totalizer outputs
  // first, then services in catalog order): about 20% less CPU on the fine kind than catalog order.
  // A core of two is kept: a single soft literal is rarely a core after the root propagation,
  // and failing to prove it costs two whole budgets.
  void Minimise(std::vector<int>& core) {
    for (int round = 0; round < kTrimRounds && core.size() > 2; ++round) {
      if (SolveUnder(LiteralsOf(core), kMinimiseConflicts) != Answer::kUnsat) break;
      const std::size_t before = core.size();
      std::erase_if(core, [&](int k) { return !sat_.failed(softs_[k].lit); });
      if (core.size() == before) break;
    }
    std::reverse(core.begin(), core.end());
    for (std::size_t i = 0; i < core.size() && core.size() > 2;) {
      std::vector<int> others = core;
      others.erase(others.begin() + static_cast<std::ptrdiff_t>(i));
      if (SolveUnder(LiteralsOf(others), kMinimiseConflicts) == Answer::kUnsat) {
        std::erase_if(others, [&](int k) { return !sat_.failed(softs_[k].lit); });
        core = std::move(others);
        continue;  // the member now at i is another one
      }
      ++i;
    }
  }

  // OLL's step: the core costs at least its least weight; each member keeps the rest of its
  // weight, and the members' violations are counted by a totalizer whose next bound is soft.
  void Relax(const std::vector<int>& core) {
    ++cores_;
    int least = INT_MAX;
    for (int i : core) least = std::min(least, softs_[i].weight);
    std::vector<int> violations;
    for (int i : core) {
      softs_[i].weight -= least;
      violations.push_back(-softs_[i].lit);
      const int t = softs_[i].totalizer;
      if (t >= 0 && softs_[i].bound + 1 < std::ssize(totalizers_[t])) {
        const int bound = softs_[i].bound + 1;
        softs_.push_back({-totalizers_[t][bound], least, t, bound});
      }
    }
    if (violations.size() < 2) return;
    totalizers_.push_back(Totalize(violations));
    const int t = static_cast<int>(totalizers_.size()) - 1;
    // Core exhaustion: while the hard clauses alone force one more violation among the core's
    // members, the bound moves up (each step is worth `least`).
    int bound = 1;
    while (bound + 1 < std::ssize(totalizers_[t])) {
      const int at_most = -totalizers_[t][bound];
      if (SolveUnder(std::span<const int>(&at_most, 1), kMinimiseConflicts) != Answer::kUnsat)
        break;
      AddClause({-at_most});
      ++bound;
    }
    softs_.push_back({-totalizers_[t][bound], least, t, bound});
  }

  // With the optimum's soft literals made hard, every model has the optimal total; fix the
  // services in catalog order at the newest position a model still allows.
  SatSearchResult::Status BreakTies() {
    for (int i : Active()) AddClause({softs_[i].lit});
    for (int s = 0; s < n_; ++s) {
      while (position_[s] > 0) {
        const int newer = -Ge(s, position_[s]);
        const Answer answer = SolveUnder(std::span<const int>(&newer, 1));
        if (answer == Answer::kUnknown) return SatSearchResult::Status::kLimit;
        if (answer == Answer::kUnsat) break;
      }
      AddClause({X(s, position_[s])});
    }
    return SatSearchResult::Status::kOptimal;
  }

  const Problem& p_;
  const std::vector<std::vector<int>>& dom_;
  const int n_;
  const int max_conflicts_;
  CaDiCaL::Solver sat_;
  int vars_ = 0;
  std::vector<int> first_x_, first_ge_;
  std::vector<std::vector<int>> position_of_;  // service → rank → position, -1 when not a candidate
  std::vector<int> lazy_;                      // general constraints checked on models
  std::vector<Soft> softs_;
  std::vector<std::vector<int>> totalizers_;  // outputs of each totalizer
  std::vector<int> phase_;                    // the last model, by rank
  std::vector<int> position_;                 // the last model, by position
  std::uint64_t calls_ = 0;
  std::uint64_t cores_ = 0;
};

}  // namespace

SatSearchResult SolveBySat(const Problem& problem, const std::vector<std::vector<int>>& domains,
                           std::uint64_t max_conflicts) {
  return SatSearch(problem, domains, max_conflicts).Run();
}

}  // namespace maiev::solver
