#include "solver/problem.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "versions/version.hpp"

namespace maiev::solver {
namespace {

std::string Quoted(std::string_view s) { return "`" + std::string(s) + "`"; }

// Binds every name to a capability id (creating ids for names nothing provides: they read as
// null) and gives each distinct capability of one expression its own slot.
class CapabilityBinder : public rules::Binder {
 public:
  CapabilityBinder(std::unordered_map<std::string, int>& ids, std::vector<std::string>& names)
      : ids_(ids), names_(names) {}

  Result<rules::Binding, std::string> Bind(const rules::Reference& ref) override {
    const std::string text = ref.Text();
    auto [it, inserted] = ids_.emplace(text, static_cast<int>(names_.size()));
    if (inserted) names_.push_back(text);
    const int id = it->second;
    auto slot = std::find(capabilities_.begin(), capabilities_.end(), id);
    if (slot == capabilities_.end()) {
      capabilities_.push_back(id);
      slot = capabilities_.end() - 1;
    }
    return rules::Binding{static_cast<uint32_t>(slot - capabilities_.begin()),
                          rules::SlotType::kValue};
  }

  std::vector<int> TakeCapabilities() { return std::move(capabilities_); }

 private:
  std::unordered_map<std::string, int>& ids_;
  std::vector<std::string>& names_;
  std::vector<int> capabilities_;
};

}  // namespace

class ProblemBuilder {
 public:
  ProblemBuilder(const Catalog& catalog, const ProblemOptions& options)
      : catalog_(catalog), options_(options) {}

  Result<Problem> Run() {
    if (auto st = RankVersions(); !st) return Unexpected<Error>{st.error()};
    if (auto st = ApplyRunning(); !st) return Unexpected<Error>{st.error()};
    RegisterProvides();
    if (auto st = AddRequirements(); !st) return Unexpected<Error>{st.error()};
    if (auto st = AddExtraConstraints(); !st) return Unexpected<Error>{st.error()};
    p_.providers_.resize(p_.capability_names_.size());
    return std::move(p_);
  }

