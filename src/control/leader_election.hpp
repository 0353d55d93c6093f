// One active maiev per swarm (docs/RELIABILITY.md, "One active instance"): every instance runs a
// LeaderElector on the same lease (orchestrator/lease_store.hpp); the one that holds it acts
// (scales, upgrades, takes operators' changes), the others only watch and serve reads.
//
// The algorithm is the one of Kubernetes' leader election, on a Swarm object:
// - a candidate takes the lease when it is absent, released (no holder), or has not changed for
//   `duration` as measured by the candidate's own clock from when it first saw that version;
// - the holder renews it every `renew_interval` by compare-and-swap on the object's version;
// - the holder acts only until `renew_deadline` after the start of its last successful renewal,
//   which is shorter than `duration`: a holder that cannot renew (a partition, a stopped process)
//   has stopped acting before any other instance may take over, so no two ever act at once.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "orchestrator/lease_store.hpp"

namespace maiev::control {

inline constexpr Duration kLeaseDuration{15.0};
inline constexpr Duration kLeaseRenewInterval{2.0};
inline constexpr Duration kLeaseRenewDeadline{10.0};

struct LeaseOptions {
  std::string name = "maiev-leader";   // --lease-name: the Swarm config holding the lease
  std::string identity;                // --instance-id: this instance's name in the lease
  Duration duration = kLeaseDuration;  // --lease-duration
  Duration renew_interval = kLeaseRenewInterval;  // --lease-renew-interval
  Duration renew_deadline = kLeaseRenewDeadline;  // acts this long after a renewal at most

  // Error "invalid" naming the flag: identity empty, or not 0 < renew_interval < renew_deadline
  // < duration.
  Status Validate() const;
};

// GET /api/v1/leader.
struct LeaderStatus {
  bool leading = false;  // this instance may act now
  std::string leader;    // the holder as last read; empty: none (released, or never read)
  std::string self;
  std::optional<TimePoint> lease_expires;  // the holder's renewal time + duration
  std::uint64_t transitions = 0;
  std::string error;  // why the lease could not be read or written last time; empty: it could
};

// Whether this instance may act on the swarm now; thread-safe.
class Leadership {
 public:
  virtual ~Leadership() = default;
  virtual bool MayAct() const = 0;
};

// Thread-safe: Tick/Run/Release on the election thread, MayAct and Snapshot from any.
class LeaderElector final : public Leadership {
 public:
  LeaderElector(orchestrator::LeaseStore& store, const Clock& clock, LeaseOptions options);

  // One attempt to take or renew the lease. Returns MayAct() after it.
  bool Tick();
  // Ticks every renew_interval until `stop`, then releases the lease if it holds it, so that a
  // standby takes over at once (maiev's own rolling update).
  void Run(const std::stop_token& stop);
  // Stops acting, and gives the lease up when it holds it. Error: the lease's store's.
  maiev::Status Release();

  bool MayAct() const override;
  LeaderStatus Snapshot() const;
  const LeaseOptions& options() const { return options_; }

 private:
  // Records the attempt's outcome, logging a change of leader or of the lease's reachability.
  // REQUIRES: mutex_ held.
  void SetLeader(const std::string& leader, bool leading, TimePoint attempt_started);
  void SetError(const std::string& error);  // REQUIRES: mutex_ held
  bool MayActLocked() const;                // REQUIRES: mutex_ held

  orchestrator::LeaseStore& store_;
  const Clock& clock_;
  const LeaseOptions options_;

  mutable std::mutex mutex_;  // guards everything below
  bool leading_ = false;
  TimePoint renewed_at_{};  // start of the latest successful take or renewal
  // The version of the lease last seen, and when it was first seen (this instance's clock).
  std::optional<orchestrator::StoredLease> observed_;
  TimePoint observed_at_{};
  LeaderStatus status_;
};

// An instance id for the lease: "<hostname>-<pid>-<4 random hex digits>" (the hostname of a Swarm
// task is its container's id).
std::string DefaultInstanceId();

}  // namespace maiev::control
