// For tests: a StoreWrapper whose writes can be made to fail as a full disk does (SQLite's
// SQLITE_FULL, as SqliteStore words it) and succeed again, while reads keep working.
#pragma once

#include <mutex>
#include <string>

#include "store/store_wrapper.hpp"

namespace maiev::store {

// Thread-safe: mutex_ guards the switch and the count.
class FaultyStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;

  void SetDiskFull(bool full) {
    std::lock_guard lock(mutex_);
    disk_full_ = full;
  }
  int refused_writes() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }

  static constexpr const char* kFullMessage = "store \"test.db\": saving: database or disk is full";

 private:
  Status Before(Access access) override {
    std::lock_guard lock(mutex_);
    if (access != Access::kWrite || !disk_full_) return {};
    ++refused_;
    return Fail("io", kFullMessage);
  }

  mutable std::mutex mutex_;
  bool disk_full_ = false;
  int refused_ = 0;
};

}  // namespace maiev::store
