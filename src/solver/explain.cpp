#include "solver/explain.hpp"

#include <algorithm>
#include <deque>
#include <set>

namespace maiev::solver {
namespace {

constexpr std::size_t kMaxListedVersions = 6;
constexpr std::size_t kMaxReasonLines = 12;

std::string Quoted(std::string_view s) { return "`" + std::string(s) + "`"; }

}  // namespace

std::string VersionList(const Problem& p, int service, const std::vector<int>& ranks) {
  std::string out;
  for (std::size_t i = 0; i < ranks.size() && i < kMaxListedVersions; ++i) {
    if (i > 0) out += ", ";
    out += p.service(service).versions[ranks[i]];
  }
  if (ranks.size() > kMaxListedVersions) {
    out += " … (" + std::to_string(ranks.size() - kMaxListedVersions) + " more)";
  }
  return out;
}

std::vector<int> CandidateRanks(const Problem& p, int service,
                                const std::vector<std::uint64_t>& bits) {
  std::vector<int> ranks;
  const ServiceInfo& info = p.service(service);
  for (int r = 0; r < static_cast<int>(info.versions.size()); ++r) {
    if (info.allowed[r] && (bits.empty() || TestBit(bits, r))) ranks.push_back(r);
  }
  return ranks;
}

std::string Explainer::UnprovidedNames(int c) const {
  const Requirement& req = p_.requirements()[p_.constraints()[c].requirement];
  std::string names;
  for (int cap : req.capabilities) {
    if (p_.IsProvided(cap)) continue;
    if (!names.empty()) names += ", ";
    names += Quoted(p_.capability_names()[cap]);
  }
  return names;
}

std::string Explainer::RequirementSummary(int c) const {
  const Constraint& con = p_.constraints()[c];
  const std::string text = Quoted(p_.Text(c));
  std::string who = con.guard_service == kAbsent
                        ? "constraint " + text
                        : p_.Describe(con.guard_service, con.guard_rank) + " requires " + text;
  if (con.kind != ConstraintKind::kBinary) return who;
  const auto met = CandidateRanks(p_, con.target, con.support);
  const std::string& target = p_.service(con.target).name;
  if (met.empty()) return who + ", which no candidate version of " + target + " meets";
  return who + ", met only by " + target + " " + VersionList(p_, con.target, met);
}

Explainer::Tail Explainer::Explain(int service, int rank) const {
  const int c = reason_[value_offset_[service] + rank];
  if (c < 0) return {"ruled out", {}};
  const Constraint& con = p_.constraints()[c];
  const std::string text = Quoted(p_.Text(c));
  Tail tail;
  if (con.guard_service == service && con.guard_rank == rank) {
    switch (con.kind) {
      case ConstraintKind::kFixed: {
        const std::string missing = UnprovidedNames(c);
        tail.text = "requires " + text +
                    (missing.empty() ? ", which its own provides do not meet"
                                     : ", but no candidate version provides " + missing);
        break;
      }
      case ConstraintKind::kBinary: {
        const auto met = CandidateRanks(p_, con.target, con.support);
        const std::string& target = p_.service(con.target).name;
        if (met.empty()) {
          tail.text =
              "requires " + text + ", which no candidate version of " + target +
              " meets (candidates: " + VersionList(p_, con.target, CandidateRanks(p_, con.target)) +
              ")";
        } else {
          tail.text = "requires " + text + ", met only by " + target + " " +
                      VersionList(p_, con.target, met) + ", which are ruled out";
          for (int r : met) tail.follow.emplace_back(con.target, r);
        }
        break;
      }
      case ConstraintKind::kGeneral: {
        std::string others;
        for (int s : con.services) {
          if (s == service) continue;
          others += (others.empty() ? "" : ", ") + p_.service(s).name;
        }
        tail.text = "requires " + text + ", which no combination of candidate versions of " +
                    others + " meets";
        break;
      }
    }
    return tail;
  }
  if (con.guard_service == kAbsent) {
    tail.text = con.kind == ConstraintKind::kBinary ? "does not meet constraint " + text
                                                    : "fits no phase that meets constraint " + text;
    return tail;
  }
  const std::string guard = p_.Describe(con.guard_service, con.guard_rank);
  if (con.kind == ConstraintKind::kBinary) {
    tail.text = "does not meet " + text + ", required by " + guard + ", the only candidate of " +
                p_.service(con.guard_service).name + " left";
    for (int r : CandidateRanks(p_, con.guard_service)) {
      if (r != con.guard_rank) tail.follow.emplace_back(con.guard_service, r);
    }
  } else {
    tail.text = "fits no phase that meets " + text + ", required by " + guard;
  }
  return tail;
}

Failure Explainer::WipedOut(int service) const {
  const ServiceInfo& info = p_.service(service);
  const auto candidates = CandidateRanks(p_, service);
  if (candidates.empty()) {
    return Failure{"no_solution",
                   "no consistent phase: service " + info.name + " has no available version",
                   {info.name + ": every version is marked unavailable"}};
  }
  // Group values with the same explanation: "svc 1.0, 1.1: requires ...".
  std::vector<std::pair<std::pair<int, std::string>, std::vector<int>>> groups;
  std::set<std::pair<int, int>> seen;
  std::deque<std::pair<int, int>> work;
  for (int r : candidates) work.emplace_back(service, r);
  while (!work.empty()) {
    // Plain variables, not a structured binding: the lambda below captures them.
    const int s = work.front().first;
    const int r = work.front().second;
    work.pop_front();
    if (!seen.insert({s, r}).second) continue;
    Tail tail = Explain(s, r);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
      return g.first.first == s && g.first.second == tail.text;
    });
    if (it == groups.end()) {
      if (groups.size() >= kMaxReasonLines) continue;
      groups.push_back({{s, tail.text}, {}});
      it = groups.end() - 1;
    }
    it->second.push_back(r);
    for (const auto& next : tail.follow) work.push_back(next);
  }
  Failure failure{"no_solution",
                  "no consistent phase: every candidate version of " + info.name + " is ruled out",
                  {}};
  for (const auto& [key, ranks] : groups) {
    failure.reasons.push_back(p_.service(key.first).name + " " + VersionList(p_, key.first, ranks) +
                              ": " + key.second);
  }
  return failure;
}

Failure Explainer::ImpossibleConstraint(int c) const {
  const std::string text = Quoted(p_.Text(c));
  const std::string missing = UnprovidedNames(c);
  return Failure{
      "no_solution",
      "no consistent phase: constraint " + text + " can never hold",
      {missing.empty() ? "constraint " + text + " is false whatever the phase"
                       : "constraint " + text + ": no candidate version provides " + missing}};
}

Failure Explainer::Conflicts(const std::vector<int>& conflicts) const {
  Failure failure{"no_solution",
                  "no consistent phase: the remaining candidate versions conflict with each "
                  "other; the requirements that most often block them:",
                  {}};
  for (int c : conflicts) failure.reasons.push_back(RequirementSummary(c));
  return failure;
}

}  // namespace maiev::solver
