#include "control/sample_history.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <limits>
#include <random>

namespace maiev::control {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart{seconds{1'700'000'000}};

HistorySample Sample(TimePoint time, std::uint64_t replicas, std::optional<double> waiting) {
  HistorySample s;
  s.time = time;
  s.replicas = replicas;
  s.running_tasks = replicas;
  s.resources.push_back(ResourceSample{waiting, 0.25, 2, 10.5, 9.75});
  return s;
}

TEST(SampleHistoryTest, GivesBackWhatWasPushedAndStoresAlikeCyclesOnce) {
  SampleHistory history(900);
  SampleTimes times(1800);
  std::vector<HistorySample> pushed;
  for (int i = 0; i < 10; ++i) {
    pushed.push_back(Sample(kStart + seconds{i}, i < 5 ? 1 : 2, i < 5 ? 0.0 : 12.3));
    history.Push(pushed.back(), times);
  }
  EXPECT_EQ(history.Since(kStart, times), pushed);
  EXPECT_EQ(history.size(), 10u);
  EXPECT_EQ(history.runs(), 2u) << "two runs of equal numbers";
  // Since a time: from the first sample at or after it.
  const auto tail = history.Since(kStart + milliseconds{7500}, times);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail.front().time, kStart + seconds{8});
  EXPECT_TRUE(history.Since(kStart + seconds{60}, times).empty());
}

TEST(SampleHistoryTest, KeepsTheLatestCapacitySamplesAndDropsRunsNoLongerNeeded) {
  SampleHistory history(4);
  SampleTimes times(2 * 4);
  for (int i = 0; i < 10; ++i) history.Push(Sample(kStart + seconds{i}, i, 0.0), times);
  const auto kept = history.Since(kStart, times);
  ASSERT_EQ(kept.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(kept[i].time, kStart + seconds{6 + i});
    EXPECT_EQ(kept[i].replicas, static_cast<std::uint64_t>(6 + i));
  }
  EXPECT_EQ(history.runs(), 4u);
}

TEST(SampleHistoryTest, AbsentMetricsInfinityAndUnknownTasksSurvive) {
  SampleHistory history(10);
  SampleTimes times(2 * 10);
  HistorySample s;
  s.time = kStart;
  s.replicas = 3;
  s.scale_up = true;
  s.resources.emplace_back();  // no fresh metrics
  s.resources.push_back(
      ResourceSample{7, std::numeric_limits<double>::infinity(), std::nullopt, std::nullopt, 0.1});
  history.Push(s, times);
  const auto back = history.Since(kStart, times);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], s) << "0.1 reads back as 0.1 (the shortest decimal of its float)";
  EXPECT_FALSE(back[0].running_tasks.has_value());
}

TEST(SampleHistoryTest, MetricsKeepSevenDigitsAndTimesTheirEveryDigit) {
  SampleHistory history(10);
  SampleTimes times(2 * 10);
  HistorySample s = Sample(kStart + std::chrono::microseconds{1'234'567}, 1, 123456789.0);
  s.resources[0]->latency = 1.0 / 3.0;
  history.Push(s, times);
  const auto back = history.Since(kStart, times);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].time, kStart + std::chrono::microseconds{1'234'567});
  EXPECT_NEAR(*back[0].resources[0]->waiting, 123456789.0, 123456789.0 * 1e-7);
  EXPECT_NEAR(*back[0].resources[0]->latency, 1.0 / 3.0, 1e-7);
}

TEST(SampleHistoryTest, AClockSetBackKeepsEverySample) {
  SampleHistory history(10);
  SampleTimes times(20);
  history.Push(Sample(kStart, 1, 0.0), times);
  history.Push(Sample(kStart - seconds{3600}, 2, 0.0), times);  // an hour back
  history.Push(Sample(kStart + seconds{1}, 3, 0.0), times);
  history.Push(Sample(kStart - std::chrono::hours{24 * 365}, 4, 0.0), times);  // a year back
  const auto back = history.Since(kStart - std::chrono::hours{24 * 400}, times);
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[0].time, kStart);
  EXPECT_EQ(back[1].time, kStart - seconds{3600});
  EXPECT_EQ(back[2].replicas, 3u);
  EXPECT_EQ(back[3].time, kStart - std::chrono::hours{24 * 365});
}

