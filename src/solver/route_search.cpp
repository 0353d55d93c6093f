// PlanByRoutes: routes, precedences and patterns (route_search.hpp).
//
// Events. With routes fixed, member a has events 1 … L(a): "a arrives at position i of its
// route". Position i holds from its arrival to the next one (position 0 from the start, the
// last one to the end). A combination of positions, one per service a requirement reads, runs
// at once in some phase iff every arrival comes before every departure; so a combination that
// breaks the requirement is avoided iff some member p leaves its position before another member
// q arrives at its own: a clause "event(p, i_p + 1) before event(q, i_q)" over the ordered pairs
// (no literal when p never leaves or q is there from the start).
//
// Orders. `Precedence` keeps the transitive closure of the chosen "before" edges, adds the one
// literal left of a clause whose other literals would close a cycle, and branches over the
// literals of a clause when none is forced. Each edge carries the services whose routes produced
// the clauses behind it, so a failure names only those: any route assignment that agrees with the
// current one on them fails the same way (an incomplete name would only cost time: a plan is
// always replayed by the caller, and optimality rests on the projections' bounds).
//
// Patterns. Each failed check merges its conflict into a pattern, planned exactly in projection
// (Project); patterns only grow, so the loop ends, at worst with the whole group as one pattern.
// The patterns form a tree (a pattern's children are the patterns and members it absorbed), and
// each pattern's length bounds its share of its parent's projection: the route search uses the
// tree as its lower bound.
#include "solver/route_search.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "solver/phase_search.hpp"
#include "solver/step_sat.hpp"

namespace maiev::solver {
namespace {

using Label = std::vector<std::uint64_t>;  // a set of group indices

void Merge(Label& into, const Label& from) {
  for (std::size_t w = 0; w < into.size(); ++w) into[w] |= from[w];
}

struct Literal {
  int before;  // event
  int after;   // event
};

struct Clause {
  std::vector<Literal> literals;  // one must hold
  Label label;                    // the services whose routes produced it
};

// Finds an order of events meeting every clause, or a conflict. Not thread-safe.
class Precedence {
 public:
  // `clauses` must outlive the object.
  Precedence(int events, int label_words, const std::vector<Clause>& clauses)
      : n_(events),
        words_(WordsFor(events)),
        label_words_(label_words),
        reach_(static_cast<std::size_t>(n_) * words_, 0),
        out_(n_),
        clauses_(clauses) {}

  // True when an order exists (then Order() gives one); else `conflict` names the services whose
  // routes the proof used.
  bool Solve(Label& conflict) { return Search(conflict); }

  // After a successful Solve: every event, each after those the chosen edges put before it;
  // among the events that may come next, the least id first.
  std::vector<int> Order() const {
    std::vector<int> indegree(n_, 0);
    for (const Edge& e : edges_) ++indegree[e.to];
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;
    for (int v = 0; v < n_; ++v) {
      if (indegree[v] == 0) ready.push(v);
    }
    std::vector<int> order;
    while (!ready.empty()) {
      const int v = ready.top();
      ready.pop();
      order.push_back(v);
      for (const int e : out_[v]) {
        if (--indegree[edges_[e].to] == 0) ready.push(edges_[e].to);
      }
    }
    return order;
  }

 private:
  struct Edge {
    int from;
    int to;
    Label label;
  };

  bool Reaches(int a, int b) const {
    return ((reach_[static_cast<std::size_t>(a) * words_ + b / 64] >> (b % 64)) & 1U) != 0;
  }

  bool Satisfied(const Clause& clause) const {
    return std::any_of(clause.literals.begin(), clause.literals.end(),
                       [&](const Literal& l) { return Reaches(l.before, l.after); });
  }

  // Literals whose edge would not close a cycle.
  void Live(const Clause& clause, std::vector<Literal>& live) const {
    live.clear();
    for (const Literal& l : clause.literals) {
      if (!Reaches(l.after, l.before)) live.push_back(l);
    }
  }

  // The services behind some path of edges from `from` to `to` (one exists).
  Label PathLabel(int from, int to) const {
    std::vector<int> via(n_, -1);
    std::vector<char> seen(n_, 0);
    std::deque<int> queue{from};
    seen[from] = 1;
    while (!queue.empty() && seen[to] == 0) {
      const int v = queue.front();
      queue.pop_front();
      for (const int e : out_[v]) {
        const int w = edges_[e].to;
        if (seen[w] != 0) continue;
        seen[w] = 1;
        via[w] = e;
        queue.push_back(w);
      }
    }
    Label label(label_words_, 0);
    for (int at = to; at != from && via[at] >= 0; at = edges_[via[at]].from) {
      Merge(label, edges_[via[at]].label);
    }
    return label;
  }

  // The clause's own services and those of the paths that rule out its dead literals.
  Label Why(const Clause& clause) const {
    Label label = clause.label;
    for (const Literal& l : clause.literals) {
      if (Reaches(l.after, l.before)) Merge(label, PathLabel(l.after, l.before));
    }
    return label;
  }

  // REQUIRES: !Reaches(l.after, l.before) (the graph stays acyclic).
  void AddEdge(const Literal& l, Label label) {
    out_[l.before].push_back(static_cast<int>(edges_.size()));
    edges_.push_back(Edge{l.before, l.after, std::move(label)});
    const std::size_t to_row = static_cast<std::size_t>(l.after) * words_;
    for (int a = 0; a < n_; ++a) {
      if (a != l.before && !Reaches(a, l.before)) continue;
      const std::size_t row = static_cast<std::size_t>(a) * words_;
      for (int w = 0; w < words_; ++w) reach_[row + w] |= reach_[to_row + w];
      reach_[row + l.after / 64] |= std::uint64_t{1} << (l.after % 64);
    }
  }

