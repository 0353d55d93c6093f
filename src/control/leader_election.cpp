#include "control/leader_election.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <utility>

#include "common/sleep.hpp"

namespace maiev::control {
namespace {

std::string SecondsText(Duration d) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%g", d.count());
  return text.data();
}

TimePoint After(TimePoint t, Duration d) {
  return t + std::chrono::duration_cast<TimePoint::duration>(d);
}

}  // namespace

Status LeaseOptions::Validate() const {
  if (name.empty()) return Fail("invalid", "--lease-name: must not be empty");
  if (identity.empty()) return Fail("invalid", "--instance-id: must not be empty");
  for (const auto& [flag, value] : {std::pair{"--lease-duration", duration},
                                    std::pair{"--lease-renew-deadline", renew_deadline},
                                    std::pair{"--lease-renew-interval", renew_interval}}) {
    if (!std::isfinite(value.count()) || value.count() > 86'400) {
      return Fail("invalid",
                  std::string(flag) + ": expected seconds up to a day, got " + SecondsText(value));
    }
  }
  if (!(renew_interval.count() > 0)) {
    return Fail("invalid",
                "--lease-renew-interval: expected seconds > 0, got " + SecondsText(renew_interval));
  }
  if (!(renew_deadline > renew_interval) || !(duration > renew_deadline)) {
    return Fail("invalid", "--lease-duration " + SecondsText(duration) +
                               " s must be longer than the renew deadline (" +
                               SecondsText(renew_deadline) +
                               " s), itself longer than --lease-renew-interval " +
                               SecondsText(renew_interval) + " s");
  }
  return {};
}

LeaderElector::LeaderElector(orchestrator::LeaseStore& store, const Clock& clock,
                             LeaseOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  status_.self = options_.identity;
}

bool LeaderElector::Tick() {
  const TimePoint started = clock_.Now();
  auto read = store_.ReadLease(options_.name);
  std::unique_lock lock(mutex_);
  if (!read) {
    SetError(read.error().message);
    return MayActLocked();
  }
  orchestrator::LeaseRecord next{options_.identity, started, options_.duration, 0};
  if (!read->has_value()) {
    lock.unlock();
    Status created = store_.CreateLease(options_.name, next);
    lock.lock();
    if (!created) {
      // "conflict": another instance created it first; the next tick reads it.
      if (created.error().code != "conflict") SetError(created.error().message);
      return MayActLocked();
    }
    SetError("");
    status_.lease_expires = After(started, options_.duration);
    status_.transitions = 0;
    SetLeader(options_.identity, true, started);
    return MayActLocked();
  }
  const orchestrator::StoredLease& lease = **read;
  if (!observed_ || observed_->id != lease.id || observed_->version != lease.version) {
    observed_ = lease;
    observed_at_ = started;
  }
  const orchestrator::LeaseRecord& record = lease.record;
  status_.lease_expires = After(record.renewed, record.duration);
  status_.transitions = record.transitions;
  const bool ours = record.holder == options_.identity;
  const bool live = !record.holder.empty() && started < After(observed_at_, record.duration);
  if (!ours && live) {
    SetError("");
    SetLeader(record.holder, false, started);
    return false;
  }
  next.transitions = record.transitions + (ours ? 0 : 1);
  lock.unlock();
  Status written = store_.UpdateLease(options_.name, lease, next);
  lock.lock();
  if (!written) {
    if (written.error().code == "conflict") {
      // Another instance wrote first: it is the holder now, as the next read will show.
      SetError("");
      SetLeader("", false, started);
    } else {
      SetError(written.error().message);
    }
    return MayActLocked();
  }
  SetError("");
  observed_.reset();  // the version written is unknown: the next read observes it
  status_.lease_expires = After(started, options_.duration);
  status_.transitions = next.transitions;
  if (!ours) {
    spdlog::info("lease {}: taken over from {} (transition {})", options_.name,
                 record.holder.empty() ? "nobody (released)" : record.holder, next.transitions);
  }
  SetLeader(options_.identity, true, started);
  return MayActLocked();
}

void LeaderElector::SetLeader(const std::string& leader, bool leading, TimePoint attempt_started) {
  if (leading) renewed_at_ = attempt_started;
  if (leading != leading_) {
    if (leading) {
      spdlog::info("lease {}: this instance ({}) leads: it acts on the swarm", options_.name,
                   options_.identity);
    } else {
      spdlog::warn("lease {}: this instance ({}) no longer leads{}", options_.name,
                   options_.identity, leader.empty() ? "" : "; the leader is " + leader);
    }
  } else if (!leading && !leader.empty() && leader != status_.leader) {
    spdlog::info("lease {}: standing by; the leader is {}", options_.name, leader);
  }
  leading_ = leading;
  if (!leader.empty() || !leading) status_.leader = leader;
}

void LeaderElector::SetError(const std::string& error) {
  if (error.empty() && !status_.error.empty()) {
    spdlog::info("lease {}: the lease can be read and written again", options_.name);
  } else if (!error.empty() && status_.error.empty()) {
    spdlog::warn(
        "lease {}: {}{}", options_.name, error,
        leading_ ? "; this instance stops acting if it cannot renew within the deadline" : "");
  }
  status_.error = error;
}

void LeaderElector::Run(const std::stop_token& stop) {
  do {
    Tick();
  } while (SleepFor(options_.renew_interval, stop));
  if (auto st = Release(); !st) {
    spdlog::warn("lease {}: cannot release it: {}", options_.name, st.error().message);
  }
}

Status LeaderElector::Release() {
  {
    std::lock_guard lock(mutex_);
    if (!leading_) return {};
    leading_ = false;  // stops acting before the lease is given up
  }
  auto read = store_.ReadLease(options_.name);
  if (!read) return Unexpected<Error>{read.error()};
  if (!read->has_value() || (*read)->record.holder != options_.identity) return {};
  orchestrator::LeaseRecord released = (*read)->record;
  released.holder.clear();
  released.renewed = clock_.Now();
  Status st = store_.UpdateLease(options_.name, **read, released);
  if (st) spdlog::info("lease {}: released", options_.name);
  return st;
}

bool LeaderElector::MayAct() const {
  std::lock_guard lock(mutex_);
  return MayActLocked();
}

bool LeaderElector::MayActLocked() const {
  return leading_ && clock_.Now() < After(renewed_at_, options_.renew_deadline);
}

LeaderStatus LeaderElector::Snapshot() const {
  std::lock_guard lock(mutex_);
  LeaderStatus status = status_;
  status.leading = MayActLocked();
  return status;
}

std::string DefaultInstanceId() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0 || host[0] == '\0') {
    std::snprintf(host.data(), host.size(), "maiev");
  }
  std::random_device random;
  std::array<char, 8> suffix{};
  std::snprintf(suffix.data(), suffix.size(), "%04x", static_cast<unsigned>(random() & 0xffffU));
  return std::string(host.data()) + "-" + std::to_string(getpid()) + "-" + suffix.data();
}

}  // namespace maiev::control
