#include "monitor/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace maiev::monitor {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kT0{seconds{1'700'000'000}};
const StalenessBounds kBounds{Duration{3.0}, Duration{15.0}};

CountsSample Counts(TimePoint at, std::uint64_t waiting, std::uint64_t consumers) {
  return CountsSample{at, true, waiting, consumers};
}

constexpr double kInf = std::numeric_limits<double>::infinity();

// A listing with rates over a window of 20 s (covered unless told otherwise).
StatsSample Stats(TimePoint at, double call_rate, double exec_rate, bool covers_window = true) {
  StatsSample s;
  s.sampled_at = at;
  s.exists = true;
  s.waiting = 7;
  s.consumers = 1;
  s.unacked = 2;
  s.rates = WindowRates{call_rate, exec_rate, 20.0, covers_window, exec_rate > 0.0};
  return s;
}

QueueSample Sample(std::optional<CountsSample> counts, std::optional<StatsSample> stats) {
  return QueueSample{"q", std::move(counts), std::move(stats)};
}

TEST(MergeQueueSample, NoSampleGivesAllMetricsMissing) {
  const QueueMetrics m = MergeQueueSample(Sample(std::nullopt, std::nullopt), kT0, kBounds);
  EXPECT_FALSE(m.HasAnyMetric());
  EXPECT_TRUE(ToResourceMetrics(m).empty());
}

TEST(MergeQueueSample, CountsAndRatesGiveEveryMetric) {
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 10, 3), Stats(kT0 - seconds{2}, 4.0, 5.0)),
                       kT0 + milliseconds{500}, kBounds);
  EXPECT_EQ(m.exists, true);
  EXPECT_EQ(m.waiting, 10.0);  // the newer AMQP counts win over the listing's 7
  EXPECT_EQ(m.consumers, 3.0);
  EXPECT_EQ(m.unacked, 2.0);
  EXPECT_EQ(m.call_rate, 4.0);
  EXPECT_EQ(m.exec_rate, 5.0);
  EXPECT_EQ(m.rate, 1.0);
  EXPECT_DOUBLE_EQ(*m.latency, 2.0);  // 10 / 5
  EXPECT_EQ(m.age, std::nullopt);
  EXPECT_EQ(m.stalled, false);
  EXPECT_EQ(m.rate_window, 20.0);
  EXPECT_EQ(m.counts_sampled_at, kT0);
  EXPECT_EQ(m.stats_sampled_at, kT0 - seconds{2});
}

// The demo's timeline showed `waiting 0` seconds after a burst: the listing is newer than the
// last declare but shows what the queue last reported to the statistics database.
TEST(MergeQueueSample, FreshCountsWinOverANewerListing) {
  StatsSample listing = Stats(kT0 + milliseconds{500}, 0.0, 0.0);
  listing.waiting = 0;
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 2000, 1), listing), kT0 + seconds{1}, kBounds);
  EXPECT_EQ(m.waiting, 2000.0);
}

TEST(MergeQueueSample, LatencyIsInfiniteWhenMessagesWaitAndNothingIsDone) {
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 10, 0), Stats(kT0, 3.0, 0.0)), kT0, kBounds);
  EXPECT_EQ(m.latency, kInf);
  EXPECT_EQ(m.rate, -3.0);
  EXPECT_EQ(m.stalled, false);  // no consumer: nobody is stuck, nobody is there
}

TEST(MergeQueueSample, StalledWhenConsumersDoNothingOverTheWholeWindow) {
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 10, 2), Stats(kT0, 3.0, 0.0)), kT0, kBounds);
  EXPECT_EQ(m.stalled, true);
  EXPECT_EQ(m.latency, kInf);
}

TEST(MergeQueueSample, NotStalledBeforeTheListingsCoverTheWindow) {
  const QueueMetrics m = MergeQueueSample(
      Sample(Counts(kT0, 10, 2), Stats(kT0, 3.0, 0.0, /*covers_window=*/false)), kT0, kBounds);
  EXPECT_EQ(m.stalled, false);
  EXPECT_EQ(m.latency, kInf);  // still: nothing was seen done while messages wait
}

TEST(MergeQueueSample, NotStalledWhenNothingWaits) {
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 0, 2), Stats(kT0, 0.0, 0.0)), kT0, kBounds);
  EXPECT_EQ(m.stalled, false);
}

