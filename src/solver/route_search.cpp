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
#include "solver/route_search.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

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
  Precedence(int events, int label_words)
      : n_(events),
        words_(WordsFor(events)),
        label_words_(label_words),
        reach_(static_cast<std::size_t>(n_) * words_, 0),
        out_(n_) {}

  void AddClause(Clause clause) { clauses_.push_back(std::move(clause)); }

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
  std::vector<Clause> clauses_;
};

using Route = std::vector<int>;  // value indices, from the start (values.size() - 1) down to 0

int Length(const Route& route) { return static_cast<int>(route.size()) - 1; }

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
      const std::vector<int> members = Absorb(conflict);
      const Projected projected = Project(members);
      if (projected == Projected::kLimit) {
        for (const int a : members) out.pattern.push_back(in_.group[a]);
      }
      if (projected != Projected::kSolved) {
        out.kind = projected == Projected::kNoPlan ? RouteOutcome::Kind::kNoPlan
                                                   : RouteOutcome::Kind::kLimit;
        return out;
      }
    }
  }

 private:
  static constexpr int kNone = 1 << 20;  // no route

  // A requirement that may break during the plan (of one value of a member, or of a service
  // outside the group), and the members it reads besides its guard.
  struct Occurrence {
    int constraint;
    std::vector<int> partners;
  };

  int Size(int a) const { return static_cast<int>(in_.values[a].size()); }
  bool MayStep(int a, int i, int j) const { return in_.may_step[a][i * Size(a) + j] != 0; }

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
      for (int i = 0; i + 1 < Size(a); ++i) {  // the start is consistent: it is never ruled out
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
      const int start = Size(a) - 1;
      if (in_.values[a][start] == kAbsent) continue;
      for (const int c : p_.ConstraintsOf(s, in_.values[a][start])) {
        std::vector<int> partners = Partners(p_.constraints()[c], s);
        if (!partners.empty()) by_value_[a][start].push_back(Occurrence{c, std::move(partners)});
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
  }

  // A requirement of a fixed value that reads one member: the member's values breaking it.
  void RuleOut(int c, int a) {
    const int s = in_.group[a];
    for (int i = 0; i + 1 < Size(a); ++i) {
      x_[s] = in_.values[a][i];
      if (!p_.Satisfied(c, x_)) usable_[a][i] = 0;
    }
    x_[s] = in_.phase[s];
  }

  // Fewest moves from each value to the target, over usable values.
  void BuildDistances() {
    dist_.assign(k_, {});
    for (int a = 0; a < k_; ++a) {
      std::vector<int>& dist = dist_[a];
      dist.assign(Size(a), kNone);
      dist[0] = 0;
      for (int i = 1; i < Size(a); ++i) {
        if (usable_[a][i] == 0) continue;
        for (int j = 0; j < i; ++j) {
          if (usable_[a][j] != 0 && MayStep(a, i, j)) dist[i] = std::min(dist[i], dist[j] + 1);
        }
      }
    }
  }

  // A shortest route: at each move, the newest value that keeps it shortest.
  Route Shortest(int a) const {
    Route route{Size(a) - 1};
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

  // The members of the conflict and of every pattern it touches, as one pattern.
  std::vector<int> Absorb(const Label& conflict) {
    std::vector<int> members;
    for (int a = 0; a < k_; ++a) {
      if (!TestBit(conflict, a)) continue;
      if (pattern_[a] < 0) {
        members.push_back(a);
        continue;
      }
      std::vector<int>& old = patterns_[pattern_[a]];
      members.insert(members.end(), old.begin(), old.end());
      old.clear();
    }
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    for (const int a : members) pattern_[a] = static_cast<int>(patterns_.size());
    patterns_.push_back(members);
    return members;
  }

  enum class Projected { kSolved, kNoPlan, kLimit };

  // Whether `occ` reads only members of the pattern (slot_ >= 0).
  bool Inside(const Occurrence& occ) const {
    return std::all_of(occ.partners.begin(), occ.partners.end(),
                       [&](int b) { return slot_[b] >= 0; });
  }

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

  // A shortest plan of the pattern alone (requirements that read other members dropped: a
  // relaxation, so its length bounds the pattern's share of any plan), by A* over its phases
  // with the sum of the members' distances. Its routes replace the members' routes.
  Projected Project(const std::vector<int>& members) {
    const int size = static_cast<int>(members.size());
    slot_.assign(k_, -1);
    for (int t = 0; t < size; ++t) slot_[members[t]] = t;
    // Partial expansion: a phase yields its successors of f equal to its level one at a time,
    // so only phases on that level are kept (the branching factor is members × values).
    struct State {
      std::vector<int> pos;
      int parent;
      int g;
      int level;
      int cursor = 0;
      int next_level = kNone;
    };
    std::vector<std::pair<int, int>> moves;  // (slot, value index)
    for (int t = 0; t < size; ++t) {
      for (int j = 0; j + 1 < Size(members[t]); ++j) {
        if (usable_[members[t]][j] != 0 && dist_[members[t]][j] < kNone) moves.emplace_back(t, j);
      }
    }
    std::vector<State> states;
    std::unordered_map<std::string, int> index;
    auto key = [](const std::vector<int>& pos) {
      std::string text(pos.size() * 2, '\0');
      for (std::size_t t = 0; t < pos.size(); ++t) {
        text[2 * t] = static_cast<char>(pos[t] & 0xFF);
        text[2 * t + 1] = static_cast<char>((pos[t] >> 8) & 0xFF);
      }
      return text;
    };
    auto h = [&](const std::vector<int>& pos) {
      int total = 0;
      for (int t = 0; t < size; ++t) total += dist_[members[t]][pos[t]];
      return total;
    };
    using Entry = std::tuple<int, int, int>;  // f level, -g, state
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
    std::vector<int> start(size);
    for (int t = 0; t < size; ++t) start[t] = Size(members[t]) - 1;
    states.push_back(State{start, -1, 0, h(start)});
    index.emplace(key(start), 0);
    open.emplace(states[0].level, 0, 0);
    while (!open.empty()) {
      const auto [level, neg_g, id] = open.top();
      open.pop();
      if (-neg_g != states[id].g || level != states[id].level) continue;  // stale entry
      const std::vector<int> pos = states[id].pos;
      const int h_here = h(pos);
      if (h_here == 0) {
        AdoptRoutes(members, states, id);
        return Projected::kSolved;
      }
      const int g = states[id].g + 1;
      std::vector<int> next = pos;
      bool generated = false;
      int m = states[id].cursor;
      for (; m < static_cast<int>(moves.size()) && !generated; ++m) {
        const auto [t, j] = moves[m];
        const int a = members[t];
        if (j >= pos[t] || !MayStep(a, pos[t], j)) continue;
        const int f = g + h_here - dist_[a][pos[t]] + dist_[a][j];
        if (f != level) {  // f < level: generated at an earlier level
          if (f > level) states[id].next_level = std::min(states[id].next_level, f);
          continue;
        }
        next[t] = j;
        std::string k = key(next);
        const auto it = index.find(k);
        const bool better = it == index.end() || states[it->second].g > g;
        const bool holds = better && ProjectionHolds(members, next, t);
        if (holds) {
          generated = true;
          int child = 0;
          if (it == index.end()) {
            child = static_cast<int>(states.size());
            states.push_back(State{next, id, g, f});
            index.emplace(std::move(k), child);
          } else {
            child = it->second;
            states[child] = State{next, id, g, f};
          }
          open.emplace(f, -g, child);
        }
        next[t] = pos[t];
      }
      State& state = states[id];
      state.cursor = m;
      if (generated) {
        open.emplace(state.level, -state.g, id);  // more successors at this level may follow
      } else if (state.next_level < kNone) {
        state.level = state.next_level;
        state.cursor = 0;
        state.next_level = kNone;
        open.emplace(state.level, -state.g, id);
      }
      if (states.size() > in_.max_states) return Projected::kLimit;
    }
    return Projected::kNoPlan;
  }

  template <typename States>
  void AdoptRoutes(const std::vector<int>& members, const States& states, int goal) {
    std::vector<int> path;
    for (int at = goal; at >= 0; at = states[at].parent) path.push_back(at);
    std::reverse(path.begin(), path.end());
    for (std::size_t t = 0; t < members.size(); ++t) {
      Route route;
      for (const int at : path) {
        if (route.empty() || route.back() != states[at].pos[t]) route.push_back(states[at].pos[t]);
      }
      route_[members[t]] = std::move(route);
    }
  }
  // Whether the current routes can be ordered; on success steps_ holds the plan.
  bool Check(Label& conflict) {
    base_.assign(k_, 0);
    std::vector<std::pair<int, int>> event_of;  // event → (member, position)
    for (int a = 0; a < k_; ++a) {
      base_[a] = static_cast<int>(event_of.size());
      for (int i = 1; i <= Length(route_[a]); ++i) event_of.emplace_back(a, i);
    }
    Precedence order(static_cast<int>(event_of.size()), words_);
    for (int a = 0; a < k_; ++a) {
      for (int i = 1; i < Length(route_[a]); ++i) {
        Label label(words_, 0);
        SetBit(label, a);
        order.AddClause(Clause{{Literal{Event(a, i), Event(a, i + 1)}}, std::move(label)});
      }
    }
    seen_.clear();
    std::vector<std::pair<int, int>> combo;  // (member, position)
    for (int a = 0; a < k_; ++a) {
      for (int i = 0; i <= Length(route_[a]); ++i) {
        for (const Occurrence& occ : by_value_[a][route_[a][i]]) {
          combo.assign(1, {a, i});
          x_[in_.group[a]] = in_.values[a][route_[a][i]];
          Combine(occ, 0, combo, order);
          x_[in_.group[a]] = in_.phase[in_.group[a]];
        }
      }
    }
    for (const Occurrence& occ : fixed_) {
      combo.clear();
      Combine(occ, 0, combo, order);
    }
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
  // a clause.
  void Combine(const Occurrence& occ, std::size_t next, std::vector<std::pair<int, int>>& combo,
               Precedence& order) {
    if (next == occ.partners.size()) {
      if (!p_.Satisfied(occ.constraint, x_)) AddCombination(combo, order);
      return;
    }
    const int b = occ.partners[next];
    const int s = in_.group[b];
    for (int j = 0; j <= Length(route_[b]); ++j) {
      x_[s] = in_.values[b][route_[b][j]];
      combo.emplace_back(b, j);
      Combine(occ, next + 1, combo, order);
      combo.pop_back();
    }
    x_[s] = in_.phase[s];
  }

  void AddCombination(std::vector<std::pair<int, int>> combo, Precedence& order) {
    std::sort(combo.begin(), combo.end());
    std::string key;
    for (const auto& [a, i] : combo) key += std::to_string(a) + ":" + std::to_string(i) + ",";
    if (!seen_.insert(std::move(key)).second) return;
    Clause clause{{}, Label(words_, 0)};
    for (const auto& [p, ip] : combo) {
      SetBit(clause.label, p);
      if (ip == Length(route_[p])) continue;  // p never leaves
      for (const auto& [q, iq] : combo) {
        if (q != p && iq > 0) clause.literals.push_back(Literal{Event(p, ip + 1), Event(q, iq)});
      }
    }
    order.AddClause(std::move(clause));
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
  std::vector<std::vector<int>> dist_;
  std::vector<Route> route_;
  std::vector<int> pattern_;                // member → pattern id, or -1
  std::vector<std::vector<int>> patterns_;  // by id: members, ascending (emptied when merged)
  std::vector<int> base_;
  std::unordered_set<std::string> seen_;
  std::vector<Step> steps_;
};

}  // namespace

RouteOutcome PlanByRoutes(const Problem& problem, const RouteInput& input) {
  return RouteSearch(problem, input).Run();
}

}  // namespace maiev::solver
