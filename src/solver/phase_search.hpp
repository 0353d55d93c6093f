// Partial-expansion A* over phases of a few services, shared by the planner (from an
// inconsistent running phase) and the route planner (projections of patterns). Pure, header-only.
//
// A phase gives each slot a value (an int ≥ -1, below 65535). A step moves one slot to another
// value. The heuristic is a sum of per-slot costs (the relaxed distances): admissible and
// consistent, since a step changes one slot's cost by at most one. Ties go to deeper phases.
// Partial expansion: a phase yields one successor whose f equals its current level at a time and
// goes back to the queue (then on to the next f level), so memory grows with the phases kept, not
// with the branching factor (slots × values). Duplicate phases are found by a compact key, two
// bytes per slot.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace maiev::solver {

struct PhaseMove {
  int slot;
  int value;
};

struct PhaseStep {
  int slot;
  int from;
  int to;
};

enum class PhaseSearchResult { kFound, kNone, kLimit };

// Domain: what the search asks of the caller.
//   long Cost(int slot, int value) const;  // distance to the goal; 0 for every slot at the goal
//   bool MayMove(int slot, int from, int to) const;  // cheap filter: direction, reachability
//   bool Holds(const std::vector<int>& next, int slot, bool from_start);  // the phase after the
//                                          // move is allowed (from_start: it leaves the start)
//   void Expanded(const std::vector<int>& phase);  // called each time a phase is expanded
// REQUIRES: Cost(start) is finite; `moves` lists every (slot, value) a step may reach.
// Returns kFound with `steps` a shortest path, kNone when no path exists, kLimit when more than
// `max_states` phases were kept.
template <typename Domain>
PhaseSearchResult PartialExpansionAStar(Domain& domain, const std::vector<int>& start,
                                        const std::vector<PhaseMove>& moves,
                                        std::uint64_t max_states, std::vector<PhaseStep>& steps) {
  constexpr long kNoLevel = 1L << 40;
  struct Node {
    std::string key;
    int parent;
    int g;
    PhaseStep step;
    long level;                  // the f of the successors being generated
    int cursor = 0;              // where the scan of `moves` resumes
    long next_level = kNoLevel;  // the least f above `level` seen
  };
  const auto slots = start.size();
  auto key_of = [&](const std::vector<int>& phase) {
    std::string key(slots * 2, '\0');
    for (std::size_t t = 0; t < slots; ++t) {
      const auto bits = static_cast<unsigned>(phase[t] + 1);
      key[2 * t] = static_cast<char>(bits & 0xFFU);
      key[2 * t + 1] = static_cast<char>((bits >> 8) & 0xFFU);
    }
    return key;
  };
  auto phase_of = [&](const std::string& key) {
    std::vector<int> phase(slots);
    for (std::size_t t = 0; t < slots; ++t) {
      const unsigned bits =
          static_cast<unsigned char>(key[2 * t]) |
          (static_cast<unsigned>(static_cast<unsigned char>(key[2 * t + 1])) << 8);
      phase[t] = static_cast<int>(bits) - 1;
    }
    return phase;
  };
  auto h = [&](const std::vector<int>& phase) {
    long total = 0;
    for (std::size_t t = 0; t < slots; ++t) total += domain.Cost(static_cast<int>(t), phase[t]);
    return total;
  };
  std::deque<Node> nodes;  // stable addresses: `index` views their keys
  std::unordered_map<std::string_view, int> index;
  using Entry = std::tuple<long, int, int>;  // f level, -g, node
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
  nodes.push_back(Node{key_of(start), -1, 0, PhaseStep{}, h(start)});
  index.emplace(nodes.back().key, 0);
  open.emplace(nodes.back().level, 0, 0);
  while (!open.empty()) {
    const auto [level, neg_g, id] = open.top();
    open.pop();
    if (-neg_g != nodes[id].g || level != nodes[id].level) continue;  // stale entry
    const std::vector<int> phase = phase_of(nodes[id].key);
    if (nodes[id].cursor == 0) domain.Expanded(phase);
    const long h_here = h(phase);
    if (h_here == 0) {
      steps.clear();
      for (int at = id; nodes[at].parent >= 0; at = nodes[at].parent) {
        steps.push_back(nodes[at].step);
      }
      std::reverse(steps.begin(), steps.end());
      return PhaseSearchResult::kFound;
    }
    const int g = nodes[id].g + 1;
    std::vector<int> next = phase;
    bool generated = false;
    int m = nodes[id].cursor;
    for (; m < static_cast<int>(moves.size()) && !generated; ++m) {
      const auto [t, value] = moves[m];
      const int from = phase[t];
      if (!domain.MayMove(t, from, value)) continue;
      const long f = g + h_here - domain.Cost(t, from) + domain.Cost(t, value);
      if (f != level) {  // f < level: generated at an earlier level
        if (f > level) nodes[id].next_level = std::min(nodes[id].next_level, f);
        continue;
      }
      next[t] = value;
      std::string key = key_of(next);
      const auto it = index.find(key);
      const bool better = it == index.end() || nodes[it->second].g > g;
      if (better && domain.Holds(next, t, nodes[id].parent < 0)) {
        generated = true;
        const PhaseStep step{t, from, value};
        int child = 0;
        if (it == index.end()) {
          child = static_cast<int>(nodes.size());
          nodes.push_back(Node{std::move(key), id, g, step, f});
          index.emplace(nodes.back().key, child);
        } else {
          child = it->second;
          Node& node = nodes[child];
          node.parent = id;
          node.g = g;
          node.step = step;
          node.level = f;
          node.cursor = 0;
          node.next_level = kNoLevel;
        }
        open.emplace(f, -g, child);
      }
      next[t] = from;
    }
    Node& node = nodes[id];
    node.cursor = m;
    if (generated) {
      open.emplace(node.level, -node.g, id);  // more successors at this level may follow
    } else if (node.next_level < kNoLevel) {
      node.level = node.next_level;
      node.cursor = 0;
      node.next_level = kNoLevel;
      open.emplace(node.level, -node.g, id);
    }
    if (nodes.size() > max_states) return PhaseSearchResult::kLimit;
  }
  return PhaseSearchResult::kNone;
}

}  // namespace maiev::solver