TEST(MergeQueueSample, LatencyIsZeroWhenNothingWaitsEvenWithoutTraffic) {
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 0, 1), Stats(kT0, 0.0, 0.0)), kT0, kBounds);
  EXPECT_EQ(m.waiting, 0.0);
  EXPECT_EQ(m.latency, 0.0);
}

TEST(MergeQueueSample, LatencyIsZeroWhenNothingWaitsAndMessagesFlow) {
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 0, 1), Stats(kT0, 2.0, 2.0)), kT0, kBounds);
  EXPECT_EQ(m.latency, 0.0);
  EXPECT_EQ(m.rate, 0.0);
}

TEST(MergeQueueSample, UnknownRatesLeaveLatencyAndStalledNull) {
  StatsSample first = Stats(kT0, 0.0, 0.0);
  first.rates.reset();  // the first listing of the queue: no window yet
  const QueueMetrics m = MergeQueueSample(Sample(Counts(kT0, 10, 1), first), kT0, kBounds);
  EXPECT_EQ(m.waiting, 10.0);
  EXPECT_EQ(m.exec_rate, std::nullopt);
  EXPECT_EQ(m.latency, std::nullopt);
  EXPECT_EQ(m.stalled, std::nullopt);
  EXPECT_EQ(m.rate_window, std::nullopt);
}

TEST(MergeQueueSample, StaleCountsFallBackToTheListingCounts) {
  const QueueMetrics m = MergeQueueSample(
      Sample(Counts(kT0, 10, 3), Stats(kT0 + seconds{2}, 1.0, 1.0)), kT0 + seconds{4}, kBounds);
  EXPECT_EQ(m.waiting, 7.0);
  EXPECT_EQ(m.consumers, 1.0);
  EXPECT_EQ(m.counts_sampled_at, std::nullopt);
  EXPECT_DOUBLE_EQ(*m.latency, 7.0);
}

TEST(MergeQueueSample, CountsAtTheBoundAreStillFresh) {
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 10, 3), std::nullopt), kT0 + seconds{3}, kBounds);
  EXPECT_EQ(m.waiting, 10.0);
}

TEST(MergeQueueSample, StaleRatesAreMissingNotCarriedOver) {
  const QueueMetrics m = MergeQueueSample(
      Sample(Counts(kT0 + seconds{20}, 10, 3), Stats(kT0, 4.0, 5.0)), kT0 + seconds{20}, kBounds);
  EXPECT_EQ(m.exists, true);
  EXPECT_EQ(m.waiting, 10.0);
  EXPECT_EQ(m.call_rate, std::nullopt);
  EXPECT_EQ(m.exec_rate, std::nullopt);
  EXPECT_EQ(m.rate, std::nullopt);
  EXPECT_EQ(m.latency, std::nullopt);
  EXPECT_EQ(m.unacked, std::nullopt);
  EXPECT_EQ(m.stats_sampled_at, std::nullopt);
}

TEST(MergeQueueSample, EverythingStaleGivesAllMetricsMissingButTellsHowOld) {
  const QueueMetrics m = MergeQueueSample(
      Sample(Counts(kT0, 10, 3), Stats(kT0 + seconds{1}, 4.0, 5.0)), kT0 + seconds{17}, kBounds);
  EXPECT_FALSE(m.HasAnyMetric());
  EXPECT_EQ(m.newest_sample_at, kT0 + seconds{1});
}

TEST(MergeQueueSample, NonExistentQueueHasFixedMetrics) {
  const QueueMetrics m =
      MergeQueueSample(Sample(CountsSample{kT0, false, 0, 0}, std::nullopt), kT0, kBounds);
  EXPECT_EQ(m.exists, false);
  EXPECT_EQ(m.waiting, 0.0);
  EXPECT_EQ(m.latency, std::nullopt);
  EXPECT_EQ(m.call_rate, 0.0);
  EXPECT_EQ(m.exec_rate, 0.0);
  EXPECT_EQ(m.rate, 0.0);
  EXPECT_EQ(m.consumers, 0.0);
  EXPECT_EQ(m.stalled, false);
  EXPECT_EQ(m.age, std::nullopt);
}

