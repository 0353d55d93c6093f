#include "solver/solver.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <span>

#include "solver/explain.hpp"
#include "solver/sat_search.hpp"

namespace maiev::solver {
namespace {

// General constraints are filtered by enumerating the tuples of their scope when there are at
// most this many; above it they are only checked once the tuple is complete (still exact).
constexpr std::uint64_t kMaxEnumeratedTuples = 512;

// Branch and bound over version domains (bitsets by rank), with propagation:
//  - a binary requirement (guard A=v needs target B in S) removes v when D(B) ∩ S is empty and
//    restricts D(B) to S when D(A) = {v};
//  - general requirements remove unsupported values by enumeration when the scope is small;
//  - lower bound: sum of the least rank left in each domain. When the "all least ranks" phase is
//    consistent it is the best of its subtree (any other completion is componentwise ≥ it), so
//    the search only branches on a variable of a requirement that phase violates.
class BranchAndBound {
 public:
  BranchAndBound(const Problem& p, const SolveLimits& limits)
      : p_(p), limits_(limits), n_(p.service_count()) {
    int words = 0;
    for (int s = 0; s < n_; ++s) {
      word_offset_.push_back(words);
      const int count = static_cast<int>(p_.service(s).versions.size());
      word_count_.push_back(WordsFor(count));
      value_offset_.push_back(static_cast<int>(reason_.size()));
      reason_.resize(reason_.size() + count, kNoReason);
      words += WordsFor(count);
    }
    dom_.assign(words, 0);
    for (int s = 0; s < n_; ++s) {
      const ServiceInfo& info = p_.service(s);
      for (int r = 0; r < static_cast<int>(info.versions.size()); ++r) {
        if (info.allowed[r]) SetBit(Domain(s), r);
      }
    }
    in_queue_.assign(n_, 0);
    scratch_.assign(n_, kAbsent);
    mins_.assign(n_, 0);
  }

  Result<Solution, Failure> Run() {
    recording_ = true;
    const bool root_ok = InitialiseRoot() && Propagate();
    recording_ = false;
    if (!root_ok) return Unexpected<Failure>{RootFailure()};
    RemoveDominatedVersions();
    const std::vector<std::vector<int>> root = RootDomains();
    if (limits_.engine != SolveEngine::kSat) {
      Dfs();
      if (!aborted_) return Finish();
      if (limits_.engine == SolveEngine::kBranchAndBound) {
        return Unexpected<Failure>{Failure{"limit",
                                           "the search for a target phase gave up after " +
                                               std::to_string(limits_.max_nodes) + " nodes",
                                           {}}};
      }
    }
    const SatSearchResult sat = SolveBySat(p_, root, limits_.max_conflicts);
    switch (sat.status) {
      case SatSearchResult::Status::kOptimal: {
        Solution solution;
        solution.ranks = sat.ranks;
        solution.total_rank = sat.total_rank;
        solution.nodes = nodes_;
        solution.sat_calls = sat.sat_calls;
        return solution;
      }
      case SatSearchResult::Status::kInfeasible:
        if (nodes_ == 0) {
          // The branch and bound's statistics name the requirements that conflict most often.
          aborted_ = false;
          Dfs();
        }
        return Unexpected<Failure>{SearchFailure()};
      case SatSearchResult::Status::kLimit:
        break;
    }
    return Unexpected<Failure>{Failure{
        "limit",
        "the search for a target phase gave up: a call of the SAT solver reached " +
            std::to_string(limits_.max_conflicts) + " conflicts (after " +
            std::to_string(sat.sat_calls) + " calls and " + std::to_string(sat.cores) + " cores)",
        {}}};
  }

 private:
  static constexpr int kNoReason = -1;
  static constexpr int kNoService = -1;

  std::span<std::uint64_t> Domain(int s) {
    return {dom_.data() + word_offset_[s], static_cast<std::size_t>(word_count_[s])};
  }
  std::span<const std::uint64_t> Domain(int s) const {
    return {dom_.data() + word_offset_[s], static_cast<std::size_t>(word_count_[s])};
  }
  bool Has(int s, int r) const { return TestBit(Domain(s), r); }
  int Count(int s) const {
    int count = 0;
    for (std::uint64_t w : Domain(s)) count += std::popcount(w);
    return count;
  }
  int Min(int s) const {
    auto d = Domain(s);
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (d[i] != 0) return static_cast<int>(i * 64) + std::countr_zero(d[i]);
    }
    return kAbsent;
  }
  bool Intersects(int s, const std::vector<std::uint64_t>& bits) const {
    auto d = Domain(s);
    for (std::size_t i = 0; i < d.size(); ++i) {
      if ((d[i] & bits[i]) != 0) return true;
    }
    return false;
  }

