// A catalog compiled for solving (SPEC §5): versions ranked, candidates decided, requirements
// compiled against the capabilities and classified by the services they depend on.
//
// Model. A phase gives each service one version (or, in the planner only, none yet: `kAbsent`).
// A capability that no chosen version provides is null; when several chosen versions provide it,
// a comparison holds when it holds for one of them (Expression::EvaluateAny). A phase is
// consistent when every requirement of every chosen version holds; extra constraints must also
// hold in the target phase.
//
// Ranks: a service's versions sorted newest first by versions::Version; rank 0 is the newest in
// the catalog (available or not). A version text that is not a Version is rejected.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "rules/expression.hpp"
#include "rules/value.hpp"
#include "solver/catalog.hpp"

namespace maiev::solver {

inline constexpr int kAbsent = -1;  // a service not deployed (planner start states only)

struct ProblemOptions {
  // The running phase, service → version. Empty: nothing runs, every available version is a
  // candidate. Services missing here have no running version.
  std::map<std::string, std::string> running;
  // Extra constraints: rule-language expressions over capabilities, required of the target.
  std::vector<std::string> constraints;
};

struct ServiceInfo {
  std::string name;
  std::vector<std::string> versions;  // by rank: [0] is the newest
  std::vector<bool> allowed;          // by rank: a candidate for the target
  int running = kAbsent;              // rank of the running version
};

// A distinct requirement text, compiled. Requirements are shared by every version that states
// the same text.
struct Requirement {
  rules::Expression expression;
  std::vector<int> capabilities;  // slot → capability id
  std::vector<int> scope;         // services with an allowed version providing one, ascending
};

enum class ConstraintKind {
  kFixed,    // depends on no service but the guard's own version: `holds` says it all
  kBinary,   // depends on one other service: `support` says which of its versions meet it
  kGeneral,  // depends on several services: evaluated on (partial) phases
};

// One requirement of one candidate version (the guard), or one extra constraint (no guard).
struct Constraint {
  ConstraintKind kind = ConstraintKind::kFixed;
  int guard_service = kAbsent;  // kAbsent for an extra constraint
  int guard_rank = kAbsent;
  int requirement = 0;   // index into Problem::requirements()
  int position = 0;      // index in the version's `require` list, or in the extra constraints
  bool holds = true;     // kFixed
  int target = kAbsent;  // kBinary: the service it depends on
  std::vector<std::uint64_t> support;  // kBinary: bit r set when met with target at rank r
  bool holds_without_target = false;   // kBinary: met when the target is absent
  std::vector<int> services;           // kGeneral: the scope plus the guard, ascending
};

// Immutable after Build; thread-compatible (evaluation uses no shared mutable state).
class Problem {
 public:
  // Errors (code "invalid"): an unparsable version, a running version or service not in the
  // catalog, a requirement or constraint that does not compile (service, version, position and
  // column named).
  static Result<Problem> Build(const Catalog& catalog, const ProblemOptions& options);

  int service_count() const { return static_cast<int>(services_.size()); }
  const std::vector<ServiceInfo>& services() const { return services_; }
  const ServiceInfo& service(int s) const { return services_[s]; }
  bool has_running() const { return has_running_; }
  const std::vector<Requirement>& requirements() const { return requirements_; }
  const std::vector<Constraint>& constraints() const { return constraints_; }
  const std::vector<std::string>& capability_names() const { return capability_names_; }
  // Whether some candidate version provides capability `id`.
  bool IsProvided(int id) const {
    return id < static_cast<int>(providers_.size()) && !providers_[id].empty();
  }

  // Constraints of a candidate version, by guard.
  const std::vector<int>& ConstraintsOf(int service, int rank) const {
    return by_guard_[offsets_[service] + rank];
  }
  // kBinary constraints (with a guard) whose target is `service`.
  const std::vector<int>& BinaryOn(int service) const { return binary_on_[service]; }
  // kGeneral constraints whose scope includes `service` (guarded or not).
  const std::vector<int>& GeneralOn(int service) const { return general_on_[service]; }
  // Extra constraints (no guard).
  const std::vector<int>& Extra() const { return extra_; }

  // Whether `requirement` holds on `phase` (rank or kAbsent per service).
  bool Holds(int requirement, std::span<const int> phase) const;
  // Whether ranks a and b of `service` (either may be kAbsent) provide the same values of every
  // capability `requirement` names, so that it holds for both or neither, whatever the phase.
  bool ReadsAlike(int requirement, int service, int a, int b) const;
  // Whether constraint `c` holds on `phase` (true when its guard is not chosen).
  bool Satisfied(int c, std::span<const int> phase) const;
  // Whether `phase` is consistent; with `with_extra`, extra constraints are checked too.
  bool Consistent(std::span<const int> phase, bool with_extra) const;
  int TotalRank(std::span<const int> phase) const;

  // Text of a constraint's requirement, and "service version" of a (service, rank).
  const std::string& Text(int c) const;
  std::string Describe(int service, int rank) const;

 private:
  struct Provider {
    int service;
    int rank;
    rules::Value value;
  };

  Problem() = default;

  std::vector<ServiceInfo> services_;
  bool has_running_ = false;
  std::vector<int> offsets_;  // service → first flat index of its versions
  std::vector<std::string> capability_names_;
  std::vector<std::vector<Provider>> providers_;  // by capability id: allowed versions only
  std::vector<Requirement> requirements_;
  std::vector<Constraint> constraints_;
  std::vector<std::vector<int>> by_guard_;  // flat (service, rank) → constraint ids
  std::vector<std::vector<int>> binary_on_;
  std::vector<std::vector<int>> general_on_;
  std::vector<int> extra_;

  friend class ProblemBuilder;
};

// Bit operations on per-service version sets (bit r = rank r).
inline bool TestBit(std::span<const std::uint64_t> bits, int r) {
  return (bits[static_cast<std::size_t>(r) / 64] >> (r % 64)) & 1U;
}
inline void SetBit(std::span<std::uint64_t> bits, int r) {
  bits[static_cast<std::size_t>(r) / 64] |= std::uint64_t{1} << (r % 64);
}
inline int WordsFor(int count) { return (count + 63) / 64; }

}  // namespace maiev::solver