TEST(MergeQueueSample, NewerDeclareSaysDeletedOverOlderListing) {
  const QueueMetrics m =
      MergeQueueSample(Sample(CountsSample{kT0 + seconds{1}, false, 0, 0}, Stats(kT0, 4.0, 5.0)),
                       kT0 + seconds{1}, kBounds);
  EXPECT_EQ(m.exists, false);
  EXPECT_EQ(m.call_rate, 0.0);
  EXPECT_EQ(m.latency, std::nullopt);
}

TEST(MergeQueueSample, QueueCreatedAfterTheListingHasCountsButNoRates) {
  StatsSample absent;
  absent.sampled_at = kT0;
  absent.exists = false;
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0 + seconds{1}, 4, 0), absent), kT0 + seconds{1}, kBounds);
  EXPECT_EQ(m.exists, true);
  EXPECT_EQ(m.waiting, 4.0);
  EXPECT_EQ(m.call_rate, std::nullopt);
  EXPECT_EQ(m.latency, std::nullopt);
}

TEST(MergeQueueSample, ListingAloneSaysNonExistent) {
  StatsSample absent;
  absent.sampled_at = kT0;
  absent.exists = false;
  const QueueMetrics m = MergeQueueSample(Sample(std::nullopt, absent), kT0, kBounds);
  EXPECT_EQ(m.exists, false);
  EXPECT_EQ(m.waiting, 0.0);
}

TEST(MergeQueueSample, AgeIsTimeSinceHeadMessageTimestamp) {
  StatsSample s = Stats(kT0, 1.0, 1.0);
  s.head_message_timestamp = kT0 - seconds{30};
  const QueueMetrics m = MergeQueueSample(Sample(Counts(kT0, 5, 1), s), kT0 + seconds{2}, kBounds);
  EXPECT_DOUBLE_EQ(*m.age, 32.0);
}

TEST(MergeQueueSample, AgeIsClampedAtZeroForAHeadStampedInTheFuture) {
  StatsSample s = Stats(kT0, 1.0, 1.0);
  s.head_message_timestamp = kT0 + seconds{10};
  const QueueMetrics m = MergeQueueSample(Sample(std::nullopt, s), kT0, kBounds);
  EXPECT_EQ(m.age, 0.0);
}

TEST(MergeQueueSample, AgeIsNullWhenNewerCountsShowAnEmptyQueue) {
  StatsSample s = Stats(kT0, 1.0, 1.0);
  s.head_message_timestamp = kT0 - seconds{30};
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0 + seconds{1}, 0, 1), s), kT0 + seconds{1}, kBounds);
  EXPECT_EQ(m.age, std::nullopt);
}

TEST(MergeQueueSample, ListingWithoutCountsLeavesWaitingMissing) {
  StatsSample s;
  s.sampled_at = kT0;
  s.exists = true;  // listed, but the broker could not read the queue
  const QueueMetrics m = MergeQueueSample(Sample(std::nullopt, s), kT0, kBounds);
  EXPECT_EQ(m.exists, true);
  EXPECT_EQ(m.waiting, std::nullopt);
  EXPECT_EQ(m.latency, std::nullopt);
  EXPECT_EQ(m.rate, std::nullopt);
}

TEST(ToResourceMetrics, UsesSpecNamesAndLeavesMissingMetricsOut) {
  const QueueMetrics m =
      MergeQueueSample(Sample(Counts(kT0, 10, 3), Stats(kT0, 4.0, 0.0)), kT0, kBounds);
  const rules::ResourceMetrics r = ToResourceMetrics(m);
  EXPECT_EQ(r.at("exists"), rules::Value::Bool(true));
  EXPECT_EQ(r.at("waiting"), rules::Value::Number(10));
  EXPECT_EQ(r.at("call_rate"), rules::Value::Number(4));
  EXPECT_EQ(r.at("exec_rate"), rules::Value::Number(0));
  EXPECT_EQ(r.at("rate"), rules::Value::Number(-4));
  EXPECT_EQ(r.at("consumers"), rules::Value::Number(3));
  EXPECT_EQ(r.at("unacked"), rules::Value::Number(2));
  EXPECT_EQ(r.at("latency"), rules::Value::Number(kInf));
  EXPECT_EQ(r.at("stalled"), rules::Value::Bool(true));
  EXPECT_FALSE(r.contains("age"));
  for (const auto& [name, value] : r) {
    EXPECT_THAT(rules::kMetricNames, testing::Contains(name));
  }
}

}  // namespace
}  // namespace maiev::monitor
