#include "control/sample_history.hpp"

#include <gtest/gtest.h>

#include <cmath>
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
  std::vector<HistorySample> pushed;
  for (int i = 0; i < 10; ++i) {
    pushed.push_back(Sample(kStart + seconds{i}, i < 5 ? 1 : 2, i < 5 ? 0.0 : 12.3));
    history.Push(pushed.back());
  }
  EXPECT_EQ(history.Since(kStart), pushed);
  EXPECT_EQ(history.size(), 10u);
  EXPECT_EQ(history.runs(), 2u) << "two runs of equal numbers";
  // Since a time: from the first sample at or after it.
  const auto tail = history.Since(kStart + milliseconds{7500});
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail.front().time, kStart + seconds{8});
  EXPECT_TRUE(history.Since(kStart + seconds{60}).empty());
}

TEST(SampleHistoryTest, KeepsTheLatestCapacitySamplesAndDropsRunsNoLongerNeeded) {
  SampleHistory history(4);
  for (int i = 0; i < 10; ++i) history.Push(Sample(kStart + seconds{i}, i, 0.0));
  const auto kept = history.Since(kStart);
  ASSERT_EQ(kept.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(kept[i].time, kStart + seconds{6 + i});
    EXPECT_EQ(kept[i].replicas, static_cast<std::uint64_t>(6 + i));
  }
  EXPECT_EQ(history.runs(), 4u);
}

TEST(SampleHistoryTest, AbsentMetricsInfinityAndUnknownTasksSurvive) {
  SampleHistory history(10);
  HistorySample s;
  s.time = kStart;
  s.replicas = 3;
  s.scale_up = true;
  s.resources.emplace_back();  // no fresh metrics
  s.resources.push_back(
      ResourceSample{7, std::numeric_limits<double>::infinity(), std::nullopt, std::nullopt, 0.1});
  history.Push(s);
  const auto back = history.Since(kStart);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], s) << "0.1 reads back as 0.1 (the shortest decimal of its float)";
  EXPECT_FALSE(back[0].running_tasks.has_value());
}

TEST(SampleHistoryTest, MetricsKeepSevenDigitsAndTimesWholeMilliseconds) {
  SampleHistory history(10);
  HistorySample s = Sample(kStart + std::chrono::microseconds{1'234'567}, 1, 123456789.0);
  s.resources[0]->latency = 1.0 / 3.0;
  history.Push(s);
  const auto back = history.Since(kStart);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].time, kStart + milliseconds{1234});
  EXPECT_NEAR(*back[0].resources[0]->waiting, 123456789.0, 123456789.0 * 1e-7);
  EXPECT_NEAR(*back[0].resources[0]->latency, 1.0 / 3.0, 1e-7);
}

TEST(SampleHistoryTest, AClockSetBackKeepsEverySample) {
  SampleHistory history(10);
  history.Push(Sample(kStart, 1, 0.0));
  history.Push(Sample(kStart - seconds{3600}, 2, 0.0));  // an hour back
  history.Push(Sample(kStart + seconds{1}, 3, 0.0));
  const auto back = history.Since(kStart - seconds{7200});
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].time, kStart);
  EXPECT_EQ(back[1].time, kStart - seconds{3600});
  EXPECT_EQ(back[2].replicas, 3u);
  // Set back by more than the 49 days offsets can span: the history starts again.
  history.Push(Sample(kStart - std::chrono::hours{24 * 60}, 4, 0.0));
  const auto restarted = history.Since(kStart - std::chrono::hours{24 * 61});
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_EQ(restarted[0].replicas, 4u);
}

TEST(SampleHistoryTest, ForgettingResourcesKeepsReplicas) {
  SampleHistory history(10);
  for (int i = 0; i < 3; ++i) history.Push(Sample(kStart + seconds{i}, i + 1, 1.0 * i));
  history.ForgetResources();
  history.Push(Sample(kStart + seconds{3}, 9, 5.0));
  const auto back = history.Since(kStart);
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
      history.Push(s);
      plain.push_back(s);
      if (plain.size() > capacity) plain.pop_front();
      if (random() % 50 == 0) {
        history.ForgetResources();
        for (HistorySample& p : plain) p.resources.clear();
      }
      ASSERT_EQ(history.Since(kStart), std::vector<HistorySample>(plain.begin(), plain.end()))
          << "round " << round << ", sample " << i;
    }
    EXPECT_LE(history.runs(), history.size());
  }
}

}  // namespace
}  // namespace maiev::control
