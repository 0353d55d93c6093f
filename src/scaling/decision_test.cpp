#include "scaling/decision.hpp"

#include <gtest/gtest.h>

#include <ostream>

namespace maiev::scaling {
namespace {

const TimePoint kNow{std::chrono::seconds{1'700'000'000}};

TimePoint SecondsAgo(double s) {
  return kNow - std::chrono::duration_cast<WallClock::duration>(Duration{s});
}

// The pacing figures in these tests assume a 30 s re-apply interval.
Policy MakePolicy(int min, int max) {
  Policy p;
  p.min = min;
  p.max = max;
  p.reapply_interval = Duration{30};
  return p;
}

const std::vector<MissingMetrics> kRmqStale = {{"rmq", 16.0}};

// What a decision does and says, without the structured reason (tests of Reason below).
struct Outcome {
  int replicas = 0;
  bool changed = false;
  std::string reason;
  friend bool operator==(const Outcome&, const Outcome&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Outcome& o) {
    return out << o.replicas << (o.changed ? " changed: " : " held: ") << o.reason;
  }
};

Outcome OutcomeOf(const Decision& d) { return {d.replicas, d.changed, d.reason}; }

DecisionInput Input(int current, bool up, bool down) {
  DecisionInput in;
  in.current = current;
  in.scale_up = up;
  in.scale_down = down;
  in.now = kNow;
  return in;
}

TEST(ScaleDecision, ScalesUpByOneWhenScaleUpTrue) {
  const Decision d = Decide(MakePolicy(0, 9), Input(2, true, false));
  EXPECT_EQ(OutcomeOf(d), (Outcome{3, true, "2 → 3: scale_up"}));
}

TEST(ScaleDecision, ScalesDownByOneWhenScaleDownTrue) {
  const Decision d = Decide(MakePolicy(0, 9), Input(2, false, true));
  EXPECT_EQ(OutcomeOf(d), (Outcome{1, true, "2 → 1: scale_down"}));
}

TEST(ScaleDecision, HoldsWithoutTrigger) {
  const Decision d = Decide(MakePolicy(0, 9), Input(4, false, false));
  EXPECT_EQ(OutcomeOf(d), (Outcome{4, false, "no trigger"}));
}

TEST(ScaleDecision, UpWinsOverDown) {
  const Decision d = Decide(MakePolicy(0, 9), Input(2, true, true));
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.reason, "2 → 3: scale_up");
}

TEST(ScaleDecision, ClampsToMaxWhenScaleUpAtMax) {
  const Decision d = Decide(MakePolicy(1, 6), Input(6, true, false));
  EXPECT_EQ(OutcomeOf(d), (Outcome{6, false, "at max 6: scale_up"}));
}

TEST(ScaleDecision, HoldsAtMinWhenScaleDownAtMin) {
  const Decision d = Decide(MakePolicy(1, 6), Input(1, false, true));
  EXPECT_EQ(OutcomeOf(d), (Outcome{1, false, "at min 1: scale_down"}));
}

TEST(ScaleDecision, ScalesDownToZeroWhenMinIsZero) {
  const Decision d = Decide(MakePolicy(0, 6), Input(1, false, true));
  EXPECT_EQ(OutcomeOf(d), (Outcome{0, true, "1 → 0: scale_down"}));
}

TEST(ScaleDecision, ScalesUpFromZero) {
  const Decision d = Decide(MakePolicy(0, 6), Input(0, true, false));
  EXPECT_EQ(OutcomeOf(d), (Outcome{1, true, "0 → 1: scale_up"}));
}

TEST(ScaleDecision, BelowMinRaised) {
  // Whatever the triggers say, and without waiting for the re-apply interval.
  DecisionInput in = Input(0, false, true);
  in.last_change = SecondsAgo(1);
  const Decision d = Decide(MakePolicy(2, 6), in);
  EXPECT_EQ(OutcomeOf(d), (Outcome{2, true, "0 → 2: below min 2"}));
}

TEST(ScaleDecision, AboveMaxLowered) {
  DecisionInput in = Input(8, true, false);
  in.last_change = SecondsAgo(1);
  const Decision d = Decide(MakePolicy(2, 6), in);
  EXPECT_EQ(OutcomeOf(d), (Outcome{6, true, "8 → 6: above max 6"}));
}

TEST(ScaleDecision, AboveMaxLoweredEvenWhenMetricsMissing) {
  DecisionInput in = Input(8, false, false);
  in.missing_metrics = kRmqStale;
  EXPECT_EQ(Decide(MakePolicy(2, 6), in).replicas, 6);
}

TEST(ScaleDecision, FixedSizeServiceHeldAtItsSize) {
  EXPECT_EQ(Decide(MakePolicy(1, 1), Input(1, true, false)).replicas, 1);
  EXPECT_EQ(Decide(MakePolicy(1, 1), Input(1, false, true)).replicas, 1);
  EXPECT_EQ(Decide(MakePolicy(1, 1), Input(3, false, false)).replicas, 1);
}

TEST(ScaleDecision, GlobalNeverScaled) {
  for (int current : {0, 1, 5, 20}) {
    for (bool up : {false, true}) {
      DecisionInput in = Input(current, up, !up);
      in.mode = ServiceMode::kGlobal;
      const Decision d = Decide(MakePolicy(2, 6), in);
      EXPECT_EQ(OutcomeOf(d), (Outcome{current, false, "global service: monitored only"}))
          << current << " " << up;
    }
  }
}

TEST(ScaleDecision, NeverScalesDownOnMissingMetrics) {
  for (auto action : {OnMissingMetrics::kHold, OnMissingMetrics::kScaleUp}) {
    Policy p = MakePolicy(0, 9);
    p.on_missing_metrics = action;
    DecisionInput in = Input(3, false, true);
    in.missing_metrics = kRmqStale;
    EXPECT_GE(Decide(p, in).replicas, 3);
  }
}

TEST(ScaleDecision, HoldsOnMissingMetricsByDefault) {
  DecisionInput in = Input(3, true, false);
  in.missing_metrics = kRmqStale;
  const Decision d = Decide(MakePolicy(0, 9), in);
  EXPECT_EQ(OutcomeOf(d), (Outcome{3, false, "metrics missing: rmq stale 16 s"}));
}

TEST(ScaleDecision, MissingMetricsFallbackScalesUpByOne) {
  Policy p = MakePolicy(0, 9);
  p.on_missing_metrics = OnMissingMetrics::kScaleUp;
  p.target_latency = 0.5;  // proportional sizing does not apply without metrics
  DecisionInput in = Input(3, false, true);
  in.missing_metrics = kRmqStale;
  in.latency = 10.0;
  const Decision d = Decide(p, in);
  EXPECT_EQ(
      OutcomeOf(d),
      (Outcome{4, true, "3 → 4: metrics missing: rmq stale 16 s (on_missing_metrics: scale_up)"}));
}

TEST(ScaleDecision, MissingMetricsFallbackIsPacedAndBounded) {
  Policy p = MakePolicy(0, 4);
  p.on_missing_metrics = OnMissingMetrics::kScaleUp;
  DecisionInput in = Input(3, false, false);
  in.missing_metrics = kRmqStale;
  in.last_change = SecondsAgo(10);
  EXPECT_FALSE(Decide(p, in).changed);
  in.last_change = SecondsAgo(30);
  EXPECT_EQ(Decide(p, in).replicas, 4);
  in.current = 4;
  EXPECT_EQ(Decide(p, in).reason,
            "at max 4: metrics missing: rmq stale 16 s (on_missing_metrics: scale_up)");
}

TEST(ScaleDecision, NotYetBeforeReapplyInterval) {
  DecisionInput in = Input(3, true, false);
  in.last_change = SecondsAgo(26);
  const Decision d = Decide(MakePolicy(0, 9), in);
  EXPECT_EQ(OutcomeOf(d), (Outcome{3, false, "re-apply in 4 s: scale_up"}));
}

TEST(ScaleDecision, ReappliesAfterInterval) {
  Policy p = MakePolicy(0, 9);
  p.reapply_interval = Duration{20};
  DecisionInput in = Input(3, true, false);
  in.last_change = SecondsAgo(20);
  EXPECT_EQ(Decide(p, in).replicas, 4);
  // A trigger that stays true keeps growing the service, one interval at a time.
  in.current = 4;
  in.last_change = kNow;
  EXPECT_FALSE(Decide(p, in).changed);
  in.now = kNow + std::chrono::seconds{20};
  EXPECT_EQ(Decide(p, in).replicas, 5);
}

TEST(ScaleDecision, FirstChangeIsNotPaced) {
  Policy p = MakePolicy(0, 9);
  p.reapply_interval = Duration{600};
  p.cooldown_down = Duration{600};
  EXPECT_EQ(Decide(p, Input(3, false, true)).replicas, 2);
}

TEST(ScaleDecision, CooldownDownLongerThanUp) {
  Policy p = MakePolicy(0, 9);
  p.reapply_interval = Duration{10};
  p.cooldown_down = Duration{300};
  DecisionInput up = Input(3, true, false);
  up.last_change = SecondsAgo(15);
  EXPECT_EQ(Decide(p, up).replicas, 4);

  DecisionInput down = Input(3, false, true);
  down.last_change = SecondsAgo(296);
  EXPECT_EQ(OutcomeOf(Decide(p, down)), (Outcome{3, false, "cool-down 4 s left: scale_down"}));
  down.last_change = SecondsAgo(300);
  EXPECT_EQ(Decide(p, down).replicas, 2);
}

TEST(ScaleDecision, CooldownUpAppliesToScaleUpOnly) {
  Policy p = MakePolicy(0, 9);
  p.reapply_interval = Duration{5};
  p.cooldown_up = Duration{60};
  DecisionInput up = Input(3, true, false);
  up.last_change = SecondsAgo(30);
  EXPECT_EQ(Decide(p, up).reason, "cool-down 30 s left: scale_up");
  DecisionInput down = Input(3, false, true);
  down.last_change = SecondsAgo(30);
  EXPECT_EQ(Decide(p, down).replicas, 2);
}

TEST(ScaleDecision, CooldownShorterThanReapplyIntervalHasNoEffect) {
  Policy p = MakePolicy(0, 9);
  p.reapply_interval = Duration{30};
  p.cooldown_up = Duration{5};
  DecisionInput in = Input(3, true, false);
  in.last_change = SecondsAgo(10);
  EXPECT_EQ(Decide(p, in).reason, "re-apply in 20 s: scale_up");
}

TEST(ScaleDecision, WaitsShowTenthsBelowTenSecondsRoundedUp) {
  DecisionInput in = Input(3, true, false);
  in.last_change = SecondsAgo(27.95);
  EXPECT_EQ(Decide(MakePolicy(0, 9), in).reason, "re-apply in 2.1 s: scale_up");
  in.last_change = SecondsAgo(29.99);
  EXPECT_EQ(Decide(MakePolicy(0, 9), in).reason, "re-apply in 0.1 s: scale_up");
  in.last_change = SecondsAgo(10.5);
  EXPECT_EQ(Decide(MakePolicy(0, 9), in).reason, "re-apply in 20 s: scale_up");
}

TEST(ScaleDecision, DefaultReapplyIntervalIsTenSeconds) {
  Policy p;
  p.min = 0;
  p.max = 9;
  DecisionInput in = Input(3, true, false);
  in.last_change = SecondsAgo(9.5);
  EXPECT_FALSE(Decide(p, in).changed);
  in.last_change = SecondsAgo(10);
  EXPECT_EQ(Decide(p, in).replicas, 4);
}

TEST(ScaleDecision, ZeroReapplyIntervalActsEveryCycle) {
  Policy p = MakePolicy(0, 9);
  p.reapply_interval = Duration{0};
  DecisionInput in = Input(3, true, false);
  in.last_change = kNow;
  EXPECT_EQ(Decide(p, in).replicas, 4);
}

TEST(ScaleDecision, ClockBehindLastChangeWaitsFullInterval) {
  DecisionInput in = Input(3, true, false);
  in.last_change = kNow + std::chrono::seconds{5};
  EXPECT_FALSE(Decide(MakePolicy(0, 9), in).changed);
}

TEST(ScaleDecision, ProportionalScalesTowardTargetLatency) {
  Policy p = MakePolicy(0, 20);
  p.target_latency = 0.5;
  DecisionInput in = Input(2, true, false);
  in.latency = 1.2;  // ceil(2 × 1.2 / 0.5) = 5
  const Decision d = Decide(p, in);
  EXPECT_EQ(OutcomeOf(d), (Outcome{5, true, "2 → 5 (latency 1.2 s, target 0.5 s): scale_up"}));
}

TEST(ScaleDecision, ProportionalScalesDownTowardTarget) {
  Policy p = MakePolicy(1, 20);
  p.target_latency = 1.0;
  DecisionInput in = Input(10, false, true);
  in.latency = 0.25;  // ceil(10 × 0.25) = 3
  EXPECT_EQ(Decide(p, in).replicas, 3);
  in.latency = 0.0;  // desired 0, bounded by min
  EXPECT_EQ(Decide(p, in).replicas, 1);
}

TEST(ScaleDecision, ProportionalStepsAtLeastOne) {
  Policy p = MakePolicy(0, 20);
  p.target_latency = 1.0;
  DecisionInput up = Input(4, true, false);
  up.latency = 0.5;  // desired 2 < current, but the trigger says up
  EXPECT_EQ(Decide(p, up).replicas, 5);
  DecisionInput down = Input(4, false, true);
  down.latency = 3.0;  // desired 12 > current, but the trigger says down
  EXPECT_EQ(Decide(p, down).replicas, 3);
  DecisionInput from_zero = Input(0, true, false);
  from_zero.latency = 100.0;  // 0 × anything = 0
  EXPECT_EQ(Decide(p, from_zero).replicas, 1);
}

TEST(ScaleDecision, ProportionalWithUnknownLatencyStepsOne) {
  Policy p = MakePolicy(0, 20);
  p.target_latency = 1.0;
  DecisionInput in = Input(4, true, false);
  const Decision d = Decide(p, in);
  EXPECT_EQ(OutcomeOf(d), (Outcome{5, true, "4 → 5 (latency unknown: one step): scale_up"}));
}

TEST(ScaleDecision, ProportionalBoundedByMax) {
  Policy p = MakePolicy(0, 6);
  p.target_latency = 0.1;
  DecisionInput in = Input(3, true, false);
  in.latency = 1e12;  // must not overflow
  EXPECT_EQ(Decide(p, in).replicas, 6);
}

TEST(ScaleDecision, MaxStepBoundsProportionalChange) {
  Policy p = MakePolicy(0, 50);
  p.target_latency = 0.5;
  p.max_step = 3;
  DecisionInput in = Input(4, true, false);
  in.latency = 5.0;  // desired 40
  const Decision d = Decide(p, in);
  EXPECT_EQ(OutcomeOf(d),
            (Outcome{7, true, "4 → 7 (latency 5 s, target 0.5 s, max step 3): scale_up"}));
  DecisionInput down = Input(20, false, true);
  down.latency = 0.0;
  EXPECT_EQ(Decide(p, down).replicas, 17);
}

TEST(ScaleDecision, MaxStepOfOneIsTheDefaultStep) {
  Policy p = MakePolicy(0, 9);
  p.max_step = 1;
  EXPECT_EQ(OutcomeOf(Decide(p, Input(3, true, false))), (Outcome{4, true, "3 → 4: scale_up"}));
}

TEST(ScaleDecision, AlwaysWithinBounds) {
  // Every combination of inputs lands in [min, max] for a replicated service.
  for (int current = 0; current <= 12; ++current) {
    for (int mask = 0; mask < 8; ++mask) {
      for (bool proportional : {false, true}) {
        Policy p = MakePolicy(2, 8);
        p.on_missing_metrics = OnMissingMetrics::kScaleUp;
        if (proportional) p.target_latency = 0.3;
        DecisionInput in = Input(current, mask & 1, mask & 2);
        if (mask & 4) in.missing_metrics = kRmqStale;
        in.latency = 2.0;
        const Decision d = Decide(p, in);
        EXPECT_GE(d.replicas, 2);
        EXPECT_LE(d.replicas, 8);
        EXPECT_EQ(d.changed, d.replicas != current);
        EXPECT_FALSE(d.reason.empty());
      }
    }
  }
}

// --- the reason as data

TEST(ScaleReason, HoldAtMaxCarriesTheBoundAndTrigger) {
  const Reason why = Decide(MakePolicy(1, 6), Input(6, true, false)).why;
  EXPECT_EQ(why.kind, Reason::Kind::kAtMax);
  EXPECT_EQ(why.trigger, Trigger::kScaleUp);
  EXPECT_EQ(why.bound, 6);
  EXPECT_EQ(why.from, 6);
  EXPECT_EQ(why.to, 6);
  EXPECT_EQ(Decide(MakePolicy(1, 6), Input(1, false, true)).why.kind, Reason::Kind::kAtMin);
}

TEST(ScaleReason, CoolDownCarriesTheSecondsLeft) {
  Policy p = MakePolicy(0, 9);
  p.cooldown_down = Duration{60};
  DecisionInput in = Input(3, false, true);
  in.last_change = SecondsAgo(57.9);
  const Decision d = Decide(p, in);
  EXPECT_EQ(d.why.kind, Reason::Kind::kCoolDown);
  EXPECT_EQ(d.why.trigger, Trigger::kScaleDown);
  EXPECT_NEAR(d.why.seconds_left, 2.1, 1e-6);
  EXPECT_EQ(d.reason, "cool-down 2.1 s left: scale_down");
  in.last_change = SecondsAgo(20);
  p.cooldown_down = Duration{0};
  EXPECT_EQ(Decide(p, in).why.kind, Reason::Kind::kReapplyWait);
}

TEST(ScaleReason, MissingMetricsNameTheResourceAndHowStale) {
  DecisionInput in = Input(3, true, false);
  in.missing_metrics = {{"rmq", 16.2}, {"db", std::nullopt}};
  const Decision d = Decide(MakePolicy(0, 9), in);
  EXPECT_EQ(d.why.kind, Reason::Kind::kMetricsMissing);
  EXPECT_EQ(d.why.missing, in.missing_metrics);
  EXPECT_EQ(d.reason, "metrics missing: rmq stale 17 s, db no sample yet");
  in.missing_metrics = {{"rmq", 3.04}};
  EXPECT_EQ(Decide(MakePolicy(0, 9), in).reason, "metrics missing: rmq stale 3.1 s");
}

TEST(ScaleReason, ScaledCarriesFromToAndTheProportionalSizing) {
  Policy p = MakePolicy(0, 50);
  p.target_latency = 0.5;
  p.max_step = 3;
  DecisionInput in = Input(4, true, false);
  in.latency = 5.0;
  const Reason why = Decide(p, in).why;
  EXPECT_EQ(why.kind, Reason::Kind::kScaled);
  EXPECT_EQ(why.trigger, Trigger::kScaleUp);
  EXPECT_EQ(why.from, 4);
  EXPECT_EQ(why.to, 7);
  EXPECT_EQ(why.latency, std::optional<double>(5.0));
  EXPECT_EQ(why.target_latency, std::optional<double>(0.5));
  EXPECT_EQ(why.max_step, std::optional<int>(3));
}

TEST(ScaleReason, PausedKeepsTheCountAndSaysWhatWouldHappen) {
  DecisionInput in = Input(2, true, false);
  in.paused = true;
  const Decision d = Decide(MakePolicy(0, 9), in);
  EXPECT_EQ(OutcomeOf(d), (Outcome{2, false, "paused: would be 2 → 3: scale_up"}));
  EXPECT_TRUE(d.why.paused);
  EXPECT_EQ(d.why.kind, Reason::Kind::kScaled);
  EXPECT_EQ(d.why.to, 3);
  // Even a count outside [min, max] is left alone.
  DecisionInput below = Input(0, false, false);
  below.paused = true;
  EXPECT_EQ(OutcomeOf(Decide(MakePolicy(2, 9), below)),
            (Outcome{0, false, "paused: would be 0 → 2: below min 2"}));
  DecisionInput idle = Input(4, false, false);
  idle.paused = true;
  EXPECT_EQ(Decide(MakePolicy(0, 9), idle).reason, "paused: no trigger");
}

TEST(ScaleReason, GlobalServiceIsItsOwnKind) {
  DecisionInput in = Input(3, true, false);
  in.mode = ServiceMode::kGlobal;
  EXPECT_EQ(Decide(MakePolicy(0, 9), in).why.kind, Reason::Kind::kGlobal);
}

TEST(ScaleReason, TriggerTextSaysWhyTheTriggerFired) {
  const std::string rules = "scale_up: rules:behind ← rmq:latency 133 > 3";
  EXPECT_EQ(ToString(Decide(MakePolicy(0, 9), Input(2, true, false)).why, rules),
            "2 → 3: scale_up: rules:behind ← rmq:latency 133 > 3");
  EXPECT_EQ(ToString(Decide(MakePolicy(0, 6), Input(6, true, false)).why, rules),
            "at max 6: scale_up: rules:behind ← rmq:latency 133 > 3");
  EXPECT_EQ(ToString(Decide(MakePolicy(0, 9), Input(2, false, false)).why, "scale_up false: x"),
            "no trigger: scale_up false: x");
  // Reasons that no trigger decided ignore it.
  EXPECT_EQ(ToString(Decide(MakePolicy(3, 9), Input(2, true, false)).why, rules),
            "2 → 3: below min 3");
  DecisionInput missing = Input(2, true, false);
  missing.missing_metrics = kRmqStale;
  EXPECT_EQ(ToString(Decide(MakePolicy(0, 9), missing).why, rules),
            "metrics missing: rmq stale 16 s");
}

TEST(ScaleReason, KindsAndTriggersHaveStableNames) {
  EXPECT_EQ(ToString(Reason::Kind::kScaled), "scaled");
  EXPECT_EQ(ToString(Reason::Kind::kAtMax), "at_max");
  EXPECT_EQ(ToString(Reason::Kind::kCoolDown), "cool_down");
  EXPECT_EQ(ToString(Reason::Kind::kReapplyWait), "reapply_wait");
  EXPECT_EQ(ToString(Reason::Kind::kMetricsMissing), "metrics_missing");
  EXPECT_EQ(ToString(Trigger::kScaleDown), "scale_down");
  EXPECT_EQ(ToString(Trigger::kMissingMetrics), "missing_metrics");
}

}  // namespace
}  // namespace maiev::scaling