  void Truncate(std::size_t edges) {
    while (edges_.size() > edges) {
      out_[edges_.back().from].pop_back();
      edges_.pop_back();
    }
  }

  bool Search(Label& conflict) {
    std::vector<Literal> live;
    for (bool progress = true; progress;) {
      progress = false;
      for (const Clause& clause : clauses_) {
        if (Satisfied(clause)) continue;
        Live(clause, live);
        if (live.size() > 1) continue;
        Label why = Why(clause);
        if (live.empty()) {
          conflict = std::move(why);
          return false;
        }
        AddEdge(live[0], std::move(why));
        progress = true;
      }
    }
    const auto open = std::find_if(clauses_.begin(), clauses_.end(),
                                   [&](const Clause& c) { return !Satisfied(c); });
    if (open == clauses_.end()) return true;
    Live(*open, live);
    const Label why = Why(*open);
    conflict = why;
    for (const Literal& l : live) {
      const std::vector<std::uint64_t> reach = reach_;
      const std::size_t edges = edges_.size();
      AddEdge(l, why);
      Label sub;
      if (Search(sub)) return true;
      Merge(conflict, sub);
      reach_ = reach;
      Truncate(edges);
    }
    return false;
  }

  int n_;
  int words_;
  int label_words_;
  std::vector<std::uint64_t> reach_;  // row a: the events after a
  std::vector<Edge> edges_;
  std::vector<std::vector<int>> out_;  // event → edge ids
  const std::vector<Clause>& clauses_;
};

using Route = std::vector<int>;  // value indices, from the start (values.size() - 1) down to 0

int Length(const Route& route) { return static_cast<int>(route.size()) - 1; }

void ClearBit(Label& label, int a) {
  label[static_cast<std::size_t>(a) / 64] &= ~(std::uint64_t{1} << (a % 64));
}

class RouteSearch {
 public:
  RouteSearch(const Problem& p, const RouteInput& in)
      : p_(p),
        in_(in),
        k_(static_cast<int>(in.group.size())),
        words_(WordsFor(k_)),
        x_(in.phase),
        member_(p.service_count(), -1) {
    for (int a = 0; a < k_; ++a) member_[in.group[a]] = a;
  }

  RouteOutcome Run() {
    Prepare();
    RouteOutcome out;
    route_.assign(k_, {});
    pattern_.assign(k_, -1);
    for (int a = 0; a < k_; ++a) {
      if (dist_[a][Size(a) - 1] >= kNone) return out;  // kNoPlan: a cannot reach its target
      route_[a] = Shortest(a);
    }
    for (;;) {
      out.lower_bound = 0;
      for (const Route& route : route_) out.lower_bound += Length(route);
      out.stats = stats_;
      if (out.nodes >= in_.max_states) {
        out.kind = RouteOutcome::Kind::kLimit;
        return out;
      }
      ++out.nodes;
      Label conflict;
      if (Check(conflict)) {
        out.kind = RouteOutcome::Kind::kPlan;
        out.steps = std::move(steps_);
        return out;
      }
      Absorb(conflict);
      const std::vector<int>& members = patterns_.back();
      int share = 0;  // the pattern's share of the bound before
      for (const int child : tree_[Root()].children) {
        share += child < k_ ? dist_[child][Start(child)] : tree_[child].bound;
      }
      const Projected projected = Project(members);
      out.stats = stats_;
      if (projected == Projected::kLimit) {
        for (const int a : members) out.pattern.push_back(in_.group[a]);
        out.lower_bound += proved_ - share;
      }
      if (projected != Projected::kSolved) {
        out.kind = projected == Projected::kNoPlan ? RouteOutcome::Kind::kNoPlan
                                                   : RouteOutcome::Kind::kLimit;
        return out;
      }
    }
  }

 private:
  friend class ProjectionDomain;
  static constexpr int kNone = 1 << 20;  // no route

  // A requirement that may break during the plan (of one value of a member, or of a service
  // outside the group), and the members it reads besides its guard.
  struct Occurrence {
    int constraint;
    std::vector<int> partners;
  };

  // An occurrence of a member's value that reads another member (readers_).
  struct Reader {
    int member;  // the guard
    int value;   // value index of the guard
    int index;   // into by_value_[member][value]
  };

  // A route of a member: RoutesOf(member, length)[index].
  struct RouteId {
    int length = -1;
    int index = -1;
    bool operator==(const RouteId&) const = default;
  };

  // Routes (by member) that never complete together, and the members they name.
  struct Nogood {
    std::vector<std::pair<int, RouteId>> routes;
    Label label;
  };

  // The pattern tree: node a < k_ is member a, node k_ + id is pattern id, its children the
  // patterns and members it absorbed. A node's least: for a member, the length of its route when
  // placed by the route search, else its distance; for a pattern, the greater of its bound (the
  // length of its projection's shortest plan) and the sum of its children's least. Every plan of
  // a projection whose routes agree with the placed ones has at least the root's least moves.
  struct TreeNode {
    int parent = -1;
    int bound = 0;
    int sum = 0;  // a member: its least; a pattern: its children's least, summed
    std::vector<int> children;
    int Least() const { return std::max(sum, bound); }
  };

  int Size(int a) const { return static_cast<int>(in_.values[a].size()); }
  bool MayStep(int a, int i, int j) const { return in_.may_step[a][i * Size(a) + j] != 0; }
  int Start(int a) const { return Size(a) - 1; }

  std::vector<int> Partners(const Constraint& con, int service) const {
    std::vector<int> partners;
    if (con.kind == ConstraintKind::kBinary) {
      if (member_[con.target] >= 0 && con.target != service)
        partners.push_back(member_[con.target]);
    } else if (con.kind == ConstraintKind::kGeneral) {
      for (const int t : con.services) {
        if (t != service && member_[t] >= 0) partners.push_back(member_[t]);
      }
    }
    return partners;
  }