 private:
  Status RankVersions() {
    const int n = static_cast<int>(catalog_.services.size());
    p_.services_.resize(n);
    catalog_rank_.resize(n);
    int flat = 0;
    for (int s = 0; s < n; ++s) {
      const CatalogService& cs = catalog_.services[s];
      std::vector<versions::Version> parsed;
      for (const auto& v : cs.versions) {
        auto version = versions::Version::Parse(v.version);
        if (!version) {
          return Fail("invalid", "service " + Quoted(cs.name) + ": version " + Quoted(v.version) +
                                     " is not a version: " + version.error().message);
        }
        parsed.push_back(std::move(version).value());
      }
      std::vector<int> order(cs.versions.size());
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](int a, int b) { return parsed[a] > parsed[b]; });
      ServiceInfo& info = p_.services_[s];
      info.name = cs.name;
      catalog_rank_[s].resize(order.size());
      for (std::size_t r = 0; r < order.size(); ++r) {
        if (r > 0 && parsed[order[r]] == parsed[order[r - 1]]) {
          return Fail("invalid", "service " + Quoted(cs.name) + ": versions " +
                                     Quoted(cs.versions[order[r - 1]].version) + " and " +
                                     Quoted(cs.versions[order[r]].version) +
                                     " are the same version");
        }
        info.versions.push_back(cs.versions[order[r]].version);
        info.allowed.push_back(cs.versions[order[r]].available);
        catalog_rank_[s][order[r]] = static_cast<int>(r);
      }
      p_.offsets_.push_back(flat);
      flat += static_cast<int>(order.size());
    }
    p_.offsets_.push_back(flat);
    p_.by_guard_.resize(flat);
    p_.binary_on_.resize(n);
    p_.general_on_.resize(n);
    return {};
  }

  Status ApplyRunning() {
    p_.has_running_ = !options_.running.empty();
    for (const auto& [name, version] : options_.running) {
      const std::string& wanted = name;  // a lambda may not capture a structured binding (C++17)
      auto it = std::find_if(p_.services_.begin(), p_.services_.end(),
                             [&](const ServiceInfo& info) { return info.name == wanted; });
      if (it == p_.services_.end()) {
        return Fail("invalid", "running phase: service " + Quoted(name) + " is not in the catalog");
      }
      auto v = std::find(it->versions.begin(), it->versions.end(), version);
      if (v == it->versions.end()) {
        return Fail("invalid", "running phase: service " + Quoted(name) + " runs version " +
                                   Quoted(version) + ", which the catalog does not list");
      }
      it->running = static_cast<int>(v - it->versions.begin());
    }
    // No downgrade: nothing older than the running version; the running version always.
    for (ServiceInfo& info : p_.services_) {
      if (info.running == kAbsent) continue;
      for (int r = 0; r < static_cast<int>(info.versions.size()); ++r) {
        if (r > info.running) info.allowed[r] = false;
      }
      info.allowed[info.running] = true;
    }
    return {};
  }

  void RegisterProvides() {
    for (int s = 0; s < p_.service_count(); ++s) {
      const CatalogService& cs = catalog_.services[s];
      for (std::size_t i = 0; i < cs.versions.size(); ++i) {
        const int r = catalog_rank_[s][i];
        if (!p_.services_[s].allowed[r]) continue;
        for (const auto& [name, value] : cs.versions[i].provide) {
          auto [it, inserted] = ids_.emplace(name, static_cast<int>(p_.capability_names_.size()));
          if (inserted) {
            p_.capability_names_.push_back(name);
            p_.providers_.emplace_back();
          }
          p_.providers_[it->second].push_back(Problem::Provider{s, r, value});
        }
      }
    }
    for (auto& list : p_.providers_) {
      std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
        return std::pair{a.service, a.rank} < std::pair{b.service, b.rank};
      });
    }
  }

  // `where` names the requirement in an error message; called only on error.
  template <class Where>
  Result<int> Intern(const std::string& text, const Where& where) {
    if (auto it = requirement_ids_.find(text); it != requirement_ids_.end()) return it->second;
    CapabilityBinder binder(ids_, p_.capability_names_);
    auto compiled = rules::Expression::Compile(text, binder);
    if (!compiled) {
      return Fail("invalid", where() + " " + Quoted(text) + ": " + compiled.error().ToString());
    }
    Requirement req{std::move(compiled).value(), binder.TakeCapabilities(), {}};
    for (int cap : req.capabilities) {
      if (cap >= static_cast<int>(p_.providers_.size())) continue;  // provided by none
      for (const auto& prov : p_.providers_[cap]) req.scope.push_back(prov.service);
    }
    std::sort(req.scope.begin(), req.scope.end());
    req.scope.erase(std::unique(req.scope.begin(), req.scope.end()), req.scope.end());
    const int id = static_cast<int>(p_.requirements_.size());
    p_.requirements_.push_back(std::move(req));
    requirement_ids_.emplace(text, id);
    return id;
  }

  Status AddRequirements() {
    for (int s = 0; s < p_.service_count(); ++s) {
      const CatalogService& cs = catalog_.services[s];
      for (std::size_t i = 0; i < cs.versions.size(); ++i) {
        const int r = catalog_rank_[s][i];
        const auto& require = cs.versions[i].require;
        for (std::size_t pos = 0; pos < require.size(); ++pos) {
          auto where = [&] {
            return "service " + Quoted(cs.name) + " version " + Quoted(cs.versions[i].version) +
                   ": require[" + std::to_string(pos) + "]";
          };
          auto id = Intern(require[pos], where);
          if (!id) return Unexpected<Error>{id.error()};
          if (p_.services_[s].allowed[r]) AddConstraint(s, r, *id, static_cast<int>(pos));
        }
      }
    }
    return {};
  }

  Status AddExtraConstraints() {
    for (std::size_t pos = 0; pos < options_.constraints.size(); ++pos) {
      auto id = Intern(options_.constraints[pos],
                       [&] { return "constraint " + std::to_string(pos + 1); });
      if (!id) return Unexpected<Error>{id.error()};
      AddConstraint(kAbsent, kAbsent, *id, static_cast<int>(pos));
    }
    return {};
  }

  // Whether `requirement` holds when only (guard, guard_rank) and (other, other_rank) run.
  // Same result as Problem::Holds, without copying values: the providers' values are moved into
  // the slots and back, since tables evaluate tens of thousands of times while building.
  bool HoldsWith(int requirement, int guard, int guard_rank, int other, int other_rank) {
    const Requirement& req = p_.requirements_[requirement];
    slots_.resize(req.capabilities.size());
    // Providers are sorted by (service, rank): find the chosen ones by binary search.
    auto find = [&](int cap, int service, int rank) -> Problem::Provider* {
      if (service == kAbsent || cap >= static_cast<int>(p_.providers_.size())) return nullptr;
      auto& list = p_.providers_[cap];
      auto it = std::lower_bound(list.begin(), list.end(), std::pair{service, rank},
                                 [](const Problem::Provider& prov, std::pair<int, int> key) {
                                   return std::pair{prov.service, prov.rank} < key;
                                 });
      return it != list.end() && it->service == service && it->rank == rank ? &*it : nullptr;
    };
    std::vector<std::pair<Problem::Provider*, Problem::Provider*>>& chosen = chosen_;
    chosen.clear();
    for (std::size_t j = 0; j < req.capabilities.size(); ++j) {
      const int cap = req.capabilities[j];
      chosen.emplace_back(find(cap, guard, guard_rank), find(cap, other, other_rank));
      if (chosen[j].first) slots_[j].push_back(std::move(chosen[j].first->value));
      if (chosen[j].second) slots_[j].push_back(std::move(chosen[j].second->value));
    }
    const bool holds = req.expression.EvaluateAny(slots_);
    for (std::size_t j = 0; j < req.capabilities.size(); ++j) {
      std::size_t next = 0;
      if (chosen[j].first) chosen[j].first->value = std::move(slots_[j][next++]);
      if (chosen[j].second) chosen[j].second->value = std::move(slots_[j][next++]);
      slots_[j].clear();
    }
    return holds;
  }

  void AddConstraint(int guard, int guard_rank, int requirement, int position) {
    Constraint c;
    c.guard_service = guard;
    c.guard_rank = guard_rank;
    c.requirement = requirement;
    c.position = position;
    const std::vector<int>& scope = p_.requirements_[requirement].scope;
    std::vector<int> others;
    std::copy_if(scope.begin(), scope.end(), std::back_inserter(others),
                 [&](int s) { return s != guard; });
    const bool self_dependent = std::binary_search(scope.begin(), scope.end(), guard);
    const int id = static_cast<int>(p_.constraints_.size());
    if (others.empty()) {
      c.kind = ConstraintKind::kFixed;
      c.holds = HoldsWith(requirement, guard, guard_rank, kAbsent, 0);
    } else if (others.size() == 1) {
      c.kind = ConstraintKind::kBinary;
      c.target = others[0];
      c.support = SupportTable(c, self_dependent);
      c.holds_without_target =
          HoldsWith(requirement, self_dependent ? guard : kAbsent, guard_rank, kAbsent, 0);
      if (guard != kAbsent) p_.binary_on_[c.target].push_back(id);
    } else {
      c.kind = ConstraintKind::kGeneral;
      c.services = others;
      if (guard != kAbsent) {
        c.services.insert(std::lower_bound(c.services.begin(), c.services.end(), guard), guard);
      }
      for (int s : c.services) p_.general_on_[s].push_back(id);
    }
    if (guard == kAbsent) {
      p_.extra_.push_back(id);
    } else {
      p_.by_guard_[p_.offsets_[guard] + guard_rank].push_back(id);
    }
    p_.constraints_.push_back(std::move(c));
  }

  // Which versions of the target meet the requirement; shared by all guards when the
  // requirement does not depend on the guard's own provides.
  std::vector<std::uint64_t> SupportTable(const Constraint& c, bool self_dependent) {
    if (!self_dependent) {
      if (auto it = support_cache_.find(c.requirement); it != support_cache_.end()) {
        return it->second;
      }
    }
    const ServiceInfo& target = p_.services_[c.target];
    const int count = static_cast<int>(target.versions.size());
    std::vector<std::uint64_t> bits(WordsFor(count), 0);
    for (int w = 0; w < count; ++w) {
      if (!target.allowed[w]) continue;
      const int guard = self_dependent ? c.guard_service : kAbsent;
      if (HoldsWith(c.requirement, guard, c.guard_rank, c.target, w)) SetBit(bits, w);
    }
    if (!self_dependent) support_cache_.emplace(c.requirement, bits);
    return bits;
  }

  const Catalog& catalog_;
  const ProblemOptions& options_;
  Problem p_;
  std::vector<std::vector<int>> catalog_rank_;  // service → catalog index → rank
  std::unordered_map<std::string, int> ids_;    // capability name → id
  std::unordered_map<std::string, int> requirement_ids_;
  std::unordered_map<int, std::vector<std::uint64_t>> support_cache_;
  std::vector<std::vector<rules::Value>> slots_;  // empty between uses of HoldsWith
  std::vector<std::pair<Problem::Provider*, Problem::Provider*>> chosen_;  // HoldsWith's
};

