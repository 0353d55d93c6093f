// PlanUpgrade: a shortest path of single-service upgrades through consistent phases.
//
// Intermediate versions are first filtered: one that no version of some service can accompany
// (pairwise requirements, to a fixpoint) can never run, and one dominated by a neighbouring value
// (every consistent phase stays consistent with that value in its place) is never needed. Each
// service then gets a relaxed distance to its target: the fewest steps in its own versions where
// a step from v to w needs every linked service to have a version fitting both. Services that must
// move are split into independent groups (a requirement met by every version its target may take
// links nothing), planned one after the other. From a consistent phase a group is planned by
// PlanByRoutes (route_search.hpp): routes per service, an order of their moves found by
// precedences, and exact plans of small projections (patterns) where the moves conflict; a plan it
// finds has as many steps as the patterns' lower bound, so it is shortest. From an inconsistent
// running phase (one group), direct moves are tried first when the distances allow them (one step
// per service meets the lower bound), else A* over phases (never a downgrade, never past the
// target) with the sum of the distances as heuristic — admissible and consistent, since a step
// moves one service along one relaxed edge — finds a shortest path or proves there is none.
#include "solver/planner.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "solver/explain.hpp"
#include "solver/phase_search.hpp"
#include "solver/route_search.hpp"
#include "solver/solver.hpp"

namespace maiev::solver {
namespace {

constexpr int kUnreachable = 1 << 20;  // a relaxed distance: no path at all
// Phases a search may visit only to explain why there is no plan.
constexpr std::uint64_t kExplainStates = 2'000;
// Tuples of the other services a requirement reads that the dominance test enumerates at most.
constexpr std::size_t kDominanceTuples = 4'096;

class Planner {
 public:
  Planner(const Problem& p, const std::vector<int>& target, const PlanLimits& limits,
          PlanStats& stats)
      : p_(p), target_(target), limits_(limits), stats_(stats), n_(p.service_count()) {
    for (int s = 0; s < n_; ++s) phase_.push_back(p_.service(s).running);
    best_phase_ = phase_;
    best_remaining_ = Remaining(phase_);
  }

  Result<std::vector<Step>, Failure> Run() {
    if (!p_.has_running()) return std::vector<Step>{};
    BuildCandidates();
    start_consistent_ = p_.Consistent(phase_, false);
    BuildDomains();
    DropDominated();
    BuildDistances();
    std::vector<Step> plan;
    for (const auto& group : Groups()) {
      std::vector<Step> steps;
      group_ = group;
      explored_ = 0;
      const bool found =
          start_consistent_ ? ByRoutes(group, steps) : FromInconsistent(group, steps);
      if (limit_hit_) return Unexpected<Failure>{LimitFailure()};
      if (!found) return Unexpected<Failure>{Blocked()};
      for (const Step& step : steps) phase_[step.service] = step.to;
      plan.insert(plan.end(), steps.begin(), steps.end());
    }
    return plan;
  }

 private:
  // From a consistent phase: the exact search over routes (route_search.hpp). On success the
  // plan is replayed step by step as a safeguard; a phase it would break is a defect.
  bool ByRoutes(const std::vector<int>& group, std::vector<Step>& steps) {
    RouteInput input;
    input.phase = phase_;
    input.group = group;
    input.max_states = limits_.max_states;
    input.max_conflicts = limits_.max_conflicts;
    for (const int s : group) {
      std::vector<int> values = candidates_[s];  // ascending rank: the target first
      values.push_back(phase_[s]);
      const int size = static_cast<int>(values.size());
      std::vector<char> may_step(static_cast<std::size_t>(size) * size, 0);
      for (int i = 1; i < size; ++i) {
        for (int j = 0; j < i; ++j) may_step[i * size + j] = MayStep(s, values[i], values[j]);
      }
      input.values.push_back(std::move(values));
      input.may_step.push_back(std::move(may_step));
    }
    const RouteOutcome outcome = PlanByRoutes(p_, input);
    route_nodes_ = outcome.nodes;
    AddStats(outcome.stats);
    route_bound_ = outcome.lower_bound;
    route_pattern_ = outcome.pattern;
    switch (outcome.kind) {
      case RouteOutcome::Kind::kPlan:
        steps = outcome.steps;
        return Replays(steps);
      case RouteOutcome::Kind::kLimit:
        limit_hit_ = true;
        return false;
      case RouteOutcome::Kind::kNoPlan:
        break;
    }
    // No plan: a short search only to say how far one gets (Blocked()).
    state_cap_ = std::min<std::uint64_t>(state_cap_, kExplainStates);
    std::vector<Step> ignored;
    Direct(group, ignored);
    limit_hit_ = false;
    return false;
  }