  // Requirements by guard value; values that a requirement of a fixed value rules out.
  void Prepare() {
    usable_.assign(k_, {});
    by_value_.assign(k_, {});
    for (int a = 0; a < k_; ++a) {
      usable_[a].assign(Size(a), 1);
      by_value_[a].resize(Size(a));
    }
    for (int a = 0; a < k_; ++a) {
      const int s = in_.group[a];
      for (int i = 0; i < Start(a); ++i) {  // the start is consistent: it is never ruled out
        const int v = in_.values[a][i];
        if (v == kAbsent) continue;
        x_[s] = v;
        for (const int c : p_.ConstraintsOf(s, v)) {
          std::vector<int> partners = Partners(p_.constraints()[c], s);
          if (partners.empty()) {
            if (!p_.Satisfied(c, x_)) usable_[a][i] = 0;
          } else {
            by_value_[a][i].push_back(Occurrence{c, std::move(partners)});
          }
        }
        x_[s] = in_.phase[s];
      }
      if (in_.values[a][Start(a)] == kAbsent) continue;
      for (const int c : p_.ConstraintsOf(s, in_.values[a][Start(a)])) {
        std::vector<int> partners = Partners(p_.constraints()[c], s);
        if (!partners.empty()) {
          by_value_[a][Start(a)].push_back(Occurrence{c, std::move(partners)});
        }
      }
    }
    for (int s = 0; s < p_.service_count(); ++s) {
      if (member_[s] >= 0 || in_.phase[s] == kAbsent) continue;
      for (const int c : p_.ConstraintsOf(s, in_.phase[s])) {
        std::vector<int> partners = Partners(p_.constraints()[c], s);
        if (partners.size() == 1) {
          RuleOut(c, partners[0]);
        } else if (partners.size() > 1) {
          fixed_.push_back(Occurrence{c, std::move(partners)});
        }
      }
    }
    BuildDistances();
    BuildLinks();
  }

  // A requirement of a fixed value that reads one member: the member's values breaking it.
  void RuleOut(int c, int a) {
    const int s = in_.group[a];
    for (int i = 0; i < Start(a); ++i) {
      x_[s] = in_.values[a][i];
      if (!p_.Satisfied(c, x_)) usable_[a][i] = 0;
    }
    x_[s] = in_.phase[s];
  }

  // Fewest (dist_) and most (longest_) moves from each value to the target, over usable values.
  void BuildDistances() {
    dist_.assign(k_, {});
    longest_.assign(k_, {});
    for (int a = 0; a < k_; ++a) {
      std::vector<int>& dist = dist_[a];
      std::vector<int>& longest = longest_[a];
      dist.assign(Size(a), kNone);
      longest.assign(Size(a), -1);
      dist[0] = 0;
      longest[0] = 0;
      for (int i = 1; i < Size(a); ++i) {
        if (usable_[a][i] == 0) continue;
        for (int j = 0; j < i; ++j) {
          if (usable_[a][j] == 0 || !MayStep(a, i, j) || longest[j] < 0) continue;
          dist[i] = std::min(dist[i], dist[j] + 1);
          longest[i] = std::max(longest[i], longest[j] + 1);
        }
      }
    }
  }

  // Who reads whom: readers_ and fixed_readers_ by member read, links_ between two members.
  void BuildLinks() {
    readers_.assign(k_, {});
    fixed_readers_.assign(k_, {});
    links_.assign(static_cast<std::size_t>(k_) * k_, 0);
    auto link = [&](int a, int b) {
      ++links_[static_cast<std::size_t>(a) * k_ + b];
      ++links_[static_cast<std::size_t>(b) * k_ + a];
    };
    for (int a = 0; a < k_; ++a) {
      for (int v = 0; v < Size(a); ++v) {
        for (int i = 0; i < static_cast<int>(by_value_[a][v].size()); ++i) {
          for (const int b : by_value_[a][v][i].partners) {
            readers_[b].push_back(Reader{a, v, i});
            link(a, b);
          }
        }
      }
    }
    for (int f = 0; f < static_cast<int>(fixed_.size()); ++f) {
      const std::vector<int>& partners = fixed_[f].partners;
      for (std::size_t i = 0; i < partners.size(); ++i) {
        fixed_readers_[partners[i]].push_back(f);
        for (std::size_t j = i + 1; j < partners.size(); ++j) link(partners[i], partners[j]);
      }
    }
  }

  int Links(int a, int b) const { return links_[static_cast<std::size_t>(a) * k_ + b]; }

  // A shortest route: at each move, the newest value that keeps it shortest.
  Route Shortest(int a) const {
    Route route{Start(a)};
    while (route.back() != 0) {
      const int i = route.back();
      for (int j = 0; j < i; ++j) {
        if (usable_[a][j] != 0 && MayStep(a, i, j) && dist_[a][j] + 1 == dist_[a][i]) {
          route.push_back(j);
          break;
        }
      }
    }
    return route;
  }

  // The conflict's members and every pattern it touches become one pattern (patterns_.back(),
  // tree node Root()).
  void Absorb(const Label& conflict) {
    const int node = static_cast<int>(tree_.size());
    tree_.emplace_back();
    std::vector<int> members;
    for (int a = 0; a < k_; ++a) {
      if (!TestBit(conflict, a)) continue;
      int child = a;
      if (pattern_[a] >= 0) {
        std::vector<int>& old = patterns_[pattern_[a]];
        if (old.empty()) continue;  // taken with another member
        child = k_ + pattern_[a];
        members.insert(members.end(), old.begin(), old.end());
        old.clear();
      } else {
        members.push_back(a);
      }
      tree_[child].parent = node;
      tree_[node].children.push_back(child);
    }
    std::sort(members.begin(), members.end());
    for (const int a : members) pattern_[a] = static_cast<int>(patterns_.size());
    patterns_.push_back(std::move(members));
  }

