#include "scaling/decision.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace maiev::scaling {
namespace {

enum class Direction { kUp, kDown };

// "0.2", "1.5", "30": compact seconds for reasons.
std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string Arrow(int from, int to) { return std::to_string(from) + " → " + std::to_string(to); }

Decision Hold(int current, std::string reason) {
  return Decision{current, false, std::move(reason)};
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

// Replicas to add or remove, >= 1, before max_step and [min, max].
int StepSize(const Policy& policy, const DecisionInput& in, Direction dir, std::string& detail) {
  if (!policy.target_latency || in.metrics_missing) return 1;
  if (!in.latency || !std::isfinite(*in.latency) || *in.latency < 0) {
    detail = "latency unknown: one step";
    return 1;
  }
  const double target = *policy.target_latency;
  // Bounded before converting so a huge latency cannot overflow int.
  const double desired =
      std::min(std::ceil(in.current * *in.latency / target), static_cast<double>(policy.max));
  const double step = dir == Direction::kUp ? desired - in.current : in.current - desired;
  detail = "latency " + Seconds(*in.latency) + " s, target " + Seconds(target) + " s";
  return std::max(1, static_cast<int>(step));
}

Decision Change(const Policy& policy, const DecisionInput& in, Direction dir,
                const std::string& trigger) {
  const int current = in.current;
  if (dir == Direction::kUp && current >= policy.max) {
    return Hold(current, trigger + ": at max " + std::to_string(policy.max));
  }
  if (dir == Direction::kDown && current <= policy.min) {
    return Hold(current, trigger + ": at min " + std::to_string(policy.min));
  }
  bool by_cooldown = false;
  const double left = WaitLeft(policy, in, dir, by_cooldown);
  if (left > 0) {
    const auto shown = static_cast<long long>(std::ceil(left));
    return Hold(current, trigger + ": " + (by_cooldown ? "cool-down: " : "re-apply interval: ") +
                             std::to_string(shown) + " s left, holding " + std::to_string(current));
  }
  std::string detail;
  int step = StepSize(policy, in, dir, detail);
  if (policy.max_step && step > *policy.max_step) {
    step = *policy.max_step;
    detail += (detail.empty() ? "" : ", ") + std::string("max step ") + std::to_string(step);
  }
  const int target = dir == Direction::kUp ? std::min(policy.max, current + step)
                                           : std::max(policy.min, current - step);
  std::string reason = trigger + ": " + Arrow(current, target);
  if (!detail.empty()) reason += " (" + detail + ")";
  return Decision{target, target != current, std::move(reason)};
}

}  // namespace

Decision Decide(const Policy& policy, const DecisionInput& in) {
  const int current = in.current;
  if (in.mode == ServiceMode::kGlobal) return Hold(current, "global service: monitored only");
  if (current < policy.min) {
    return Decision{policy.min, true,
                    "below min " + std::to_string(policy.min) + ": " + Arrow(current, policy.min)};
  }
  if (current > policy.max) {
    return Decision{policy.max, true,
                    "above max " + std::to_string(policy.max) + ": " + Arrow(current, policy.max)};
  }
  if (in.metrics_missing) {
    if (policy.on_missing_metrics == OnMissingMetrics::kHold) {
      return Hold(current, "metrics missing: holding " + std::to_string(current) +
                               " (never scale down on missing data)");
    }
    return Change(policy, in, Direction::kUp, "metrics missing, fallback scale_up");
  }
  if (in.scale_up) return Change(policy, in, Direction::kUp, "scale_up true");
  if (in.scale_down) return Change(policy, in, Direction::kDown, "scale_down true");
  return Hold(current, "no trigger: holding " + std::to_string(current));
}

}  // namespace maiev::scaling