  void AddStats(const RouteStats& add) {
    RouteStats& to = stats_.routes;
    to.patterns += add.patterns;
    to.by_routes += add.by_routes;
    to.by_phases += add.by_phases;
    to.by_sat += add.by_sat;
    to.sat_refutations += add.sat_refutations;
    to.deepenings += add.deepenings;
    to.checks += add.checks;
    to.backjumps += add.backjumps;
  }

  bool Replays(const std::vector<Step>& steps) const {
    std::vector<int> x = phase_;
    for (const Step& step : steps) {
      if (x[step.service] != step.from) return false;
      x[step.service] = step.to;
      if (Violation(x, step.service, false) >= 0) return false;
    }
    return std::all_of(group_.begin(), group_.end(), [&](int s) { return x[s] == target_[s]; });
  }

  // The running phase breaks a requirement (one group): direct moves when the distances allow
  // them, else A* over phases.
  bool FromInconsistent(const std::vector<int>& group, std::vector<Step>& steps) {
    // A plan of direct moves has one step per service: impossible when one needs two.
    const bool direct_possible = Bound(group) <= static_cast<long>(group.size());
    return (direct_possible && Direct(group, steps)) || (!limit_hit_ && AStar(group, steps));
  }

  int Remaining(const std::vector<int>& x) const {
    int count = 0;
    for (int s = 0; s < n_; ++s) count += x[s] != target_[s] ? 1 : 0;
    return count;
  }

  bool Usable(int s, int r) const {
    for (int c : p_.ConstraintsOf(s, r)) {
      const Constraint& con = p_.constraints()[c];
      if (con.kind == ConstraintKind::kFixed && !con.holds) return false;
    }
    return true;
  }

  // Candidate ranks per service: the target first, then the intermediate versions, newest first.
  void BuildCandidates() {
    candidates_.resize(n_);
    for (int s = 0; s < n_; ++s) {
      const int from = phase_[s];
      if (from == target_[s]) continue;
      candidates_[s].push_back(target_[s]);
      const int oldest = from == kAbsent ? static_cast<int>(p_.service(s).versions.size()) : from;
      for (int r = target_[s] + 1; r < oldest; ++r) {
        if (p_.service(s).allowed[r] && Usable(s, r)) candidates_[s].push_back(r);
      }
    }
  }

  // Value sets over "rank or not deployed": bit rank + 1, bit 0 for kAbsent.
  static int Bit(int value) { return value + 1; }
  int ValueWords(int s) const {
    return WordsFor(static_cast<int>(p_.service(s).versions.size()) + 1);
  }

  // Whether binary constraint `con` holds with its target at `value`.
  static bool Meets(const Constraint& con, int value) {
    return value == kAbsent ? con.holds_without_target : TestBit(con.support, value);
  }

  static bool Intersects(std::span<const std::uint64_t> a, std::span<const std::uint64_t> b) {
    for (std::size_t w = 0; w < a.size(); ++w) {
      if ((a[w] & b[w]) != 0) return true;
    }
    return false;
  }

  // Binary requirements restrict pairs: compat_[s][Bit(a)] lists, for each service u that a
  // requirement links to s at a (in either direction), the values of u that fit s at a.
  struct Allowed {
    int service;
    std::vector<std::uint64_t> values;
  };

  std::vector<std::uint64_t>& AllowedOf(int s, int a, int u) {
    auto& list = compat_[s][Bit(a)];
    for (auto& entry : list) {
      if (entry.service == u) return entry.values;
    }
    list.push_back(Allowed{u, std::vector<std::uint64_t>(ValueWords(u), ~std::uint64_t{0})});
    return list.back().values;
  }

  void ClearBit(std::vector<std::uint64_t>& bits, int b) {
    bits[static_cast<std::size_t>(b) / 64] &= ~(std::uint64_t{1} << (b % 64));
  }

  template <typename F>
  void ForEachValue(int s, F f) const {
    const int count = static_cast<int>(p_.service(s).versions.size()) + 1;
    for (int b = 0; b < count; ++b) {
      if (TestBit(dom_[s], b)) f(b - 1);
    }
  }

