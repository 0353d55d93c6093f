// PlanUpgrade: a shortest path of single-service upgrades through consistent phases.
//
// Services that must move are split into independent groups (no requirement links two groups),
// planned one after the other. Within a group, direct moves to the target are tried first — by a
// topological sort of pairwise precedences when only binary requirements link the group, else
// by a depth-first search: a plan of one step per service meets the lower bound, so it is
// shortest. Otherwise an A* search over phases (intermediate versions allowed, never a
// downgrade, never past the target; heuristic = services not yet at target, admissible and
// consistent since a step moves one service) finds a shortest path or proves there is none.
#include <algorithm>
#include <numeric>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "solver/explain.hpp"
#include "solver/solver.hpp"

namespace maiev::solver {
namespace {

class Planner {
 public:
  Planner(const Problem& p, const std::vector<int>& target, const PlanLimits& limits)
      : p_(p), target_(target), limits_(limits), n_(p.service_count()) {
    for (int s = 0; s < n_; ++s) phase_.push_back(p_.service(s).running);
    best_phase_ = phase_;
    best_remaining_ = Remaining(phase_);
  }

  Result<std::vector<Step>, Failure> Run() {
    if (!p_.has_running()) return std::vector<Step>{};
    BuildCandidates();
    start_consistent_ = p_.Consistent(phase_, false);
    std::vector<Step> plan;
    for (const auto& group : Groups()) {
      std::vector<Step> steps;
      const Ordering ordering = Order(group, steps);
      const bool found = ordering == Ordering::kFound ||
                         (ordering == Ordering::kNotApplicable && Direct(group, steps)) ||
                         (!limit_hit_ && AStar(group, steps));
      if (limit_hit_) return Unexpected<Failure>{LimitFailure()};
      if (!found) return Unexpected<Failure>{Blocked()};
      for (const Step& step : steps) phase_[step.service] = step.to;
      plan.insert(plan.end(), steps.begin(), steps.end());
    }
    return plan;
  }

 private:
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
      if (con.kind == ConstraintKind::kBinary) involved = {con.target};
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
    if (states > limits_.max_states) limit_hit_ = true;
    return limit_hit_;
  }

  enum class Ordering { kFound, kNone, kNotApplicable };

  // Whether a general requirement of a version that may run during the plan involves two or
  // more services that move.
  bool LinksSeveralMoving() const {
    for (int s = 0; s < n_; ++s) {
      for (const int rank : {phase_[s], target_[s]}) {
        if (rank == kAbsent) continue;
        for (int c : p_.ConstraintsOf(s, rank)) {
          const Constraint& con = p_.constraints()[c];
          if (con.kind != ConstraintKind::kGeneral) continue;
          int moving = 0;
          for (int t : con.services) moving += phase_[t] != target_[t] ? 1 : 0;
          if (moving >= 2) return true;
        }
      }
    }
    return false;
  }

  // When only pairwise (binary) requirements link the group's services and the start is
  // consistent, a phase where each service is at its start or its target is consistent iff
  // every pair is, so a plan of direct moves exists iff "s must move before t" has an order:
  // a topological sort finds it (kFound) or proves there is none (kNone).
  Ordering Order(const std::vector<int>& group, std::vector<Step>& steps) const {
    if (!start_consistent_ || LinksSeveralMoving()) return Ordering::kNotApplicable;
    const int k = static_cast<int>(group.size());
    std::unordered_map<int, int> position;
    for (int i = 0; i < k; ++i) position[group[i]] = i;
    // may_precede[i][j]: phase with i at target and j at start is consistent for the pair.
    std::vector<std::vector<char>> may_precede(k, std::vector<char>(k, 1));
    for (int i = 0; i < k; ++i) {
      const int s = group[i];
      for (const int rank : {target_[s], phase_[s]}) {
        if (rank == kAbsent) continue;
        const bool at_target = rank == target_[s];
        for (int c : p_.ConstraintsOf(s, rank)) {
          const Constraint& con = p_.constraints()[c];
          if (con.kind != ConstraintKind::kBinary) continue;
          auto it = position.find(con.target);
          if (it == position.end()) continue;
          const int t = con.target;
          // The other service is at its start when s is at target, and vice versa.
          const int other = at_target ? phase_[t] : target_[t];
          const bool met =
              other == kAbsent ? con.holds_without_target : TestBit(con.support, other);
          if (met) continue;
          if (at_target) {
            may_precede[i][it->second] = 0;
          } else {
            may_precede[it->second][i] = 0;
          }
        }
      }
    }
    // Edge j → i when i may not precede j.
    std::vector<std::vector<int>> after(k);
    std::vector<int> indegree(k, 0);
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        if (i == j || may_precede[i][j]) continue;
        if (!may_precede[j][i]) return Ordering::kNone;
        after[j].push_back(i);
        ++indegree[i];
      }
    }
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;  // catalog order first
    for (int i = 0; i < k; ++i) {
      if (indegree[i] == 0) ready.push(i);
    }
    std::vector<Step> order;
    while (!ready.empty()) {
      const int i = ready.top();
      ready.pop();
      order.push_back(Step{group[i], phase_[group[i]], target_[group[i]]});
      for (int j : after[i]) {
        if (--indegree[j] == 0) ready.push(j);
      }
    }
    if (static_cast<int>(order.size()) != k) return Ordering::kNone;
    steps = std::move(order);
    return Ordering::kFound;
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