  int Root() const { return static_cast<int>(tree_.size()) - 1; }

  // Sets the least of every node under `node` (members at their distance); returns it.
  int ResetTree(int node) {
    TreeNode& n = tree_[node];
    if (node < k_) {
      n.sum = dist_[node][Start(node)];
    } else {
      n.sum = 0;
      for (const int child : n.children) n.sum += ResetTree(child);
    }
    return tree_[node].Least();
  }

  // Member a's least becomes `value`; its ancestors follow.
  void SetLeast(int a, int value) {
    int delta = value - tree_[a].sum;
    tree_[a].sum = value;
    for (int n = tree_[a].parent; n >= 0 && delta != 0; n = tree_[n].parent) {
      const int before = tree_[n].Least();
      tree_[n].sum += delta;
      delta = tree_[n].Least() - before;
    }
  }

  enum class Projected {
    kSolved,
    kNoPlan,
    kLimit,
    kRefuted,  // by ProjectBySat: no plan of proved_ moves (proved_ raised); never returned by
               // Project
  };

  enum class Order {
    kLinked,       // first the member with the most links inside the pattern, then each next
                   // the one most linked to those placed (ties: most links inside)
    kForcedFirst,  // likewise, but first the members with one route within the budget
  };

  // Plans the pattern's projection. Two methods, each fast where the other is slow: the route
  // search (in two member orders), and A* over the projection's phases (a projection without a
  // plan is usually proved there). They take turns, each with a budget that starts at
  // first_budget and grows fourfold until each has spent max_states; the route search resumes
  // from the length its earlier turns proved. On success the members' routes are a shortest plan
  // of the projection and the pattern's bound is its length.
  Projected Project(const std::vector<int>& members) {
    ++stats_.patterns;
    slot_.assign(k_, -1);
    for (int t = 0; t < static_cast<int>(members.size()); ++t) slot_[members[t]] = t;
    for (const int a : members) prior_[a] = route_[a];
    proved_ = ResetTree(Root());
    step_sat_.reset();
    int length = 0;
    std::uint64_t spent = 0;  // by each method
    for (std::uint64_t budget = std::max<std::uint64_t>(in_.first_budget, 1);; budget *= 4) {
      budget = std::min(budget, in_.max_states - spent);
      spent += budget;
      const bool sat_first = in_.projection == RouteInput::Projection::kSatFirst;
      Projected projected = sat_first ? SatTurn(members, budget, length) : Projected::kLimit;
      if (projected != Projected::kLimit) return Adopted(projected, length);
      projected = AllMethods() ? ByRoutes(members, budget, length) : Projected::kLimit;
      if (projected != Projected::kLimit) return Adopted(projected, length);
      projected = AllMethods() ? ProjectByPhases(members, budget, length) : Projected::kLimit;
      if (projected == Projected::kSolved) ++stats_.by_phases;
      if (projected != Projected::kLimit) return Adopted(projected, length);
      projected = sat_first ? Projected::kLimit : SatTurn(members, budget, length);
      if (projected != Projected::kLimit) return Adopted(projected, length);
      if (spent >= in_.max_states) return Projected::kLimit;
    }
  }

  bool AllMethods() const { return in_.projection != RouteInput::Projection::kSatOnly; }

  // A turn of the SAT search with `budget` conflicts (fewer when the group's run out). After
  // each length it refutes, the route search tries the next with its first budget: at a new
  // lower bound it often finds a plan at once, where the SAT search is slower.
  Projected SatTurn(const std::vector<int>& members, std::uint64_t budget, int& length) {
    const std::uint64_t before = step_sat_ ? step_sat_->conflicts() : 0;
    sat_end_ =
        before + std::min(budget, in_.max_conflicts - std::min(sat_spent_, in_.max_conflicts));
    Projected projected = Projected::kRefuted;
    while (projected == Projected::kRefuted) {
      projected = ProjectBySat(members, length);
      if (projected == Projected::kSolved) ++stats_.by_sat;
      if (projected == Projected::kRefuted && AllMethods()) {
        const Projected found = ByRoutes(members, in_.first_budget, length);
        if (found != Projected::kLimit) projected = found;
      }
    }
    if (step_sat_) sat_spent_ += step_sat_->conflicts() - before;
    return projected;
  }

  // The route search in both member orders, each with `budget` checks.
  Projected ByRoutes(const std::vector<int>& members, std::uint64_t budget, int& length) {
    for (const Order order : {Order::kLinked, Order::kForcedFirst}) {
      const Projected projected = ProjectByRoutes(members, order, budget, length);
      if (projected == Projected::kSolved) ++stats_.by_routes;
      if (projected != Projected::kLimit) return projected;
    }
    return Projected::kLimit;
  }

  Projected Adopted(Projected projected, int length) {
    if (projected == Projected::kSolved) tree_[Root()].bound = length;
    return projected;
  }

  // Whether `occ` reads only members of the pattern (slot_ >= 0).
  bool Inside(const Occurrence& occ) const {
    return std::all_of(occ.partners.begin(), occ.partners.end(),
                       [&](int b) { return slot_[b] >= 0; });
  }

  // ---- The projection by routes -------------------------------------------------------------
  //
  // Iterative deepening on the projection's length, from the sum of its blocks' bounds; at each
  // length, a depth-first search gives the members routes one at a time (blocks kept together,
  // each next member the one most linked to those placed) and checks after each that the
  // requirements among the placed members still allow an order: a failure there holds for every
  // completion. A failure names the members whose routes it used (route lengths, for the length
  // budget), so the search jumps back to the last of them (conflict-directed backjumping). A
  // length whose search never hit the budget proves there is no plan at any length.

