#include "control/decision_journal.hpp"

#include <spdlog/spdlog.h>

#include "common/time_format.hpp"

namespace maiev::control {

Result<std::int64_t> DecisionJournal::Record(const store::DecisionRecord& decision) {
  std::lock_guard lock(mutex_);
  Status flushed = FlushLocked();
  if (flushed.ok()) {
    auto id = store_.AppendDecision(decision);
    if (id.ok()) return id;
    flushed = Unexpected{id.error()};
  }
  if (waiting_.size() >= capacity_) {
    const store::DecisionRecord& oldest = waiting_.front();
    spdlog::error("service {}: decision {} → {} of {} lost: {} decisions wait for the store",
                  oldest.service, oldest.old_replicas, oldest.new_replicas,
                  FormatUtcMillis(oldest.time), waiting_.size());
    waiting_.pop_front();
    ++counts_.dropped;
  }
  waiting_.push_back(decision);
  return Unexpected{flushed.error()};
}

std::size_t DecisionJournal::Flush() {
  std::lock_guard lock(mutex_);
  (void)FlushLocked();
  return waiting_.size();
}

DecisionJournal::Counts DecisionJournal::counts() const {
  std::lock_guard lock(mutex_);
  Counts counts = counts_;
  counts.waiting = waiting_.size();
  return counts;
}

Status DecisionJournal::FlushLocked() {
  const std::size_t before = waiting_.size();
  while (!waiting_.empty()) {
    if (auto id = store_.AppendDecision(waiting_.front()); !id.ok()) return Unexpected{id.error()};
    waiting_.pop_front();
    ++counts_.delayed;
  }
  if (before > 0) spdlog::info("store: {} decision(s) kept in memory now recorded", before);
  return {};
}

}  // namespace maiev::control
