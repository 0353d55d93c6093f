// The lease of the one maiev that acts on a swarm (docs/RELIABILITY.md, "One active instance"):
// a record kept on a Swarm object, changed only by compare-and-swap on the object's version, so
// two maievs can never both believe they renewed it. Implementations: DockerEngineOrchestrator
// (the labels of a Swarm config) and FakeLeaseStore (in memory, for tests).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace maiev::orchestrator {

// What the lease says. `renewed` is the holder's clock and only informs (GET /api/v1/leader's
// lease_expires): a candidate measures the lease with its own clock from when it saw the record
// change, so clocks of different managers need not agree.
struct LeaseRecord {
  std::string holder;  // the instance id of the holder; empty: released
  TimePoint renewed;
  Duration duration{0.0};
  std::uint64_t transitions = 0;  // how many times the holder changed

  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

// The record as read, with what a compare-and-swap needs.
struct StoredLease {
  std::string id;             // the Swarm object's ID
  std::uint64_t version = 0;  // Version.Index: changes with every write
  LeaseRecord record;
};

// The labels a record is kept as, and back (error "invalid" naming the label).
std::map<std::string, std::string> LeaseLabels(const LeaseRecord& record);
Result<LeaseRecord> LeaseFromLabels(const std::map<std::string, std::string>& labels);

// Thread-safe implementations.
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // The lease named `name`; nullopt when there is none yet.
  virtual Result<std::optional<StoredLease>> ReadLease(std::string_view name) = 0;
  // Creates it; error "conflict" when another instance created it first.
  virtual Status CreateLease(std::string_view name, const LeaseRecord& record) = 0;
  // Replaces it if it is still at `lease.version`; error "conflict" when it changed since.
  virtual Status UpdateLease(std::string_view name, const StoredLease& lease,
                             const LeaseRecord& record) = 0;
};

}  // namespace maiev::orchestrator