Result<Problem> Problem::Build(const Catalog& catalog, const ProblemOptions& options) {
  return ProblemBuilder(catalog, options).Run();
}

bool Problem::Holds(int requirement, std::span<const int> phase) const {
  const Requirement& req = requirements_[requirement];
  std::vector<std::vector<rules::Value>> slots(req.capabilities.size());
  for (std::size_t j = 0; j < req.capabilities.size(); ++j) {
    const int cap = req.capabilities[j];
    if (cap >= static_cast<int>(providers_.size())) continue;
    for (const Provider& p : providers_[cap]) {
      if (phase[p.service] == p.rank) slots[j].push_back(p.value);
    }
  }
  return req.expression.EvaluateAny(slots);
}

bool Problem::ReadsAlike(int requirement, int service, int a, int b) const {
  for (const int cap : requirements_[requirement].capabilities) {
    if (cap >= static_cast<int>(providers_.size())) continue;
    const rules::Value* of_a = nullptr;
    const rules::Value* of_b = nullptr;
    for (const Provider& p : providers_[cap]) {
      if (p.service != service) continue;
      if (p.rank == a) of_a = &p.value;
      if (p.rank == b) of_b = &p.value;
    }
    if ((of_a == nullptr) != (of_b == nullptr)) return false;
    if (of_a != nullptr && !(*of_a == *of_b)) return false;
  }
  return true;
}

