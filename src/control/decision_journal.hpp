// The decisions the autoscaler records, kept in memory while the store cannot take them (a full
// disk, a file made read-only) and appended in their order once it can: a store outage delays
// the decision log, it does not lose it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include "common/result.hpp"
#include "store/store.hpp"

namespace maiev::control {

// How many decisions wait for the store at most; beyond it the oldest are dropped (and counted).
// About 1 KiB each, so 10,000 is ~10 MB: hours of scaling of a large swarm.
inline constexpr std::size_t kUnrecordedDecisionsKept = 10'000;

// Thread-safe: mutex_ guards the backlog and the counters; it is held across store calls so
// that decisions reach the store in the order they were recorded.
class DecisionJournal {
 public:
  explicit DecisionJournal(store::Store& store, std::size_t capacity = kUnrecordedDecisionsKept)
      : store_(store), capacity_(capacity) {}

  // Appends the decisions still waiting, then `decision`; returns the id the store gave it, or
  // the store's error when it (or one before it) could not be appended: it then waits in memory.
  Result<std::int64_t> Record(const store::DecisionRecord& decision);
  // Appends the decisions still waiting, in order, until the store refuses one. Returns how many
  // still wait.
  std::size_t Flush();

  struct Counts {
    std::size_t waiting = 0;    // in memory, not yet in the store
    std::uint64_t dropped = 0;  // lost: the backlog was full
    std::uint64_t delayed = 0;  // appended later than recorded
  };
  Counts counts() const;

 private:
  Status FlushLocked();  // REQUIRES: mutex_ held

  store::Store& store_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<store::DecisionRecord> waiting_;  // oldest first; guarded by mutex_
  Counts counts_;                              // guarded by mutex_ (waiting: waiting_.size())
};

}  // namespace maiev::control