  void Enqueue(int s) {
    if (in_queue_[s]) return;
    in_queue_[s] = 1;
    queue_.push_back(s);
  }
  void ClearQueue() {
    for (int s : queue_) in_queue_[s] = 0;
    queue_.clear();
  }

  // Removes rank r of s; false when the domain became empty.
  bool Remove(int s, int r, int because) {
    auto d = Domain(s);
    d[r / 64] &= ~(std::uint64_t{1} << (r % 64));
    if (recording_ && reason_[value_offset_[s] + r] == kNoReason) {
      reason_[value_offset_[s] + r] = because;
    }
    Enqueue(s);
    return WipedOut(s);
  }

  bool WipedOut(int s) {
    for (std::uint64_t w : Domain(s)) {
      if (w != 0) return false;
    }
    if (wiped_ == kNoService) wiped_ = s;
    return true;
  }

  // Keeps only the ranks in `bits`; false when the domain became empty.
  bool Restrict(int s, const std::vector<std::uint64_t>& bits, int because) {
    auto d = Domain(s);
    bool changed = false;
    for (std::size_t i = 0; i < d.size(); ++i) {
      std::uint64_t removed = d[i] & ~bits[i];
      if (removed == 0) continue;
      changed = true;
      if (recording_) {
        for (; removed != 0; removed &= removed - 1) {
          const int r = static_cast<int>(i * 64) + std::countr_zero(removed);
          if (reason_[value_offset_[s] + r] == kNoReason) reason_[value_offset_[s] + r] = because;
        }
      }
      d[i] &= bits[i];
    }
    if (!changed) return true;
    Enqueue(s);
    return !WipedOut(s);
  }

  bool InitialiseRoot() {
    for (int s = 0; s < n_; ++s) {
      if (WipedOut(s)) return false;  // no candidate version at all
    }
    for (int c : p_.Extra()) {
      const Constraint& con = p_.constraints()[c];
      if (con.kind == ConstraintKind::kFixed && !con.holds) {
        failed_extra_ = c;
        return false;
      }
      if (con.kind == ConstraintKind::kBinary && !Restrict(con.target, con.support, c)) {
        return false;
      }
    }
    for (int s = 0; s < n_; ++s) {
      const int count = static_cast<int>(p_.service(s).versions.size());
      for (int r = 0; r < count; ++r) {
        if (!Has(s, r)) continue;
        for (int c : p_.ConstraintsOf(s, r)) {
          const Constraint& con = p_.constraints()[c];
          if (con.kind != ConstraintKind::kFixed || con.holds) continue;
          if (Remove(s, r, c)) return false;
          break;
        }
      }
      Enqueue(s);
    }
    return true;
  }

  bool Propagate() {
    while (!queue_.empty()) {
      const int s = queue_.back();
      queue_.pop_back();
      in_queue_[s] = 0;
      if (!ReviseService(s)) {
        ClearQueue();
        return false;
      }
    }
    return true;
  }

  bool ReviseService(int s) {
    for (int c : p_.BinaryOn(s)) {
      const Constraint& con = p_.constraints()[c];
      if (Has(con.guard_service, con.guard_rank) && !Intersects(s, con.support)) {
        if (Remove(con.guard_service, con.guard_rank, c)) return false;
      }
    }
    if (Count(s) == 1) {
      for (int c : p_.ConstraintsOf(s, Min(s))) {
        const Constraint& con = p_.constraints()[c];
        if (con.kind == ConstraintKind::kBinary && !Restrict(con.target, con.support, c)) {
          return false;
        }
      }
    }
    for (int c : p_.GeneralOn(s)) {
      if (!ReviseGeneral(c)) return false;
    }
    return true;
  }

  // Removes the values of a general constraint's scope that no tuple supports.
  bool ReviseGeneral(int c) {
    const Constraint& con = p_.constraints()[c];
    if (con.guard_service != kAbsent && !Has(con.guard_service, con.guard_rank)) return true;
    std::uint64_t product = 1;
    for (int s : con.services) {
      product *= static_cast<std::uint64_t>(Count(s));
      if (product > kMaxEnumeratedTuples) return true;
    }
    const std::size_t k = con.services.size();
    std::vector<std::vector<int>> values(k);
    std::vector<std::vector<char>> supported(k);
    for (std::size_t i = 0; i < k; ++i) {
      const int s = con.services[i];
      for (int r = 0; r < static_cast<int>(p_.service(s).versions.size()); ++r) {
        if (Has(s, r)) values[i].push_back(r);
      }
      supported[i].assign(values[i].size(), 0);
    }
    std::vector<std::size_t> index(k, 0);
    for (bool more = true; more;) {
      for (std::size_t i = 0; i < k; ++i) scratch_[con.services[i]] = values[i][index[i]];
      if (p_.Satisfied(c, scratch_)) {
        for (std::size_t i = 0; i < k; ++i) supported[i][index[i]] = 1;
      }
      more = false;
      for (std::size_t i = 0; i < k; ++i) {
        if (++index[i] < values[i].size()) {
          more = true;
          break;
        }
        index[i] = 0;
      }
    }
    for (int s : con.services) scratch_[s] = kAbsent;
    for (std::size_t i = 0; i < k; ++i) {
      for (std::size_t j = 0; j < values[i].size(); ++j) {
        if (!supported[i][j] && Remove(con.services[i], values[i][j], c)) return false;
      }
    }
    return true;
  }