  // Domain filtering: a phase after the first step is consistent, so an intermediate version
  // that no value of some service can accompany (by the pairwise requirements) never runs.
  // Domains: the service's running value and candidates; a service that does not move has
  // its one value. Running values are kept (the start may be inconsistent).
  void BuildDomains() {
    dom_.assign(n_, {});
    compat_.assign(n_, {});
    for (int s = 0; s < n_; ++s) {
      dom_[s].assign(ValueWords(s), 0);
      compat_[s].resize(p_.service(s).versions.size() + 1);
      SetBit(dom_[s], Bit(phase_[s]));
      for (int r : candidates_[s]) SetBit(dom_[s], Bit(r));
    }
    for (int s = 0; s < n_; ++s) {
      ForEachValue(s, [&](int a) {
        if (a == kAbsent) return;
        for (int c : p_.ConstraintsOf(s, a)) {
          const Constraint& con = p_.constraints()[c];
          if (con.kind != ConstraintKind::kBinary) continue;
          const int u = con.target;
          ForEachValue(u, [&](int b) {
            if (Meets(con, b)) return;
            ClearBit(AllowedOf(s, a, u), Bit(b));
            ClearBit(AllowedOf(u, b, s), Bit(a));
          });
        }
      });
    }
    Filter();
  }

  // Drops the intermediate values that no value of some linked service can accompany, to a
  // fixpoint; true when it dropped any.
  bool Filter() {
    bool dropped = false;
    for (bool changed = true; changed;) {
      changed = false;
      for (int s = 0; s < n_; ++s) {
        for (int r : candidates_[s]) {
          if (r == target_[s] || !TestBit(dom_[s], Bit(r))) continue;
          for (const Allowed& entry : compat_[s][Bit(r)]) {
            if (!Intersects(entry.values, dom_[entry.service])) {
              ClearBit(dom_[s], Bit(r));
              changed = true;
              break;
            }
          }
        }
      }
      dropped = dropped || changed;
    }
    for (int s = 0; s < n_; ++s) {
      std::erase_if(candidates_[s], [&](int r) { return !TestBit(dom_[s], Bit(r)); });
    }
    return dropped;
  }

  // Dominated intermediate values. Value w of s dominates v when every consistent phase (of
  // domain values) running v stays consistent with w in its place. If w is next to v among the
  // values of s (the target, the intermediate values, the running value, by age), a plan through
  // v becomes one through w, no longer: the route's value before v is older than w or is w, the
  // one after is newer or is w (then the move is dropped), and every phase that ran v now runs
  // w. So v can go: the shortest plans keep their length, and "no plan" stays "no plan". Each
  // drop is sound for the values left, so drops and filtering alternate to a fixpoint.
  void DropDominated() {
    std::vector<char> examine(n_, 1);  // s or a service linked to it lost a value
    for (bool changed = true; changed;) {
      changed = false;
      std::vector<std::size_t> sizes(n_);
      for (int s = 0; s < n_; ++s) sizes[s] = candidates_[s].size();
      for (int s = 0; s < n_; ++s) {
        if (examine[s] == 0) continue;
        std::vector<int>& values = candidates_[s];  // newest first; the running value after
        for (std::size_t i = 1; i < values.size(); ++i) {
          const int older = i + 1 < values.size() ? values[i + 1] : phase_[s];
          if (!Dominates(s, values[i - 1], values[i]) && !Dominates(s, older, values[i])) continue;
          ClearBit(dom_[s], Bit(values[i]));
          values.erase(values.begin() + static_cast<std::ptrdiff_t>(i));
          --i;
          ++stats_.dominated;
          changed = true;
        }
      }
      if (changed) Filter();
      examine.assign(n_, 0);
      for (int s = 0; s < n_; ++s) {
        if (candidates_[s].size() == sizes[s]) continue;
        examine[s] = 1;
        for (const int u : Linked(s)) examine[u] = 1;
      }
    }
  }

  // The services whose domains the test of s reads (binary links either way, general
  // requirements over s), by the domains before DropDominated: after a pass, only services
  // linked to one that lost a value are tested again.
  const std::vector<int>& Linked(int s) {
    if (linked_.empty()) {
      linked_.resize(n_);
      for (int t = 0; t < n_; ++t) {
        std::vector<int>& linked = linked_[t];
        for (const auto& list : compat_[t]) {
          for (const Allowed& entry : list) linked.push_back(entry.service);
        }
        for (const int c : p_.GeneralOn(t)) {
          const auto& services = p_.constraints()[c].services;
          linked.insert(linked.end(), services.begin(), services.end());
        }
        std::sort(linked.begin(), linked.end());
        linked.erase(std::unique(linked.begin(), linked.end()), linked.end());
      }
    }
    return linked_[s];
  }

