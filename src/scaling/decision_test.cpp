#include "scaling/decision.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(d, (Decision{3, true, "scale_up true: 2 → 3"}));
}

TEST(ScaleDecision, ScalesDownByOneWhenScaleDownTrue) {
  const Decision d = Decide(MakePolicy(0, 9), Input(2, false, true));
  EXPECT_EQ(d, (Decision{1, true, "scale_down true: 2 → 1"}));
}

TEST(ScaleDecision, HoldsWithoutTrigger) {
  const Decision d = Decide(MakePolicy(0, 9), Input(4, false, false));
  EXPECT_EQ(d, (Decision{4, false, "no trigger: holding 4"}));
}

TEST(ScaleDecision, UpWinsOverDown) {
  const Decision d = Decide(MakePolicy(0, 9), Input(2, true, true));
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.reason, "scale_up true: 2 → 3");
}

TEST(ScaleDecision, ClampsToMaxWhenScaleUpAtMax) {
  const Decision d = Decide(MakePolicy(1, 6), Input(6, true, false));
  EXPECT_EQ(d, (Decision{6, false, "scale_up true: at max 6"}));
}

TEST(ScaleDecision, HoldsAtMinWhenScaleDownAtMin) {
  const Decision d = Decide(MakePolicy(1, 6), Input(1, false, true));
  EXPECT_EQ(d, (Decision{1, false, "scale_down true: at min 1"}));
}

TEST(ScaleDecision, ScalesDownToZeroWhenMinIsZero) {
  const Decision d = Decide(MakePolicy(0, 6), Input(1, false, true));
  EXPECT_EQ(d, (Decision{0, true, "scale_down true: 1 → 0"}));
}

TEST(ScaleDecision, ScalesUpFromZero) {
  const Decision d = Decide(MakePolicy(0, 6), Input(0, true, false));
  EXPECT_EQ(d, (Decision{1, true, "scale_up true: 0 → 1"}));
}

TEST(ScaleDecision, BelowMinRaised) {
  // Whatever the triggers say, and without waiting for the re-apply interval.
  DecisionInput in = Input(0, false, true);
  in.last_change = SecondsAgo(1);
  const Decision d = Decide(MakePolicy(2, 6), in);
  EXPECT_EQ(d, (Decision{2, true, "below min 2: 0 → 2"}));
}

TEST(ScaleDecision, AboveMaxLowered) {
  DecisionInput in = Input(8, true, false);
  in.last_change = SecondsAgo(1);
  const Decision d = Decide(MakePolicy(2, 6), in);
  EXPECT_EQ(d, (Decision{6, true, "above max 6: 8 → 6"}));
}

TEST(ScaleDecision, AboveMaxLoweredEvenWhenMetricsMissing) {
  DecisionInput in = Input(8, false, false);
  in.metrics_missing = true;
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
      EXPECT_EQ(d, (Decision{current, false, "global service: monitored only"}))
          << current << " " << up;
    }
  }
}

TEST(ScaleDecision, NeverScalesDownOnMissingMetrics) {
  for (auto action : {OnMissingMetrics::kHold, OnMissingMetrics::kScaleUp}) {
    Policy p = MakePolicy(0, 9);
    p.on_missing_metrics = action;
    DecisionInput in = Input(3, false, true);
    in.metrics_missing = true;
    EXPECT_GE(Decide(p, in).replicas, 3);
  }
}

TEST(ScaleDecision, HoldsOnMissingMetricsByDefault) {
  DecisionInput in = Input(3, true, false);
  in.metrics_missing = true;
  const Decision d = Decide(MakePolicy(0, 9), in);
  EXPECT_EQ(d,
            (Decision{3, false, "metrics missing: holding 3 (never scale down on missing data)"}));
}

TEST(ScaleDecision, MissingMetricsFallbackScalesUpByOne) {
  Policy p = MakePolicy(0, 9);
  p.on_missing_metrics = OnMissingMetrics::kScaleUp;
  p.target_latency = 0.5;  // proportional sizing does not apply without metrics
  DecisionInput in = Input(3, false, true);
  in.metrics_missing = true;
  in.latency = 10.0;
  const Decision d = Decide(p, in);
  EXPECT_EQ(d, (Decision{4, true, "metrics missing, fallback scale_up: 3 → 4"}));
}

TEST(ScaleDecision, MissingMetricsFallbackIsPacedAndBounded) {
  Policy p = MakePolicy(0, 4);
  p.on_missing_metrics = OnMissingMetrics::kScaleUp;
  DecisionInput in = Input(3, false, false);
  in.metrics_missing = true;
  in.last_change = SecondsAgo(10);
  EXPECT_FALSE(Decide(p, in).changed);
  in.last_change = SecondsAgo(30);
  EXPECT_EQ(Decide(p, in).replicas, 4);
  in.current = 4;
  EXPECT_EQ(Decide(p, in).reason, "metrics missing, fallback scale_up: at max 4");
}

TEST(ScaleDecision, NotYetBeforeReapplyInterval) {
  DecisionInput in = Input(3, true, false);
  in.last_change = SecondsAgo(26);
  const Decision d = Decide(MakePolicy(0, 9), in);
  EXPECT_EQ(d, (Decision{3, false, "scale_up true: re-apply interval: 4 s left, holding 3"}));
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
  EXPECT_EQ(Decide(p, down),
            (Decision{3, false, "scale_down true: cool-down: 4 s left, holding 3"}));
  down.last_change = SecondsAgo(300);
  EXPECT_EQ(Decide(p, down).replicas, 2);
}

TEST(ScaleDecision, CooldownUpAppliesToScaleUpOnly) {
  Policy p = MakePolicy(0, 9);
  p.reapply_interval = Duration{5};
  p.cooldown_up = Duration{60};
  DecisionInput up = Input(3, true, false);
  up.last_change = SecondsAgo(30);
  EXPECT_EQ(Decide(p, up).reason, "scale_up true: cool-down: 30 s left, holding 3");
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
  EXPECT_EQ(Decide(p, in).reason, "scale_up true: re-apply interval: 20 s left, holding 3");
}

TEST(ScaleDecision, FractionalWaitRoundsUp) {
  DecisionInput in = Input(3, true, false);
  in.last_change = SecondsAgo(29.5);
  EXPECT_EQ(Decide(MakePolicy(0, 9), in).reason,
            "scale_up true: re-apply interval: 1 s left, holding 3");
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
  EXPECT_EQ(d, (Decision{5, true, "scale_up true: 2 → 5 (latency 1.2 s, target 0.5 s)"}));
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
  EXPECT_EQ(d, (Decision{5, true, "scale_up true: 4 → 5 (latency unknown: one step)"}));
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
  EXPECT_EQ(d, (Decision{7, true, "scale_up true: 4 → 7 (latency 5 s, target 0.5 s, max step 3)"}));
  DecisionInput down = Input(20, false, true);
  down.latency = 0.0;
  EXPECT_EQ(Decide(p, down).replicas, 17);
}

TEST(ScaleDecision, MaxStepOfOneIsTheDefaultStep) {
  Policy p = MakePolicy(0, 9);
  p.max_step = 1;
  EXPECT_EQ(Decide(p, Input(3, true, false)), (Decision{4, true, "scale_up true: 3 → 4"}));
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
        in.metrics_missing = mask & 4;
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

}  // namespace
}  // namespace maiev::scaling
