// An in-memory LeaseStore for tests: one object per name with a version that grows on every
// write, as Swarm's does; a test can make the next calls fail, as a lost swarm would.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "orchestrator/lease_store.hpp"

namespace maiev::orchestrator {

class FakeLeaseStore final : public LeaseStore {
 public:
  Result<std::optional<StoredLease>> ReadLease(std::string_view name) override {
    std::lock_guard lock(mutex_);
    if (unreachable_) return Fail("io", "the swarm cannot be reached");
    auto it = leases_.find(std::string(name));
    if (it == leases_.end()) return std::optional<StoredLease>();
    return std::optional<StoredLease>(it->second);
  }

  Status CreateLease(std::string_view name, const LeaseRecord& record) override {
    std::lock_guard lock(mutex_);
    if (unreachable_) return Fail("io", "the swarm cannot be reached");
    auto [it, created] = leases_.try_emplace(std::string(name));
    if (!created) return Fail("conflict", "lease exists");
    it->second = {"lease-" + std::string(name), ++version_, record};
    ++writes_;
    return {};
  }

  Status UpdateLease(std::string_view name, const StoredLease& lease,
                     const LeaseRecord& record) override {
    std::lock_guard lock(mutex_);
    if (unreachable_) return Fail("io", "the swarm cannot be reached");
    auto it = leases_.find(std::string(name));
    if (it == leases_.end()) return Fail("not_found", "no lease");
    if (it->second.version != lease.version) return Fail("conflict", "out of sequence");
    it->second.version = ++version_;
    it->second.record = record;
    ++writes_;
    return {};
  }

  // --- Test control ------------------------------------------------------------------------
  void SetUnreachable(bool unreachable) {
    std::lock_guard lock(mutex_);
    unreachable_ = unreachable;
  }
  // Writes the record as another instance would (the version grows).
  void Put(const std::string& name, const LeaseRecord& record) {
    std::lock_guard lock(mutex_);
    StoredLease& lease = leases_[name];
    lease.id = "lease-" + name;
    lease.version = ++version_;
    lease.record = record;
  }
  std::optional<LeaseRecord> Get(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = leases_.find(name);
    if (it == leases_.end()) return std::nullopt;
    return it->second.record;
  }
  int writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, StoredLease> leases_;
  std::uint64_t version_ = 0;
  bool unreachable_ = false;
  int writes_ = 0;
};

}  // namespace maiev::orchestrator