  // Dominance (neighbourhood substitutability): version b of s is never in an optimal phase
  // when a newer version a of s is compatible with every version of every linked service that b
  // is compatible with — swapping b for a keeps a phase consistent and lowers its total. Only
  // for services no general requirement reads or states (their compatibility is not pairwise).
  // Removals and propagation alternate to a fixpoint; each removal is checked against the
  // current domains, so one optimal phase — the least — always survives.
  void RemoveDominatedVersions() {
    const std::vector<std::uint64_t> saved = dom_;
    for (bool changed = true; changed;) {
      changed = false;
      for (int s = 0; s < n_; ++s) {
        if (Pairwise(s)) changed = RemoveDominatedVersionsOf(s) || changed;
      }
      if (changed && !Propagate()) {
        dom_ = saved;  // unreachable for a satisfiable catalog; the search will say why not
        return;
      }
    }
  }

  bool Pairwise(int s) const {
    if (!p_.GeneralOn(s).empty()) return false;
    for (int r = 0; r < static_cast<int>(p_.service(s).versions.size()); ++r) {
      if (!Has(s, r)) continue;
      for (int c : p_.ConstraintsOf(s, r)) {
        if (p_.constraints()[c].kind == ConstraintKind::kGeneral) return false;
      }
    }
    return true;
  }

  // A version's compatibility, as bits: for each service its requirements read, the versions
  // left there that they allow; for each requirement on s of a version still possible, whether
  // the version meets it.
  struct Compatibility {
    std::vector<std::uint64_t> allowed;  // target after target, WordsFor(versions) words each
    std::vector<std::uint64_t> meets;    // bit i: the i-th of BinaryOn(s)
  };

  bool RemoveDominatedVersionsOf(int s) {
    const std::vector<int> values = RootDomains(s);
    if (values.size() < 2) return false;
    std::vector<int> targets;
    for (int v : values) {
      for (int c : p_.ConstraintsOf(s, v)) {
        const Constraint& con = p_.constraints()[c];
        if (con.kind == ConstraintKind::kBinary) targets.push_back(con.target);
      }
    }
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    const std::vector<int>& on_s = p_.BinaryOn(s);
    std::vector<Compatibility> compat(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      Compatibility& out = compat[i];
      for (int t : targets) {
        auto d = Domain(t);
        const std::size_t at = out.allowed.size();
        out.allowed.insert(out.allowed.end(), d.begin(), d.end());
        for (int c : p_.ConstraintsOf(s, values[i])) {
          const Constraint& con = p_.constraints()[c];
          if (con.kind != ConstraintKind::kBinary || con.target != t) continue;
          for (std::size_t w = 0; w < d.size(); ++w) out.allowed[at + w] &= con.support[w];
        }
      }
      out.meets.assign(WordsFor(static_cast<int>(on_s.size())), 0);
      for (std::size_t k = 0; k < on_s.size(); ++k) {
        const Constraint& con = p_.constraints()[on_s[k]];
        if (!Has(con.guard_service, con.guard_rank) || TestBit(con.support, values[i])) {
          SetBit(out.meets, static_cast<int>(k));
        }
      }
    }
    // b is dominated by a newer a when everything b allows, a allows too.
    auto covers = [](const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
      for (std::size_t w = 0; w < a.size(); ++w) {
        if ((b[w] & ~a[w]) != 0) return false;
      }
      return true;
    };
    bool removed = false;
    std::vector<char> gone(values.size(), 0);
    for (std::size_t b = values.size(); b-- > 1;) {
      for (std::size_t a = 0; a < b; ++a) {
        if (gone[a] || !covers(compat[a].allowed, compat[b].allowed) ||
            !covers(compat[a].meets, compat[b].meets)) {
          continue;
        }
        Remove(s, values[b], kNoReason);
        gone[b] = 1;
        removed = true;
        break;
      }
    }
    return removed;
  }

