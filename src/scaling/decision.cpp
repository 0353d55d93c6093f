#include "scaling/decision.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace maiev::scaling {
namespace {

enum class Direction { kUp, kDown };

// "0.2", "1.5", "30": compact numbers for reasons.
std::string Compact(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string Arrow(int from, int to) { return std::to_string(from) + " → " + std::to_string(to); }

// The decision `why` describes: the service gets why.to.
Decision Make(Reason why) {
  Decision decision;
  decision.replicas = why.to;
  decision.changed = why.to != why.from;
  decision.why = std::move(why);
  decision.reason = ToString(decision.why);
  return decision;
}

// A reason that keeps the count (Change may then move `to`).
Reason Hold(const DecisionInput& in, Reason::Kind kind, Trigger trigger = Trigger::kNone) {
  Reason why;
  why.kind = kind;
  why.trigger = trigger;
  why.from = in.current;
  why.to = in.current;
  return why;
}

// Seconds still to wait before a change in `dir`, 0 when it may happen now.
double WaitLeft(const Policy& policy, const DecisionInput& in, Direction dir, bool& by_cooldown) {
  const Duration cooldown = dir == Direction::kUp ? policy.cooldown_up : policy.cooldown_down;
  by_cooldown = cooldown > policy.reapply_interval;
  if (!in.last_change) return 0.0;
  const double wait = std::max(cooldown, policy.reapply_interval).count();
  const double elapsed = SecondsBetween(*in.last_change, in.now);
  return std::max(0.0, wait - elapsed);
}

// Replicas to add or remove, >= 1, before max_step and [min, max]; notes in `why` what sized it.
int StepSize(const Policy& policy, const DecisionInput& in, Direction dir, Reason& why) {
  if (!policy.target_latency || !in.missing_metrics.empty()) return 1;
  why.target_latency = policy.target_latency;
  if (!in.latency || !std::isfinite(*in.latency) || *in.latency < 0) return 1;
  why.latency = in.latency;
  const double target = *policy.target_latency;
  // Bounded before converting so a huge latency cannot overflow int.
  const double desired =
      std::min(std::ceil(in.current * *in.latency / target), static_cast<double>(policy.max));
  const double step = dir == Direction::kUp ? desired - in.current : in.current - desired;
  return std::max(1, static_cast<int>(step));
}

Decision Change(const Policy& policy, const DecisionInput& in, Direction dir, Trigger trigger) {
  const int current = in.current;
  Reason why = Hold(in, Reason::Kind::kScaled, trigger);
  if (trigger == Trigger::kMissingMetrics) why.missing = in.missing_metrics;
  if (dir == Direction::kUp && current >= policy.max) {
    why.kind = Reason::Kind::kAtMax;
    why.bound = policy.max;
    return Make(std::move(why));
  }
  if (dir == Direction::kDown && current <= policy.min) {
    why.kind = Reason::Kind::kAtMin;
    why.bound = policy.min;
    return Make(std::move(why));
  }
  bool by_cooldown = false;
  const double left = WaitLeft(policy, in, dir, by_cooldown);
  if (left > 0) {
    why.kind = by_cooldown ? Reason::Kind::kCoolDown : Reason::Kind::kReapplyWait;
    why.seconds_left = left;
    return Make(std::move(why));
  }
  int step = StepSize(policy, in, dir, why);
  if (policy.max_step && step > *policy.max_step) {
    step = *policy.max_step;
    why.max_step = step;
  }
  why.to = dir == Direction::kUp ? std::min(policy.max, current + step)
                                 : std::max(policy.min, current - step);
  return Make(std::move(why));
}

Decision DecideUnpaused(const Policy& policy, const DecisionInput& in) {
  const int current = in.current;
  if (in.mode == ServiceMode::kGlobal) return Make(Hold(in, Reason::Kind::kGlobal));
  if (current < policy.min || current > policy.max) {
    Reason why = Hold(in, current < policy.min ? Reason::Kind::kBelowMin : Reason::Kind::kAboveMax);
    why.bound = current < policy.min ? policy.min : policy.max;
    why.to = why.bound;
    return Make(std::move(why));
  }
  if (!in.missing_metrics.empty()) {
    if (policy.on_missing_metrics == OnMissingMetrics::kHold) {
      Reason why = Hold(in, Reason::Kind::kMetricsMissing);
      why.missing = in.missing_metrics;
      return Make(std::move(why));
    }
    return Change(policy, in, Direction::kUp, Trigger::kMissingMetrics);
  }
  if (in.scale_up) return Change(policy, in, Direction::kUp, Trigger::kScaleUp);
  if (in.scale_down) return Change(policy, in, Direction::kDown, Trigger::kScaleDown);
  return Make(Hold(in, Reason::Kind::kNoTrigger));
}

std::string MissingText(const std::vector<MissingMetrics>& missing) {
  std::string out = "metrics missing: ";
  for (size_t i = 0; i < missing.size(); ++i) {
    if (i > 0) out += ", ";
    out += missing[i].resource;
    out += missing[i].stale_seconds ? " stale " + SecondsText(*missing[i].stale_seconds)
                                    : std::string(" no sample yet");
  }
  return out;
}

// "(latency 1.2 s, target 0.5 s, max step 3)", or "" for a plain step.
std::string StepText(const Reason& why) {
  std::string detail;
  if (why.target_latency) {
    detail = why.latency ? "latency " + Compact(*why.latency) + " s, target " +
                               Compact(*why.target_latency) + " s"
                         : std::string("latency unknown: one step");
  }
  if (why.max_step) {
    detail +=
        (detail.empty() ? "" : ", ") + std::string("max step ") + std::to_string(*why.max_step);
  }
  return detail.empty() ? "" : " (" + detail + ")";
}

// The part before the trigger: "2 → 3", "at max 6", ...; `follows_trigger` when the trigger (or
// why it fired) is to be said after it.
std::string Head(const Reason& why, bool& follows_trigger) {
  follows_trigger = true;
  switch (why.kind) {
    case Reason::Kind::kScaled:
      return Arrow(why.from, why.to) + StepText(why);
    case Reason::Kind::kAtMax:
      return "at max " + std::to_string(why.bound);
    case Reason::Kind::kAtMin:
      return "at min " + std::to_string(why.bound);
    case Reason::Kind::kCoolDown:
      return "cool-down " + SecondsText(why.seconds_left) + " left";
    case Reason::Kind::kReapplyWait:
      return "re-apply in " + SecondsText(why.seconds_left);
    case Reason::Kind::kNoTrigger:
      return "no trigger";
    default:
      break;
  }
  follows_trigger = false;
  switch (why.kind) {
    case Reason::Kind::kBelowMin:
      return Arrow(why.from, why.to) + ": below min " + std::to_string(why.bound);
    case Reason::Kind::kAboveMax:
      return Arrow(why.from, why.to) + ": above max " + std::to_string(why.bound);
    case Reason::Kind::kGlobal:
      return "global service: monitored only";
    case Reason::Kind::kMetricsMissing:
      return MissingText(why.missing);
    default:
      return "";
  }
}

}  // namespace

std::string_view ToString(Trigger trigger) {
  switch (trigger) {
    case Trigger::kNone:
      return "";
    case Trigger::kScaleUp:
      return "scale_up";
    case Trigger::kScaleDown:
      return "scale_down";
    case Trigger::kMissingMetrics:
      return "missing_metrics";
  }
  return "";
}

std::string_view ToString(Reason::Kind kind) {
  switch (kind) {
    case Reason::Kind::kScaled:
      return "scaled";
    case Reason::Kind::kBelowMin:
      return "below_min";
    case Reason::Kind::kAboveMax:
      return "above_max";
    case Reason::Kind::kGlobal:
      return "global";
    case Reason::Kind::kMetricsMissing:
      return "metrics_missing";
    case Reason::Kind::kNoTrigger:
      return "no_trigger";
    case Reason::Kind::kAtMax:
      return "at_max";
    case Reason::Kind::kAtMin:
      return "at_min";
    case Reason::Kind::kCoolDown:
      return "cool_down";
    case Reason::Kind::kReapplyWait:
      return "reapply_wait";
  }
  return "";
}

std::string SecondsText(double seconds) {
  char buf[32];
  if (seconds < 10) {
    // Tenths, rounded up: a wait never shows as over before it is.
    std::snprintf(buf, sizeof buf, "%g", std::ceil(seconds * 10 - 1e-9) / 10);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", std::ceil(seconds - 1e-9));
  }
  return std::string(buf) + " s";
}

std::string ToString(const Reason& why, std::string_view trigger_text) {
  bool follows_trigger = false;
  std::string out = Head(why, follows_trigger);
  if (follows_trigger) {
    std::string tail;
    if (why.trigger == Trigger::kMissingMetrics) {
      tail = MissingText(why.missing) + " (on_missing_metrics: scale_up)";
    } else if (!trigger_text.empty()) {
      tail = std::string(trigger_text);
    } else {
      tail = std::string(ToString(why.trigger));
    }
    if (!tail.empty()) out += ": " + tail;
  }
  if (!why.paused) return out;
  return std::string("paused: ") + (why.to != why.from ? "would be " : "") + out;
}

Decision Decide(const Policy& policy, const DecisionInput& in) {
  Decision decision = DecideUnpaused(policy, in);
  if (!in.paused) return decision;
  decision.why.paused = true;
  decision.replicas = in.current;
  decision.changed = false;
  decision.reason = ToString(decision.why);
  return decision;
}

}  // namespace maiev::scaling