bool Problem::Satisfied(int c, std::span<const int> phase) const {
  const Constraint& con = constraints_[c];
  if (con.guard_service != kAbsent && phase[con.guard_service] != con.guard_rank) return true;
  switch (con.kind) {
    case ConstraintKind::kFixed:
      return con.holds;
    case ConstraintKind::kBinary: {
      const int r = phase[con.target];
      return r == kAbsent ? con.holds_without_target : TestBit(con.support, r);
    }
    case ConstraintKind::kGeneral:
      return Holds(con.requirement, phase);
  }
  return false;
}

bool Problem::Consistent(std::span<const int> phase, bool with_extra) const {
  for (int s = 0; s < service_count(); ++s) {
    if (phase[s] == kAbsent) continue;
    for (int c : ConstraintsOf(s, phase[s])) {
      if (!Satisfied(c, phase)) return false;
    }
  }
  if (with_extra) {
    for (int c : extra_) {
      if (!Satisfied(c, phase)) return false;
    }
  }
  return true;
}

int Problem::TotalRank(std::span<const int> phase) const {
  int total = 0;
  for (int r : phase) total += r == kAbsent ? 0 : r;
  return total;
}

const std::string& Problem::Text(int c) const {
  return requirements_[constraints_[c].requirement].expression.text();
}

std::string Problem::Describe(int service, int rank) const {
  const ServiceInfo& info = services_[service];
  return info.name + " " + (rank == kAbsent ? std::string("(not deployed)") : info.versions[rank]);
}

}  // namespace maiev::solver