  Projected ProjectByRoutes(const std::vector<int>& members, Order order, std::uint64_t budget,
                            int& length) {
    placed_.assign(k_, 0);
    checks_ = 0;
    check_budget_ = budget;
    for (;; ++proved_) {
      budget_ = proved_;
      Arrange(members, order);
      pruned_ = false;
      nogoods_.assign(k_, {});
      clauses_.clear();
      events_ = 0;
      Label conflict(words_, 0);
      if (Assign(0, conflict)) {
        length = proved_;
        return Projected::kSolved;
      }
      if (checks_ > check_budget_) return Projected::kLimit;
      if (!pruned_) return Projected::kNoPlan;
      ++stats_.deepenings;
    }
  }

  // The search order (order_).
  void Arrange(const std::vector<int>& members, Order order) {
    std::vector<int> inside(k_, 0);
    for (const int a : members) {
      for (const int b : members) inside[a] += Links(a, b);
    }
    std::vector<char> forced(k_, 0);
    if (order == Order::kForcedFirst) MarkForced(Root(), budget_ - tree_[Root()].Least(), forced);
    std::vector<int> weight(k_, 0);  // links to the members placed
    std::vector<int> left = members;
    order_.clear();
    while (!left.empty()) {
      const auto next = std::max_element(left.begin(), left.end(), [&](int a, int b) {
        return std::tuple(forced[a], weight[a], inside[a]) <
               std::tuple(forced[b], weight[b], inside[b]);
      });
      const int a = *next;
      order_.push_back(a);
      left.erase(next);
      for (const int b : left) weight[b] += Links(a, b);
    }
  }

  // Members under `node` with one route within `room` moves more than the least of `node` (the
  // room grows by a pattern's bound less its children's least).
  void MarkForced(int node, int room, std::vector<char>& forced) {
    if (node < k_) {
      const int dist = dist_[node][Start(node)];
      forced[node] =
          RoutesOf(node, dist).size() == 1 && (room == 0 || dist == longest_[node][Start(node)]);
      return;
    }
    const int inner = room + std::max(0, tree_[node].bound - tree_[node].sum);
    for (const int child : tree_[node].children) MarkForced(child, inner, forced);
  }

  // Gives routes to order_[depth…] within budget_ moves in all. False: no such routes (then
  // `conflict` names the members placed before whose routes the failure depends on), or the
  // check budget ran out.
  bool Assign(std::size_t depth, Label& conflict) {
    if (depth == order_.size()) return true;
    const int a = order_[depth];
    conflict.assign(words_, 0);
    placed_[a] = 1;
    Next next = Next::kRoute;
    for (int len = dist_[a][Start(a)]; len <= longest_[a][Start(a)] && next == Next::kRoute;
         ++len) {
      SetLeast(a, len);
      if (tree_[Root()].Least() > budget_) {
        pruned_ = true;
        Lengthened(depth, conflict);
        break;
      }
      const std::vector<Route>& routes = RoutesOf(a, len);
      if (checks_ > check_budget_) break;
      // The route the member had before first: it fitted its pattern.
      const auto prior = std::find(routes.begin(), routes.end(), prior_[a]);
      const int first = prior == routes.end() ? 0 : static_cast<int>(prior - routes.begin());
      for (int n = 0; n < static_cast<int>(routes.size()) && next == Next::kRoute; ++n) {
        const int r = n == 0 ? first : (n <= first ? n - 1 : n);
        next = Try(depth, RouteId{len, r}, conflict);
      }
    }
    if (next != Next::kFound) SetLeast(a, dist_[a][Start(a)]);
    placed_[a] = 0;
    if (next == Next::kRoute) Learn(conflict);
    return next == Next::kFound;
  }

  enum class Next {
    kRoute,  // the route failed because of it: try the next one
    kFound,  // every member has a route
    kStop,   // a backjump past this member (conflict replaced), or the check budget ran out
  };

  // Gives order_[depth] route `id` and goes on to the next members.
  Next Try(std::size_t depth, RouteId id, Label& conflict) {
    const int a = order_[depth];
    if (++checks_ > check_budget_) return Next::kStop;
    ++stats_.checks;
    const int len = id.length;
    route_[a] = RoutesOf(a, len)[id.index];
    route_id_[a] = id;
    base_[a] = events_;
    events_ += len;
    const std::size_t mark = clauses_.size();
    AddClauses(a);
    Label why;
    if (!Excluded(a, why) && Precedence(events_, words_, clauses_).Solve(why)) {
      if (Assign(depth + 1, why)) return Next::kFound;
      if (checks_ > check_budget_) return Next::kStop;
    }
    clauses_.resize(mark);
    events_ -= len;
    if (!TestBit(why, a)) {  // the failure holds whatever a's route: jump back
      ++stats_.backjumps;
      conflict = std::move(why);
      return Next::kStop;
    }
    ClearBit(why, a);
    Merge(conflict, why);
    return Next::kRoute;
  }

  // A failure of the search below the members `conflict` names: their routes together never
  // complete within budget_ moves (a nogood), whatever the routes of the others.
  void Learn(const Label& conflict) {
    Nogood nogood{{}, conflict};
    int last = -1;
    for (const int b : order_) {
      if (!TestBit(conflict, b)) continue;
      nogood.routes.emplace_back(b, route_id_[b]);
      last = b;
    }
    if (last >= 0) nogoods_[last].push_back(std::move(nogood));
  }

  // Whether a nogood whose last member is a matches the routes placed (then `why` is its label).
  bool Excluded(int a, Label& why) const {
    for (const Nogood& nogood : nogoods_[a]) {
      const bool matches =
          std::all_of(nogood.routes.begin(), nogood.routes.end(),
                      [&](const auto& entry) { return route_id_[entry.first] == entry.second; });
      if (matches) {
        why = nogood.label;
        return true;
      }
    }
    return false;
  }