  // Whether w of s dominates v (DropDominated), by a sufficient test over the domains: every
  // value of a linked service that the binary requirements let run with v they let run with w
  // (PairsDominate); each general requirement of another service that reads s and holds with v
  // holds with w; and each general requirement of w, wherever it fails, is broken there by a
  // requirement of v that reads no more services.
  bool Dominates(int s, int w, int v) {
    if (!PairsDominate(s, w, v)) return false;
    std::vector<int>& x = scratch_;
    x = phase_;
    for (const int c : p_.GeneralOn(s)) {
      const Constraint& con = p_.constraints()[c];
      const int g = con.guard_service;
      if (g == kAbsent || g == s || !TestBit(dom_[g], Bit(con.guard_rank))) continue;
      if (p_.ReadsAlike(con.requirement, s, v, w)) continue;
      const std::vector<std::uint64_t>* with_v = TuplesMeeting(c, s, v);
      const std::vector<std::uint64_t>* with_w = TuplesMeeting(c, s, w);
      if (with_v == nullptr || with_w == nullptr) return false;
      for (std::size_t i = 0; i < with_v->size(); ++i) {
        if (((*with_v)[i] & ~(*with_w)[i]) != 0) return false;
      }
    }
    if (w == kAbsent) return true;  // requires nothing
    for (const int c : p_.ConstraintsOf(s, w)) {
      const Constraint& con = p_.constraints()[c];
      if (con.kind == ConstraintKind::kFixed && !con.holds) return false;
      if (con.kind != ConstraintKind::kGeneral) continue;  // binary: PairsDominate
      const std::vector<int> others = Others(con.services, s, s);
      const bool implied = ForEachTuple(others, x, [&] {
        x[s] = w;
        if (p_.Satisfied(c, x)) return true;
        x[s] = v;
        return std::any_of(p_.ConstraintsOf(s, v).begin(), p_.ConstraintsOf(s, v).end(),
                           [&](int d) { return Within(d, s, others) && !p_.Satisfied(d, x); });
      });
      x[s] = phase_[s];
      if (!implied) return false;
    }
    return true;
  }

  // The binary requirements between s and each service linked to it, both ways: every value in
  // the domain of that service that fits v fits w.
  bool PairsDominate(int s, int w, int v) const {
    const auto& with_v = compat_[s][Bit(v)];
    for (const Allowed& entry : compat_[s][Bit(w)]) {
      const Allowed* fits_v = FindAllowed(with_v, entry.service);
      const auto& dom = dom_[entry.service];
      for (std::size_t i = 0; i < dom.size(); ++i) {
        const std::uint64_t v_values = fits_v != nullptr ? fits_v->values[i] : ~std::uint64_t{0};
        if ((dom[i] & v_values & ~entry.values[i]) != 0) return false;
      }
    }
    return true;
  }

  static const Allowed* FindAllowed(const std::vector<Allowed>& list, int u) {
    for (const Allowed& entry : list) {
      if (entry.service == u) return &entry;
    }
    return nullptr;
  }

  // The tuples of the other services general constraint c reads (its guard at its rank; their
  // domains when first asked, a superset of the later ones) on which c holds with s at `value`,
  // as bits; nullptr when there are more than kDominanceTuples. Cached: c is evaluated once per
  // tuple and value.
  const std::vector<std::uint64_t>* TuplesMeeting(int c, int s, int value) {
    const auto key = std::tuple(c, s, value);
    if (const auto it = tuples_meeting_.find(key); it != tuples_meeting_.end()) {
      return it->second.empty() ? nullptr : &it->second;
    }
    const Constraint& con = p_.constraints()[c];
    const int g = con.guard_service;
    const auto emplaced = tuple_domains_.try_emplace(std::pair(c, s));
    const auto domains = emplaced.first;  // a plain name: the lambda below captures it
    if (emplaced.second) {
      for (const int t : Others(con.services, s, g)) {
        domains->second.emplace_back(t, std::vector<int>{});
        ForEachValue(t, [&](int b) { domains->second.back().second.push_back(b); });
      }
    }
    std::size_t tuples = 1;
    for (const auto& [t, values] : domains->second) {
      tuples *= values.size();
      if (tuples > kDominanceTuples) break;
    }
    std::vector<std::uint64_t>& bits = tuples_meeting_[key];
    if (tuples > kDominanceTuples) return nullptr;
    bits.assign(WordsFor(static_cast<int>(tuples)) + 1, 0);  // never empty
    std::vector<int>& x = scratch_;
    x = phase_;
    x[g] = con.guard_rank;
    x[s] = value;
    for (std::size_t n = 0; n < tuples; ++n) {
      std::size_t rest = n;
      for (const auto& [t, values] : domains->second) {
        x[t] = values[rest % values.size()];
        rest /= values.size();
      }
      if (p_.Satisfied(c, x)) SetBit(bits, static_cast<int>(n));
    }
    x = phase_;
    return &bits;
  }

