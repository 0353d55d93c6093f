// The scaling decision (SPEC §4): given a service's policy, its replica count, its triggers and
// the time of the last change, how many replicas it should have and why (as data: Reason). Pure:
// no I/O, reads no clock (the caller passes `now`), so every rule below is tested exhaustively.
//
// Order of precedence (a paused service is decided the same way, and keeps its count):
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
#include <string_view>
#include <vector>

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

// A resource whose metrics are missing (no fresh sample).
struct MissingMetrics {
  std::string resource;                 // as the rules name it, e.g. "rmq"
  std::optional<double> stale_seconds;  // age of its newest sample; none: never sampled

  friend bool operator==(const MissingMetrics&, const MissingMetrics&) = default;
};

struct DecisionInput {
  ServiceMode mode = ServiceMode::kReplicated;
  int current = 0;  // replicas now
  bool scale_up = false;
  bool scale_down = false;
  std::vector<MissingMetrics> missing_metrics;  // resources without a fresh sample; empty: none
  bool paused = false;                          // an operator paused autoscaling
  std::optional<TimePoint> last_change;         // when the count was last changed; none: never
  TimePoint now;
  std::optional<double> latency;  // seconds, of the proportional resource; none: unknown
};

// What asked for a change (or would have).
enum class Trigger {
  kNone,
  kScaleUp,
  kScaleDown,
  kMissingMetrics,  // on_missing_metrics: scale_up
};

// Why a decision came out as it did, as data; ToString is how people read it.
struct Reason {
  enum class Kind {
    kScaled,          // from → to, asked by `trigger`
    kBelowMin,        // from → to: brought up to min (`bound`)
    kAboveMax,        // from → to: brought down to max (`bound`)
    kGlobal,          // a global service: monitored only
    kMetricsMissing,  // holding: `missing` has no fresh metrics (on_missing_metrics: hold)
    kNoTrigger,       // neither trigger holds
    kAtMax,           // `trigger` asks for more; already at max (`bound`)
    kAtMin,           // `trigger` asks for fewer; already at min (`bound`)
    kCoolDown,        // `trigger` waits `seconds_left` for its direction's cool-down
    kReapplyWait,     // `trigger` waits `seconds_left` for the re-apply interval
  };
  Kind kind = Kind::kNoTrigger;
  Trigger trigger = Trigger::kNone;
  int from = 0;  // replicas before
  int to = 0;    // replicas it would have; `from` for a hold
  int bound = 0;
  double seconds_left = 0;
  std::vector<MissingMetrics> missing;  // kMetricsMissing and Trigger::kMissingMetrics
  // kScaled in proportional mode: the latency it was sized by (none: unknown, one step) and the
  // target; max_step when it bounded the step.
  std::optional<double> latency;
  std::optional<double> target_latency;
  std::optional<int> max_step;
  // Autoscaling is paused: nothing changes; the rest says what would have happened.
  bool paused = false;

  friend bool operator==(const Reason&, const Reason&) = default;
};

std::string_view ToString(Trigger trigger);    // "scale_up", "scale_down", "missing_metrics", ""
std::string_view ToString(Reason::Kind kind);  // "scaled", "at_max", "cool_down", ...
// "2 → 3: scale_up", "at max 6: scale_up", "cool-down 2.1 s left: scale_down", "no trigger",
// "metrics missing: rmq stale 16 s", "paused: would be 2 → 3: scale_up". `trigger_text`, when
// given, says why the trigger fired instead of its bare name (a rules::Explanation line starts
// with the trigger's name), after kinds that follow a trigger (kScaled by a rule trigger, kAtMax,
// kAtMin, kCoolDown, kReapplyWait, kNoTrigger).
std::string ToString(const Reason& reason, std::string_view trigger_text = {});
// "16 s", "2.1 s": seconds as reasons show them (tenths below 10 s).
std::string SecondsText(double seconds);

struct Decision {
  int replicas = 0;      // the count the service should have
  bool changed = false;  // replicas != current
  std::string reason;    // ToString(why), e.g. "2 → 3: scale_up", "cool-down 4 s left: scale_up"
  Reason why;

  friend bool operator==(const Decision&, const Decision&) = default;
};

Decision Decide(const Policy& policy, const DecisionInput& input);

}  // namespace maiev::scaling