  // The members placed before `depth` whose route could be shorter and thereby lower the root's
  // least: longer than their distance, and under no pattern whose bound alone sets its least.
  // The others' least cannot fall, so with these routes the budget is exceeded whatever the rest.
  void Lengthened(std::size_t depth, Label& conflict) const {
    for (std::size_t d = 0; d < depth; ++d) {
      const int b = order_[d];
      if (tree_[b].sum <= dist_[b][Start(b)]) continue;
      bool free = true;
      for (int n = tree_[b].parent; n != Root() && free; n = tree_[n].parent) {
        free = tree_[n].sum > tree_[n].bound;
      }
      if (free) SetBit(conflict, b);
    }
  }

  // Routes of member a with exactly `len` moves, newest values first (cached). More than
  // max_states of them exhaust the check budget.
  const std::vector<Route>& RoutesOf(int a, int len) {
    const auto [it, inserted] = routes_.try_emplace({a, len});
    if (inserted) {
      Route route{Start(a)};
      Enumerate(a, len, route, it->second);
    }
    if (it->second.size() > in_.max_states) checks_ = check_budget_ + 1;  // cut short
    return it->second;
  }

  void Enumerate(int a, int left, Route& route, std::vector<Route>& out) const {
    const int i = route.back();
    if (left == 0) {
      out.push_back(route);
      return;
    }
    if (out.size() > in_.max_states) return;
    for (int j = 0; j < i; ++j) {
      if (usable_[a][j] == 0 || !MayStep(a, i, j)) continue;
      if (dist_[a][j] > left - 1 || longest_[a][j] < left - 1) continue;
      route.push_back(j);
      Enumerate(a, left - 1, route, out);
      route.pop_back();
    }
  }

  // Whether every member `occ` reads is placed in the pattern.
  bool Ready(const Occurrence& occ) const {
    return std::all_of(occ.partners.begin(), occ.partners.end(),
                       [&](int b) { return slot_[b] >= 0 && placed_[b] != 0; });
  }

  // The clauses that member a, just placed, adds: its route's own order, and every requirement
  // among placed members that a's values or a's partners' values state and a completes.
  void AddClauses(int a) {
    Label self(words_, 0);
    SetBit(self, a);
    for (int i = 1; i < Length(route_[a]); ++i) {
      clauses_.push_back(Clause{{Literal{Event(a, i), Event(a, i + 1)}}, self});
    }
    std::vector<std::pair<int, int>> combo;
    auto combine = [&](const Occurrence& occ, int guard, int i) {
      if (!Ready(occ)) return;
      const int s = in_.group[guard];
      combo.assign(1, {guard, i});
      x_[s] = in_.values[guard][route_[guard][i]];
      Combine(occ, 0, combo, clauses_, false);
      x_[s] = in_.phase[s];
    };
    for (int i = 0; i <= Length(route_[a]); ++i) {
      for (const Occurrence& occ : by_value_[a][route_[a][i]]) combine(occ, a, i);
    }
    for (const Reader& reader : readers_[a]) {
      const int b = reader.member;
      if (b == a || slot_[b] < 0 || placed_[b] == 0) continue;
      const auto at = std::find(route_[b].begin(), route_[b].end(), reader.value);
      if (at == route_[b].end()) continue;
      combine(by_value_[b][reader.value][reader.index], b,
              static_cast<int>(at - route_[b].begin()));
    }
    for (const int f : fixed_readers_[a]) {
      if (!Ready(fixed_[f])) continue;
      combo.clear();
      Combine(fixed_[f], 0, combo, clauses_, false);
    }
  }

  // ---- The projection by A* over its phases (phase_search.hpp) -------------------------------

  // Whether the projection's phase `pos` (value index by slot) meets every requirement that
  // reads only the pattern and fixed services and involves slot `moved`.
  bool ProjectionHolds(const std::vector<int>& members, const std::vector<int>& pos, int moved) {
    for (std::size_t t = 0; t < members.size(); ++t) {
      x_[in_.group[members[t]]] = in_.values[members[t]][pos[t]];
    }
    const int a = members[moved];
    auto holds = [&](const Occurrence& occ) {
      return !Inside(occ) || p_.Satisfied(occ.constraint, x_);
    };
    auto reads_a = [&](const Occurrence& occ) {
      return std::find(occ.partners.begin(), occ.partners.end(), a) != occ.partners.end();
    };
    bool ok = std::all_of(by_value_[a][pos[moved]].begin(), by_value_[a][pos[moved]].end(), holds);
    for (std::size_t t = 0; t < members.size() && ok; ++t) {
      if (static_cast<int>(t) == moved) continue;
      for (const Occurrence& occ : by_value_[members[t]][pos[t]]) {
        if (reads_a(occ) && !holds(occ)) ok = false;
      }
    }
    for (const Occurrence& occ : fixed_) {
      if (ok && reads_a(occ) && !holds(occ)) ok = false;
    }
    for (const int b : members) x_[in_.group[b]] = in_.phase[in_.group[b]];
    return ok;
  }

  Projected ProjectByPhases(const std::vector<int>& members, std::uint64_t budget, int& length);

  // ---- The projection as bounded-length planning on a SAT solver (step_sat.hpp) -------------

  // Whether value index i of member a may run in a plan: usable and on a path to the target.
  bool Live(int a, int i) const {
    return i == Start(a) || (usable_[a][i] != 0 && dist_[a][i] < kNone);
  }