  static std::vector<int> Others(const std::vector<int>& services, int s, int g) {
    std::vector<int> others;
    for (const int t : services) {
      if (t != s && t != g) others.push_back(t);
    }
    return others;
  }

  // Whether constraint d (of s) reads only s and `others`.
  bool Within(int d, int s, const std::vector<int>& others) const {
    const Constraint& con = p_.constraints()[d];
    auto among = [&](int t) {
      return t == s || std::find(others.begin(), others.end(), t) != others.end();
    };
    switch (con.kind) {
      case ConstraintKind::kFixed:
        return false;  // holds: s's values are usable
      case ConstraintKind::kBinary:
        return among(con.target);
      case ConstraintKind::kGeneral:
        return std::all_of(con.services.begin(), con.services.end(), among);
    }
    return false;
  }

  // Whether f() holds for every assignment in x of `services` to values of their domains; false
  // when there are more than kDominanceTuples of them. Restores x.
  template <typename F>
  bool ForEachTuple(const std::vector<int>& services, std::vector<int>& x, F f) const {
    std::vector<std::vector<int>> values(services.size());
    std::size_t tuples = 1;
    for (std::size_t t = 0; t < services.size(); ++t) {
      ForEachValue(services[t], [&](int value) { values[t].push_back(value); });
      tuples *= values[t].size();
      if (tuples > kDominanceTuples) return false;
    }
    std::vector<std::size_t> at(services.size(), 0);
    bool holds = true;
    for (std::size_t n = 0; n < tuples && holds; ++n) {
      for (std::size_t t = 0, rest = n; t < services.size(); ++t) {
        at[t] = rest % values[t].size();
        rest /= values[t].size();
        x[services[t]] = values[t][at[t]];
      }
      holds = f();
    }
    for (const int t : services) x[t] = phase_[t];
    return holds;
  }

  // Whether s may step from `from` to `to` in some pair of consecutive phases, by the pairwise
  // requirements: every linked service has a value in its domain that fits both (only `to`
  // when the phase left may be inconsistent or s is not deployed yet).
  bool MayStep(int s, int from, int to) const {
    const bool check_from = from != kAbsent && (start_consistent_ || from != phase_[s]);
    const auto& to_list = compat_[s][Bit(to)];
    const auto& from_list = compat_[s][Bit(from)];
    const auto find = FindAllowed;
    for (const Allowed& entry : to_list) {
      const Allowed* other = check_from ? find(from_list, entry.service) : nullptr;
      const auto& dom = dom_[entry.service];
      bool fits = false;
      for (std::size_t w = 0; w < dom.size() && !fits; ++w) {
        fits = (entry.values[w] & dom[w] & (other ? other->values[w] : ~std::uint64_t{0})) != 0;
      }
      if (!fits) return false;
    }
    if (check_from) {
      for (const Allowed& entry : from_list) {
        if (find(to_list, entry.service) == nullptr &&
            !Intersects(entry.values, dom_[entry.service])) {
          return false;
        }
      }
    }
    return true;
  }