// What the autoscaler does: every service's sample of a cycle has the cycle's time, kept once.
TEST(SampleHistoryTest, HistoriesOfOneCycleShareItsTimeAndSkippedCyclesAreNoSamples) {
  SampleTimes times(100);
  SampleHistory every(10);
  SampleHistory some(10);  // sampled at cycles 0-2 and 6-9 only (no config in between)
  for (int cycle = 0; cycle < 10; ++cycle) {
    const TimePoint now = kStart + milliseconds{1013 * cycle + 7};
    every.Push(Sample(now, 1, 0.0), times);
    if (cycle < 3 || cycle > 5) some.Push(Sample(now, 2, 0.0), times);
  }
  EXPECT_EQ(times.Number(kStart + milliseconds{1013 * 9 + 7}), 9u) << "one number per cycle";
  const auto all = every.Since(kStart, times);
  ASSERT_EQ(all.size(), 10u);
  const auto partial = some.Since(kStart, times);
  ASSERT_EQ(partial.size(), 7u);
  for (std::size_t i = 0; i < partial.size(); ++i) {
    EXPECT_EQ(partial[i].time, all[i < 3 ? i : i + 3].time) << i;
    EXPECT_EQ(partial[i].replicas, 2u);
  }
  EXPECT_EQ(some.Since(kStart + milliseconds{1013 * 4}, times).size(), 4u);
}

// Times the table no longer holds leave their samples out rather than giving them wrong times.
TEST(SampleHistoryTest, SamplesWhoseTimesWereForgottenAreLeftOut) {
  SampleTimes times(3);
  SampleHistory history(10);
  for (int i = 0; i < 5; ++i) history.Push(Sample(kStart + seconds{i}, i, 0.0), times);
  const auto kept = history.Since(kStart, times);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].time, kStart + seconds{2});
  EXPECT_EQ(kept[0].replicas, 2u);
  EXPECT_EQ(times.TimeOf(1), std::nullopt);
  EXPECT_EQ(times.TimeOf(4), kStart + seconds{4});
  EXPECT_EQ(times.TimeOf(5), std::nullopt);
}

TEST(SampleHistoryTest, ForgettingResourcesKeepsReplicas) {
  SampleHistory history(10);
  SampleTimes times(2 * 10);
  for (int i = 0; i < 3; ++i) history.Push(Sample(kStart + seconds{i}, i + 1, 1.0 * i), times);
  history.ForgetResources();
  history.Push(Sample(kStart + seconds{3}, 9, 5.0), times);
  const auto back = history.Since(kStart, times);
  ASSERT_EQ(back.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].replicas, static_cast<std::uint64_t>(i + 1));
    EXPECT_TRUE(back[i].resources.empty());
  }
  EXPECT_EQ(back[3].resources.size(), 1u);
  EXPECT_EQ(*back[3].resources[0]->waiting, 5.0);
}

// Against the plain deque it replaces, on random samples with few distinct values (so that runs
// form and are dropped) at a small capacity.
TEST(SampleHistoryTest, AgreesWithADequeOnRandomSamples) {
  std::mt19937 random(7);
  for (int round = 0; round < 50; ++round) {
    const std::size_t capacity = 1 + random() % 20;
    SampleHistory history(capacity);
    SampleTimes times(2 * capacity);
    std::deque<HistorySample> plain;
    TimePoint t = kStart;
    for (int i = 0; i < 200; ++i) {
      t += milliseconds{1 + random() % 3000};
      HistorySample s;
      s.time = t;
      s.replicas = random() % 3;
      if (random() % 4 != 0) s.running_tasks = random() % 3;
      s.scale_up = random() % 5 == 0;
      const int resources = 1 + static_cast<int>(random() % 2);
      for (int r = 0; r < resources && random() % 6 != 0; ++r) {
        if (random() % 5 == 0) {
          s.resources.emplace_back();
          continue;
        }
        s.resources.push_back(
            ResourceSample{static_cast<double>(random() % 3),
                           random() % 2 ? std::optional<double>(0.5) : std::nullopt, 1, 2.5, 2.5});
      }
      history.Push(s, times);
      plain.push_back(s);
      if (plain.size() > capacity) plain.pop_front();
      if (random() % 50 == 0) {
        history.ForgetResources();
        for (HistorySample& p : plain) p.resources.clear();
      }
      ASSERT_EQ(history.Since(kStart, times),
                std::vector<HistorySample>(plain.begin(), plain.end()))
          << "round " << round << ", sample " << i;
    }
    EXPECT_LE(history.runs(), history.size());
  }
}

}  // namespace
}  // namespace maiev::control