  // The pattern's members (by slot), the value combinations that break a requirement of the
  // projection, and the pattern tree with each node's least.
  StepProblem StepProblemOf(const std::vector<int>& members) {
    StepProblem out;
    for (const int a : members) {
      StepProblem::Member member{Size(a), std::vector<char>(Size(a)), in_.may_step[a]};
      for (int i = 0; i < Size(a); ++i) member.live[i] = Live(a, i) ? 1 : 0;
      out.members.push_back(std::move(member));
    }
    StepProblem::Combination combination;
    for (const int a : members) {
      for (int i = 0; i < Size(a); ++i) {
        if (!Live(a, i)) continue;
        const int s = in_.group[a];
        x_[s] = in_.values[a][i];
        for (const Occurrence& occ : by_value_[a][i]) {
          if (!Inside(occ)) continue;
          combination.assign(1, {slot_[a], i});
          Forbid(occ, 0, combination, out.forbidden);
        }
        x_[s] = in_.phase[s];
      }
    }
    for (const Occurrence& occ : fixed_) {
      if (!Inside(occ)) continue;
      combination.clear();
      Forbid(occ, 0, combination, out.forbidden);
    }
    out.tree.resize(members.size());
    StepTree(Root(), out.tree);
    return out;
  }

  // The combinations of the partners' live values with which `occ` breaks (x_ holds the others).
  void Forbid(const Occurrence& occ, std::size_t next, StepProblem::Combination& combination,
              std::vector<StepProblem::Combination>& out) {
    if (next == occ.partners.size()) {
      if (!p_.Satisfied(occ.constraint, x_)) out.push_back(combination);
      return;
    }
    const int b = occ.partners[next];
    const int s = in_.group[b];
    for (int j = 0; j < Size(b); ++j) {
      if (!Live(b, j)) continue;
      x_[s] = in_.values[b][j];
      combination.emplace_back(slot_[b], j);
      Forbid(occ, next + 1, combination, out);
      combination.pop_back();
    }
    x_[s] = in_.phase[s];
  }

  // Appends tree node `node` (after its children) to `tree`, whose first entries are the
  // members by slot; returns its index there.
  int StepTree(int node, std::vector<StepProblem::Node>& tree) {
    if (node < k_) {
      tree[slot_[node]].least = dist_[node][Start(node)];
      return slot_[node];
    }
    StepProblem::Node out;
    int sum = 0;
    for (const int child : tree_[node].children) {
      const int index = StepTree(child, tree);
      out.children.push_back(index);
      sum += tree[index].least;
    }
    out.least = std::max(sum, tree_[node].bound);
    tree.push_back(std::move(out));
    return static_cast<int>(tree.size()) - 1;
  }

  // Whether the projection has a plan of proved_ moves, within the conflicts left to this turn
  // (sat_end_). A plan found is the projection's shortest, and its routes replace the members'.
  // No plan has more moves than the members' longest routes together, so refuting that length
  // proves there is none.
  Projected ProjectBySat(const std::vector<int>& members, int& length) {
    if (!step_sat_) step_sat_ = std::make_unique<StepSat>(StepProblemOf(members));
    int most = 0;
    for (const int a : members) most += longest_[a][Start(a)];
    if (proved_ > most) return Projected::kNoPlan;
    if (step_sat_->conflicts() >= sat_end_) return Projected::kLimit;
    std::vector<std::vector<int>> routes;
    const auto answer = step_sat_->Solve(proved_, sat_end_ - step_sat_->conflicts(), routes);
    switch (answer) {
      case StepSat::Answer::kPlan:
        break;
      case StepSat::Answer::kNone:
        ++proved_;
        ++stats_.sat_refutations;
        return Projected::kRefuted;
      case StepSat::Answer::kLimit:
        return Projected::kLimit;
    }
    length = 0;
    for (std::size_t t = 0; t < members.size(); ++t) {
      route_[members[t]] = routes[t];
      length += Length(routes[t]);
    }
    return Projected::kSolved;
  }

  // ---- Ordering the moves of fixed routes ----------------------------------------------------

  // Whether the current routes can be ordered; on success steps_ holds the plan.
  bool Check(Label& conflict) {
    base_.assign(k_, 0);
    std::vector<std::pair<int, int>> event_of;  // event → (member, position)
    for (int a = 0; a < k_; ++a) {
      base_[a] = static_cast<int>(event_of.size());
      for (int i = 1; i <= Length(route_[a]); ++i) event_of.emplace_back(a, i);
    }
    std::vector<Clause> clauses;
    for (int a = 0; a < k_; ++a) {
      for (int i = 1; i < Length(route_[a]); ++i) {
        Label label(words_, 0);
        SetBit(label, a);
        clauses.push_back(Clause{{Literal{Event(a, i), Event(a, i + 1)}}, std::move(label)});
      }
    }
    seen_.clear();
    std::vector<std::pair<int, int>> combo;  // (member, position)
    for (int a = 0; a < k_; ++a) {
      for (int i = 0; i <= Length(route_[a]); ++i) {
        for (const Occurrence& occ : by_value_[a][route_[a][i]]) {
          combo.assign(1, {a, i});
          x_[in_.group[a]] = in_.values[a][route_[a][i]];
          Combine(occ, 0, combo, clauses, true);
          x_[in_.group[a]] = in_.phase[in_.group[a]];
        }
      }
    }
    for (const Occurrence& occ : fixed_) {
      combo.clear();
      Combine(occ, 0, combo, clauses, true);
    }
    Precedence order(static_cast<int>(event_of.size()), words_, clauses);
    if (!order.Solve(conflict)) return false;
    steps_.clear();
    for (const int e : order.Order()) {
      const auto [a, i] = event_of[e];
      const auto& values = in_.values[a];
      steps_.push_back(Step{in_.group[a], values[route_[a][i - 1]], values[route_[a][i]]});
    }
    return true;
  }

  int Event(int a, int i) const { return base_[a] + i - 1; }