  // dist_[s][Bit(v)]: fewest steps from v to the target of s in the relaxation where each
  // step only needs MayStep (kUnreachable: none). Summed over services it is a lower bound on
  // the steps left (admissible), and a step lowers it by at most one (consistent).
  void BuildDistances() {
    dist_.assign(n_, {});
    for (int s = 0; s < n_; ++s) {
      if (phase_[s] == target_[s]) continue;
      dist_[s].assign(p_.service(s).versions.size() + 1, kUnreachable);
      std::vector<int> values = candidates_[s];  // ascending rank: the target first
      std::sort(values.begin(), values.end());
      values.push_back(phase_[s]);
      dist_[s][Bit(target_[s])] = 0;
      for (std::size_t i = 1; i < values.size(); ++i) {
        const int from = values[i];
        int best = kUnreachable;
        for (std::size_t j = 0; j < i; ++j) {
          const int to = values[j];
          if (dist_[s][Bit(to)] + 1 < best && MayStep(s, from, to)) best = dist_[s][Bit(to)] + 1;
        }
        dist_[s][Bit(from)] = best;
      }
    }
  }

  int Distance(int s, int value) const { return value == target_[s] ? 0 : dist_[s][Bit(value)]; }

  // Lower bound on the steps the group needs from the current phase.
  long Bound(const std::vector<int>& group) const {
    long total = 0;
    for (int s : group) total += Distance(s, phase_[s]);
    return total;
  }

  // Services to move, split into groups that no requirement links. Without a consistent start
  // the split is unsound (a violation in one group would show in the other's phases): one group.
  std::vector<std::vector<int>> Groups() const {
    std::vector<int> moving;
    for (int s = 0; s < n_; ++s) {
      if (phase_[s] != target_[s]) moving.push_back(s);
    }
    if (!start_consistent_) {
      return moving.empty() ? std::vector<std::vector<int>>{}
                            : std::vector<std::vector<int>>{moving};
    }
    std::vector<int> parent(n_);
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](int s) {
      while (parent[s] != s) s = parent[s] = parent[parent[s]];
      return s;
    };
    auto link_all = [&](int c) {
      const Constraint& con = p_.constraints()[c];
      std::vector<int> involved = con.services;
      if (con.kind == ConstraintKind::kBinary) {
        // Met by every value its target can take: a constant, it links nothing.
        bool always = true;
        ForEachValue(con.target, [&](int b) { always = always && Meets(con, b); });
        if (always) return;
        involved = {con.target};
      }
      if (con.guard_service != kAbsent) involved.push_back(con.guard_service);
      int first = -1;
      for (int s : involved) {
        if (phase_[s] == target_[s]) continue;  // fixed: a constant
        if (first < 0) {
          first = s;
        } else {
          parent[find(s)] = find(first);
        }
      }
    };
    for (int s = 0; s < n_; ++s) {
      if (phase_[s] == target_[s]) {
        if (phase_[s] != kAbsent) {
          for (int c : p_.ConstraintsOf(s, phase_[s])) link_all(c);
        }
        continue;
      }
      std::vector<int> ranks = candidates_[s];
      if (phase_[s] != kAbsent) ranks.push_back(phase_[s]);
      for (int r : ranks) {
        for (int c : p_.ConstraintsOf(s, r)) link_all(c);
      }
    }
    std::vector<std::vector<int>> groups;
    std::unordered_map<int, std::size_t> group_of;
    for (int s : moving) {
      auto [it, inserted] = group_of.emplace(find(s), groups.size());
      if (inserted) groups.emplace_back();
      groups[it->second].push_back(s);
    }
    return groups;
  }

  // The first requirement that fails once `s` has moved in `x`, or -1. Checks only what the move
  // can change, unless the phase it leaves may be inconsistent (the start).
  int Violation(const std::vector<int>& x, int s, bool full) const {
    if (full) {
      for (int t = 0; t < n_; ++t) {
        if (x[t] == kAbsent) continue;
        for (int c : p_.ConstraintsOf(t, x[t])) {
          if (!p_.Satisfied(c, x)) return c;
        }
      }
      return -1;
    }
    for (int c : p_.ConstraintsOf(s, x[s])) {
      if (!p_.Satisfied(c, x)) return c;
    }
    for (int c : p_.BinaryOn(s)) {
      if (!p_.Satisfied(c, x)) return c;
    }
    for (int c : p_.GeneralOn(s)) {
      if (p_.constraints()[c].guard_service != kAbsent && !p_.Satisfied(c, x)) return c;
    }
    return -1;
  }

  void NoteProgress(const std::vector<int>& x) {
    const int remaining = Remaining(x);
    if (remaining < best_remaining_) {
      best_remaining_ = remaining;
      best_phase_ = x;
    }
  }

  bool TooMany(std::size_t states) {
    if (states > state_cap_) limit_hit_ = true;
    return limit_hit_;
  }