  struct Node {
    std::vector<int> ranks;  // of the group's services
    int parent;
    int g;
    Step step;
  };

  bool AStar(const std::vector<int>& group, std::vector<Step>& steps) {
    const int k = static_cast<int>(group.size());
    auto h = [&](const std::vector<int>& ranks) {
      int count = 0;
      for (int i = 0; i < k; ++i) count += ranks[i] != target_[group[i]] ? 1 : 0;
      return count;
    };
    auto key = [](const std::vector<int>& ranks) {
      return std::string(reinterpret_cast<const char*>(ranks.data()), ranks.size() * sizeof(int));
    };
    std::vector<Node> nodes;
    std::unordered_map<std::string, int> index;
    using Entry = std::tuple<int, int, int>;  // f, -g, node
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
    std::vector<int> start(k);
    for (int i = 0; i < k; ++i) start[i] = phase_[group[i]];
    nodes.push_back(Node{start, -1, 0, Step{}});
    index.emplace(key(start), 0);
    open.emplace(h(start), 0, 0);
    std::vector<int> x = phase_;
    while (!open.empty()) {
      const auto [f, neg_g, id] = open.top();
      open.pop();
      if (-neg_g != nodes[id].g) continue;  // a shorter way here was found since
      const std::vector<int> ranks = nodes[id].ranks;
      for (int i = 0; i < k; ++i) x[group[i]] = ranks[i];
      NoteProgress(x);
      if (h(ranks) == 0) {
        for (int at = id; nodes[at].parent >= 0; at = nodes[at].parent) {
          steps.push_back(nodes[at].step);
        }
        std::reverse(steps.begin(), steps.end());
        return true;
      }
      const bool full = id == 0 && !start_consistent_;
      for (int i = 0; i < k; ++i) {
        const int s = group[i];
        const int from = ranks[i];
        for (int r : candidates_[s]) {
          if (from != kAbsent && r >= from) continue;  // never downgrade
          x[s] = r;
          if (Violation(x, s, full) < 0) {
            std::vector<int> next = ranks;
            next[i] = r;
            const int g = nodes[id].g + 1;
            auto [it, inserted] = index.emplace(key(next), static_cast<int>(nodes.size()));
            if (inserted || g < nodes[it->second].g) {
              if (inserted) {
                nodes.push_back(Node{next, id, g, Step{s, from, r}});
              } else {
                nodes[it->second] = Node{next, id, g, Step{s, from, r}};
              }
              open.emplace(g + h(next), -g, it->second);
            }
          }
          x[s] = from;
        }
      }
      if (TooMany(nodes.size())) return false;
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
    return Failure{"limit",
                   "the search for an upgrade path gave up after " +
                       std::to_string(limits_.max_states) + " phases",
                   BlockedSteps()};
  }

  const Problem& p_;
  const std::vector<int>& target_;
  const PlanLimits& limits_;
  const int n_;
  std::vector<int> phase_;  // the running phase, then after each planned group
  std::vector<std::vector<int>> candidates_;
  bool start_consistent_ = true;
  bool limit_hit_ = false;
  std::vector<int> best_phase_;
  int best_remaining_ = 0;
};

}  // namespace

Result<std::vector<Step>, Failure> PlanUpgrade(const Problem& problem,
                                               const std::vector<int>& target,
                                               const PlanLimits& limits) {
  return Planner(problem, target, limits).Run();
}

}  // namespace maiev::solver