  // Every combination of the partners' route positions; one that breaks the requirement becomes
  // a clause (once, with `dedupe`).
  void Combine(const Occurrence& occ, std::size_t next, std::vector<std::pair<int, int>>& combo,
               std::vector<Clause>& clauses, bool dedupe) {
    if (next == occ.partners.size()) {
      if (!p_.Satisfied(occ.constraint, x_)) AddCombination(combo, clauses, dedupe);
      return;
    }
    const int b = occ.partners[next];
    const int s = in_.group[b];
    for (int j = 0; j <= Length(route_[b]); ++j) {
      x_[s] = in_.values[b][route_[b][j]];
      combo.emplace_back(b, j);
      Combine(occ, next + 1, combo, clauses, dedupe);
      combo.pop_back();
    }
    x_[s] = in_.phase[s];
  }

  void AddCombination(std::vector<std::pair<int, int>> combo, std::vector<Clause>& clauses,
                      bool dedupe) {
    std::sort(combo.begin(), combo.end());
    if (dedupe) {
      std::string key;
      for (const auto& [a, i] : combo) key += std::to_string(a) + ":" + std::to_string(i) + ",";
      if (!seen_.insert(std::move(key)).second) return;
    }
    Clause clause{{}, Label(words_, 0)};
    for (const auto& [p, ip] : combo) {
      SetBit(clause.label, p);
      if (ip == Length(route_[p])) continue;  // p never leaves
      for (const auto& [q, iq] : combo) {
        if (q != p && iq > 0) clause.literals.push_back(Literal{Event(p, ip + 1), Event(q, iq)});
      }
    }
    clauses.push_back(std::move(clause));
  }

  const Problem& p_;
  const RouteInput& in_;
  const int k_;
  const int words_;
  std::vector<int> x_;       // scratch phase
  std::vector<int> member_;  // service → group index, or -1
  std::vector<int> slot_;    // member → index in the pattern being projected, or -1
  std::vector<std::vector<char>> usable_;
  std::vector<std::vector<std::vector<Occurrence>>> by_value_;  // member, value index
  std::vector<Occurrence> fixed_;
  std::vector<std::vector<Reader>> readers_;  // by member read
  std::vector<std::vector<int>> fixed_readers_;
  std::vector<int> links_;  // k × k: occurrences relating two members
  std::vector<std::vector<int>> dist_;
  std::vector<std::vector<int>> longest_;  // most moves to the target; -1: none
  std::vector<Route> route_;
  std::vector<int> pattern_;                // member → pattern id, or -1
  std::vector<std::vector<int>> patterns_;  // by id: members, ascending (emptied when merged)
  std::vector<TreeNode> tree_ = std::vector<TreeNode>(k_);
  std::vector<int> base_ = std::vector<int>(k_, 0);  // member → its first event
  std::unordered_set<std::string> seen_;
  std::vector<Step> steps_;
  RouteStats stats_;
  // The route search of a projection.
  std::vector<int> order_;
  std::vector<Route> prior_ = std::vector<Route>(k_);  // routes before the projection
  std::vector<char> placed_;
  std::vector<RouteId> route_id_ = std::vector<RouteId>(k_);  // of the routes placed
  std::vector<std::vector<Nogood>> nogoods_;                  // by last member in order_
  std::map<std::pair<int, int>, std::vector<Route>> routes_;  // (member, length) → routes
  std::vector<Clause> clauses_;
  int events_ = 0;
  int budget_ = 0;                     // the length being tried
  std::unique_ptr<StepSat> step_sat_;  // the projection's SAT encoding, kept across its turns
  std::uint64_t sat_end_ = 0;          // its conflicts when this turn's budget is spent
  std::uint64_t sat_spent_ = 0;        // conflicts, over every projection
  int proved_ = 0;                     // no shorter plan of the projection exists
  bool pruned_ = false;                // the length budget cut the search at this length
  std::uint64_t checks_ = 0;           // by this turn of the route search
  std::uint64_t check_budget_ = 0;     // … at most
};

// The projection's phases for PartialExpansionAStar: value indices by slot.
class ProjectionDomain {
 public:
  ProjectionDomain(RouteSearch& search, const std::vector<int>& members)
      : search_(search), members_(members) {}

  long Cost(int t, int j) const { return search_.dist_[members_[t]][j]; }
  bool MayMove(int t, int from, int to) const {
    return to < from && search_.MayStep(members_[t], from, to);
  }
  bool Holds(const std::vector<int>& next, int t, bool /*from_start*/) {
    return search_.ProjectionHolds(members_, next, t);
  }
  void Expanded(const std::vector<int>& /*phase*/) {}

 private:
  RouteSearch& search_;
  const std::vector<int>& members_;
};

// A shortest plan of the pattern alone by A* over its phases, the sum of the members' distances
// as heuristic. Its routes replace the members' routes.
RouteSearch::Projected RouteSearch::ProjectByPhases(const std::vector<int>& members,
                                                    std::uint64_t budget, int& length) {
  std::vector<int> start;
  std::vector<PhaseMove> moves;
  for (int t = 0; t < static_cast<int>(members.size()); ++t) {
    const int a = members[t];
    start.push_back(Start(a));
    for (int j = 0; j < Start(a); ++j) {
      if (usable_[a][j] != 0 && dist_[a][j] < kNone) moves.push_back(PhaseMove{t, j});
    }
  }
  ProjectionDomain domain(*this, members);
  std::vector<PhaseStep> steps;
  switch (PartialExpansionAStar(domain, start, moves, budget, steps)) {
    case PhaseSearchResult::kFound:
      break;
    case PhaseSearchResult::kNone:
      return Projected::kNoPlan;
    case PhaseSearchResult::kLimit:
      return Projected::kLimit;
  }
  for (const int a : members) route_[a].assign(1, Start(a));
  for (const PhaseStep& step : steps) route_[members[step.slot]].push_back(step.to);
  length = static_cast<int>(steps.size());
  return Projected::kSolved;
}

}  // namespace

RouteOutcome PlanByRoutes(const Problem& problem, const RouteInput& input) {
  return RouteSearch(problem, input).Run();
}

}  // namespace maiev::solver