  // Depth-first over "move a service straight to its target", phases remembered by the set of
  // services moved.
  bool Direct(const std::vector<int>& group, std::vector<Step>& steps) {
    std::vector<int> x = phase_;
    std::string moved(group.size(), '0');
    std::unordered_set<std::string> visited;
    return DirectFrom(group, x, moved, visited, steps);
  }

  bool DirectFrom(const std::vector<int>& group, std::vector<int>& x, std::string& moved,
                  std::unordered_set<std::string>& visited, std::vector<Step>& steps) {
    NoteProgress(x);
    if (moved.find('0') == std::string::npos) return true;
    if (!visited.insert(moved).second || TooMany(visited.size())) return false;
    const bool full = steps.empty() && !start_consistent_;
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (moved[i] == '1') continue;
      const int s = group[i];
      const int from = x[s];
      x[s] = target_[s];
      if (Violation(x, s, full) < 0) {
        moved[i] = '1';
        steps.push_back(Step{s, from, target_[s]});
        if (DirectFrom(group, x, moved, visited, steps)) return true;
        steps.pop_back();
        moved[i] = '0';
      }
      x[s] = from;
      if (limit_hit_) return false;
    }
    return false;
  }

  // A* over the group's phases (phase_search.hpp); h = sum of the services' relaxed distances
  // (BuildDistances).
  class GroupDomain {
   public:
    GroupDomain(Planner& planner, const std::vector<int>& group)
        : planner_(planner), group_(group), x_(planner.phase_) {}

    long Cost(int i, int value) const { return planner_.Distance(group_[i], value); }
    bool MayMove(int i, int from, int to) const {
      // Never downgrade; never to a version that cannot reach the target.
      return (from == kAbsent || to < from) && Cost(i, to) < kUnreachable;
    }
    bool Holds(const std::vector<int>& next, int i, bool from_start) {
      for (std::size_t t = 0; t < group_.size(); ++t) x_[group_[t]] = next[t];
      return planner_.Violation(x_, group_[i], from_start && !planner_.start_consistent_) < 0;
    }
    void Expanded(const std::vector<int>& phase) {
      ++planner_.explored_;
      ++planner_.stats_.phases_expanded;
      for (std::size_t t = 0; t < group_.size(); ++t) x_[group_[t]] = phase[t];
      planner_.NoteProgress(x_);
    }

   private:
    Planner& planner_;
    const std::vector<int>& group_;
    std::vector<int> x_;  // the phase, all services
  };

  bool AStar(const std::vector<int>& group, std::vector<Step>& steps) {
    GroupDomain domain(*this, group);
    std::vector<int> start;
    std::vector<PhaseMove> moves;
    for (std::size_t i = 0; i < group.size(); ++i) {
      start.push_back(phase_[group[i]]);
      for (const int r : candidates_[group[i]]) moves.push_back(PhaseMove{static_cast<int>(i), r});
    }
    if (Bound(group) >= kUnreachable) return false;
    std::vector<PhaseStep> path;
    switch (PartialExpansionAStar(domain, start, moves, state_cap_, path)) {
      case PhaseSearchResult::kFound:
        for (const PhaseStep& step : path)
          steps.push_back(Step{group[step.slot], step.from, step.to});
        return true;
      case PhaseSearchResult::kLimit:
        limit_hit_ = true;
        return false;
      case PhaseSearchResult::kNone:
        break;
    }
    return false;
  }

  std::string PhaseText(const std::vector<int>& x) const {
    std::string out;
    for (int s = 0; s < n_; ++s) {
      if (x[s] == target_[s]) continue;
      if (!out.empty()) out += ", ";
      out += p_.Describe(s, x[s]);
    }
    return out;
  }

  // For each service not at target in the phase closest to it, why its step is blocked.
  std::vector<std::string> BlockedSteps() const {
    std::vector<std::string> reasons;
    std::vector<int> x = best_phase_;
    for (int s = 0; s < n_; ++s) {
      if (x[s] == target_[s]) continue;
      const int from = x[s];
      x[s] = target_[s];
      const int c = Violation(x, s, !start_consistent_ && x == phase_);
      x[s] = from;
      if (c < 0) continue;
      const Constraint& con = p_.constraints()[c];
      const std::string move = p_.service(s).name + " " +
                               (from == kAbsent ? "(not deployed)" : p_.service(s).versions[from]) +
                               " → " + p_.service(s).versions[target_[s]];
      std::string why =
          p_.Describe(con.guard_service, con.guard_rank) + " requires `" + p_.Text(c) + "`";
      if (con.guard_service == s) {
        why += con.kind == ConstraintKind::kBinary
                   ? ", not met while " + p_.Describe(con.target, x[con.target]) + " runs"
                   : ", not met by the phase";
      } else {
        why += ", which " + p_.Describe(s, target_[s]) + " does not meet";
      }
      reasons.push_back("upgrading " + move + " is blocked: " + why);
    }
    return reasons;
  }

