// The scaling decision (SPEC §4): given a service's policy, its replica count, its triggers and
// the time of the last change, how many replicas it should have and why. Pure: no I/O, reads no
// clock (the caller passes `now`), so every rule below is tested exhaustively.
//
// Order of precedence:
//   1. a global service is never scaled;
//   2. a count outside [min, max] is brought inside at once (not paced);
//   3. missing metrics: hold, or scale up by one if the policy says so — never down;
//   4. scale_up wins over scale_down; neither → hold;
//   5. no change past max or below min;
//   6. pacing: a change waits max(reapply_interval, cooldown of its direction) since the last
//      change in any direction. While a trigger stays true the caller asks again each cycle, so
//      the change is re-applied every reapply_interval;
//   7. step: one replica, or in proportional mode ceil(current × latency / target) − current
//      (at least one), bounded by max_step and [min, max].
#pragma once

#include <optional>
#include <string>

#include "common/clock.hpp"

namespace maiev::scaling {

enum class ServiceMode { kReplicated, kGlobal };

enum class OnMissingMetrics {
  kHold,     // keep the current count
  kScaleUp,  // add one replica (paced like any change)
};

struct Policy {
  int min = 0;
  int max = 0;                      // REQUIRES: min <= max
  Duration reapply_interval{10.0};  // minimum time between two changes
  Duration cooldown_up{0.0};        // minimum time since the last change before scaling up
  Duration cooldown_down{0.0};      // minimum time since the last change before scaling down
  std::optional<int> max_step;      // replicas per change, >= 1; none: unbounded
  OnMissingMetrics on_missing_metrics = OnMissingMetrics::kHold;
  std::optional<double> target_latency;  // seconds, > 0: proportional mode when set
};

struct DecisionInput {
  ServiceMode mode = ServiceMode::kReplicated;
  int current = 0;  // replicas now
  bool scale_up = false;
  bool scale_down = false;
  bool metrics_missing = false;          // a resource has no sample, or a stale one
  std::optional<TimePoint> last_change;  // when the count was last changed; none: never
  TimePoint now;
  std::optional<double> latency;  // seconds, of the proportional resource; none: unknown
};

struct Decision {
  int replicas = 0;      // the count the service should have
  bool changed = false;  // replicas != current
  std::string reason;    // for people, e.g. "scale_up true: 2 → 3", "cool-down: 4 s left"

  friend bool operator==(const Decision&, const Decision&) = default;
};

Decision Decide(const Policy& policy, const DecisionInput& input);

}  // namespace maiev::scaling