  Result<Solution, Failure> Finish() const {
    if (!have_best_) return Unexpected<Failure>{SearchFailure()};
    Solution solution;
    solution.ranks = best_;
    solution.total_rank = best_total_;
    solution.nodes = nodes_;
    return solution;
  }

  // The candidate ranks left for a service (or each service), ascending.
  std::vector<int> RootDomains(int s) const {
    std::vector<int> ranks;
    for (int r = 0; r < static_cast<int>(p_.service(s).versions.size()); ++r) {
      if (Has(s, r)) ranks.push_back(r);
    }
    return ranks;
  }
  std::vector<std::vector<int>> RootDomains() const {
    std::vector<std::vector<int>> domains(n_);
    for (int s = 0; s < n_; ++s) domains[s] = RootDomains(s);
    return domains;
  }

  static bool LexLess(const std::vector<int>& a, const std::vector<int>& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }

  // The first requirement the "least ranks" phase violates, or -1.
  int FindViolated() {
    for (int s = 0; s < n_; ++s) {
      for (int c : p_.ConstraintsOf(s, mins_[s])) {
        if (!p_.Satisfied(c, mins_)) return c;
      }
    }
    for (int c : p_.Extra()) {
      if (!p_.Satisfied(c, mins_)) return c;
    }
    return -1;
  }

  // First fail among the services the violated requirement involves.
  int ChooseService(int c) const {
    const Constraint& con = p_.constraints()[c];
    std::vector<int> candidates = con.services;
    if (con.kind == ConstraintKind::kBinary) {
      candidates = {con.target};
      if (con.guard_service != kAbsent) candidates.insert(candidates.begin(), con.guard_service);
    }
    int best = kNoService;
    int best_count = 0;
    for (int s : candidates) {
      const int count = Count(s);
      if (count < 2) continue;
      if (best == kNoService || count < best_count) {
        best = s;
        best_count = count;
      }
    }
    return best;
  }

  void Dfs() {
    if (aborted_) return;
    if (++nodes_ > limits_.max_nodes) {
      aborted_ = true;
      return;
    }
    if (!Propagate()) return;
    int lower_bound = 0;
    for (int s = 0; s < n_; ++s) {
      mins_[s] = Min(s);
      lower_bound += mins_[s];
    }
    if (have_best_ &&
        (lower_bound > best_total_ || (lower_bound == best_total_ && !LexLess(mins_, best_)))) {
      return;
    }
    const int violated = FindViolated();
    if (violated < 0) {
      best_ = mins_;
      best_total_ = lower_bound;
      have_best_ = true;
      return;
    }
    ++violations_[violated];
    const int s = ChooseService(violated);
    if (s == kNoService) return;  // unreachable: propagation rejects complete violations
    const int r = mins_[s];
    std::vector<std::uint64_t> saved = dom_;
    auto d = Domain(s);
    std::fill(d.begin(), d.end(), 0);
    SetBit(d, r);
    Enqueue(s);
    Dfs();
    dom_ = saved;
    Remove(s, r, kNoReason);
    Dfs();
  }

  Failure RootFailure() const {
    Explainer explainer(p_, reason_, value_offset_);
    if (failed_extra_ != -1) return explainer.ImpossibleConstraint(failed_extra_);
    return explainer.WipedOut(wiped_);
  }

  Failure SearchFailure() const {
    std::vector<std::pair<std::uint64_t, int>> ranked;
    for (const auto& [c, count] : violations_) ranked.emplace_back(count, c);
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<int> conflicts;
    for (std::size_t i = 0; i < ranked.size() && i < 5; ++i) conflicts.push_back(ranked[i].second);
    Explainer explainer(p_, reason_, value_offset_);
    return explainer.Conflicts(conflicts);
  }

  const Problem& p_;
  const SolveLimits& limits_;
  const int n_;
  std::vector<int> word_offset_, word_count_, value_offset_;
  std::vector<std::uint64_t> dom_;  // current domains, bit r = rank r still possible
  std::vector<int> reason_;         // flat value → constraint that removed it at the root
  bool recording_ = false;
  int wiped_ = kNoService;
  int failed_extra_ = -1;
  std::vector<int> queue_;
  std::vector<char> in_queue_;
  std::vector<int> scratch_;  // a phase, kAbsent outside an enumeration
  std::vector<int> mins_;
  std::vector<int> best_;
  int best_total_ = 0;
  bool have_best_ = false;
  bool aborted_ = false;
  std::uint64_t nodes_ = 0;
  std::map<int, std::uint64_t> violations_;  // constraint → times it forced a branch
};

}  // namespace

Result<Solution, Failure> Solve(const Problem& problem, const SolveLimits& limits) {
  return BranchAndBound(problem, limits).Run();
}

}  // namespace maiev::solver