  Failure Blocked() const {
    const int done = Remaining(phase_) - best_remaining_;
    std::string message =
        "no upgrade path: from the running phase every sequence of single-service steps breaks "
        "a requirement";
    if (done > 0) {
      message += "; furthest reached with " + std::to_string(done) +
                 " service(s) upgraded, still to move: " + PhaseText(best_phase_);
    }
    message += " (some services would have to change at once)";
    return Failure{"no_plan", message, BlockedSteps()};
  }

  Failure LimitFailure() const {
    constexpr std::size_t kNamesShown = 8;
    auto names = [&](const std::vector<int>& services) {
      std::string text;
      for (std::size_t i = 0; i < services.size() && i < kNamesShown; ++i) {
        text += (i == 0 ? "" : ", ") + p_.service(services[i]).name;
      }
      if (services.size() > kNamesShown) text += ", …";
      return text;
    };
    std::string message = "the search for an upgrade path of " + std::to_string(group_.size()) +
                          " linked services (" + names(group_) + ") gave up: ";
    if (!start_consistent_) {
      message += std::to_string(limits_.max_states) + " phases kept, " + std::to_string(explored_) +
                 " explored, at least " + std::to_string(Bound(group_)) + " steps needed";
    } else {
      message += std::to_string(route_nodes_) + " route assignments checked";
      if (!route_pattern_.empty()) {
        message += ", then planning the " + std::to_string(route_pattern_.size()) +
                   " services whose moves conflict (" + names(route_pattern_) + ") over " +
                   std::to_string(limits_.max_states) +
                   " route checks per member order and phases kept by A* (and at most " +
                   std::to_string(limits_.max_conflicts) + " SAT conflicts for the group)";
      }
      message += ", at least " + std::to_string(route_bound_) + " steps needed";
    }
    return Failure{"limit", message, BlockedSteps()};
  }

  const Problem& p_;
  const std::vector<int>& target_;
  const PlanLimits& limits_;
  PlanStats& stats_;
  const int n_;
  std::vector<int> phase_;  // the running phase, then after each planned group
  std::vector<std::vector<int>> candidates_;
  std::vector<std::vector<std::uint64_t>> dom_;            // by service: values (Bit) it may take
  std::vector<std::vector<std::vector<Allowed>>> compat_;  // by service, Bit(value)
  std::vector<std::vector<int>> dist_;                     // by service, Bit(value); moving only
  std::vector<int> group_;                                 // the group being planned
  std::uint64_t explored_ = 0;                             // phases expanded for group_
  bool start_consistent_ = true;
  bool limit_hit_ = false;
  std::uint64_t state_cap_ = limits_.max_states;  // for Direct and AStar
  std::uint64_t route_nodes_ = 0;                 // route assignments checked (ByRoutes)
  int route_bound_ = 0;                           // steps proved needed (ByRoutes)
  std::vector<int> route_pattern_;                // the pattern whose projection gave up (ByRoutes)
  std::vector<int> best_phase_;
  int best_remaining_ = 0;
  std::vector<int> scratch_;              // a phase, for Dominates
  std::vector<std::vector<int>> linked_;  // by service, for DropDominated (Linked)
  std::map<std::tuple<int, int, int>, std::vector<std::uint64_t>> tuples_meeting_;
  std::map<std::pair<int, int>, std::vector<std::pair<int, std::vector<int>>>> tuple_domains_;
};

}  // namespace

Result<std::vector<Step>, Failure> PlanUpgrade(const Problem& problem,
                                               const std::vector<int>& target,
                                               const PlanLimits& limits, PlanStats& stats) {
  return Planner(problem, target, limits, stats).Run();
}

Result<std::vector<Step>, Failure> PlanUpgrade(const Problem& problem,
                                               const std::vector<int>& target,
                                               const PlanLimits& limits) {
  PlanStats stats;
  return PlanUpgrade(problem, target, limits, stats);
}

}  // namespace maiev::solver
