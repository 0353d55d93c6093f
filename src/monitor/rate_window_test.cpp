#include "monitor/rate_window.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace maiev::monitor {
namespace {

using std::chrono::seconds;

const TimePoint kT0{seconds{1'700'000'000}};
constexpr Duration kWindow{20.0};

TimePoint At(double s) {
  return kT0 + std::chrono::duration_cast<WallClock::duration>(Duration{s});
}

QueueCounters Counters(std::uint64_t published, std::uint64_t done) {
  return QueueCounters{published, done};
}

// A broker whose statistics database refreshes a queue's counters about every `refresh` seconds
// (from `phase` on, each refresh up to a fifth of the period late, as a loaded broker is), for a
// queue that takes `in` messages/s and gets `out` done per second.
struct SimulatedBroker {
  double refresh;
  double phase;
  double in;
  double out;

  double RefreshTime(long k) const {
    const double lateness = static_cast<double>((k * 7919) % 13) / 13.0 * 0.2 * refresh;
    return phase + static_cast<double>(k) * refresh + lateness;
  }
  // The counters a listing taken at `t` shows: those of the latest refresh.
  QueueCounters ListedAt(double t) const {
    long k = static_cast<long>(std::floor((t - phase) / refresh));
    while (k >= 0 && RefreshTime(k) > t) --k;
    const double refreshed = k < 0 ? 0.0 : RefreshTime(k);
    return Counters(static_cast<std::uint64_t>(refreshed * in),
                    static_cast<std::uint64_t>(refreshed * out));
  }
};

TEST(RateWindow, NoRatesUntilTwoListings) {
  RateWindow w(kWindow);
  EXPECT_EQ(w.Rates(), std::nullopt);
  w.Add(At(0), Counters(10, 5));
  EXPECT_EQ(w.Rates(), std::nullopt);
  w.Add(At(2), Counters(10, 5));
  ASSERT_TRUE(w.Rates().has_value());
  EXPECT_EQ(w.Rates()->exec_rate, 0.0);
  EXPECT_EQ(w.Rates()->span, 2.0);
}

// The defect this replaces: the broker's instantaneous rate is non-zero only right after a
// refresh, so a poller locked in phase saw rates always or never. Counters over a window give
// the true rate at every phase of the broker's refresh against ours.
TEST(RateWindow, SteadyRatesHoldAtEveryRefreshAndPollingPhase) {
  for (const double refresh : {1.0, 5.0}) {
    for (const double poll : {1.0, 2.0, 5.0}) {
      for (double phase = 0.0; phase < refresh; phase += 0.25) {
        const SimulatedBroker broker{refresh, phase, 40.0, 20.0};
        RateWindow w(kWindow);
        double worst = 0.0;
        for (double t = 0.1; t < 120.0; t += poll) {
          w.Add(At(t), broker.ListedAt(t));
          if (t < 40.0) continue;  // warm-up: the window has filled
          const auto rates = w.Rates();
          ASSERT_TRUE(rates.has_value());
          worst = std::max({worst, std::abs(rates->call_rate / 40.0 - 1.0),
                            std::abs(rates->exec_rate / 20.0 - 1.0)});
          EXPECT_TRUE(rates->covers_window);
          EXPECT_TRUE(rates->done_any);
        }
        // The error is the difference of two listings' lateness (each below min(refresh, poll)
        // plus a refresh's own lateness) over the time between the window's first and last
        // change (at least window − refresh − poll).
        const double bound =
            (std::min(refresh, poll) + 0.2 * refresh) / (kWindow.count() - refresh - poll);
        EXPECT_LE(worst, bound) << "refresh " << refresh << " s, poll " << poll << " s, phase "
                                << phase << " s";
      }
    }
  }
}

TEST(RateWindow, TrafficAfterIdleIsNotDilutedByTheIdleTime) {
  RateWindow w(kWindow);
  for (int t = 0; t <= 60; t += 2) w.Add(At(t), Counters(100, 100));
  w.Add(At(62), Counters(100 + 2000, 100 + 30));  // a burst, 15/s done since the last listing
  const auto rates = w.Rates();
  ASSERT_TRUE(rates.has_value());
  EXPECT_DOUBLE_EQ(rates->exec_rate, 15.0);
  EXPECT_DOUBLE_EQ(rates->call_rate, 1000.0);
  EXPECT_TRUE(rates->done_any);
}

TEST(RateWindow, ACounterThatStopsDecaysToZeroOverTheWindow) {
  RateWindow w(kWindow);
  std::uint64_t done = 0;
  for (int t = 0; t <= 40; t += 2) w.Add(At(t), Counters(0, done += 20));  // 10/s
  ASSERT_NEAR(w.Rates()->exec_rate, 10.0, 1e-9);
  w.Add(At(42), Counters(0, done));  // stopped at 40 s, or a refresh is late: not yet known
  EXPECT_NEAR(w.Rates()->exec_rate, 10.0, 1e-9);
  double previous = 10.0;
  for (int t = 44; t <= 60; t += 2) {
    w.Add(At(t), Counters(0, done));  // stopped at t = 40
    const double rate = w.Rates()->exec_rate;
    EXPECT_LT(rate, previous) << "at " << t << " s";
    previous = rate;
  }
  w.Add(At(62), Counters(0, done));
  EXPECT_EQ(w.Rates()->exec_rate, 0.0);  // no change left in the window
  EXPECT_FALSE(w.Rates()->done_any);
}

TEST(RateWindow, ACounterThatGoesDownRestartedFromZero) {
  RateWindow w(kWindow);
  w.Add(At(0), Counters(1000, 1000));
  w.Add(At(2), Counters(1020, 1010));
  w.Add(At(4), Counters(5, 2));  // queue re-created or broker restarted between listings
  w.Add(At(6), Counters(25, 12));
  const auto rates = w.Rates();
  ASSERT_TRUE(rates.has_value());
  // Changes at 2, 4 and 6 s; measured between the first and the last: (5 + 20) / 4 s.
  EXPECT_DOUBLE_EQ(rates->call_rate, 25.0 / 4.0);
  EXPECT_DOUBLE_EQ(rates->exec_rate, 12.0 / 4.0);
}

TEST(RateWindow, CoversTheWindowOnceTheListingsSpanIt) {
  RateWindow w(kWindow);
  for (int t = 0; t < 20; t += 5) w.Add(At(t), Counters(0, 0));
  EXPECT_FALSE(w.Rates()->covers_window);
  w.Add(At(20), Counters(0, 0));
  EXPECT_TRUE(w.Rates()->covers_window);
  EXPECT_EQ(w.Rates()->span, 20.0);
  w.Add(At(24), Counters(0, 0));  // the listing at 0 s still starts the window (at 4 s)
  EXPECT_EQ(w.Rates()->span, 24.0);
  w.Add(At(26), Counters(0, 0));  // now the one at 5 s does
  EXPECT_EQ(w.Rates()->span, 21.0);
  EXPECT_TRUE(w.Rates()->covers_window);
}

TEST(RateWindow, OldListingsLeaveTheWindow) {
  RateWindow w(kWindow);
  w.Add(At(0), Counters(0, 0));
  w.Add(At(5), Counters(0, 100));
  for (int t = 10; t <= 60; t += 5) w.Add(At(t), Counters(0, 100));
  EXPECT_EQ(w.Rates()->exec_rate, 0.0);
  EXPECT_EQ(w.Rates()->span, 20.0);
}

TEST(RateWindow, IgnoresAListingOlderThanTheNewest) {
  RateWindow w(kWindow);
  w.Add(At(10), Counters(0, 0));
  w.Add(At(12), Counters(0, 20));
  w.Add(At(11), Counters(0, 500));
  EXPECT_DOUBLE_EQ(w.Rates()->exec_rate, 10.0);
  EXPECT_EQ(w.Rates()->span, 2.0);
}

TEST(RateWindow, ClearForgetsEveryListing) {
  RateWindow w(kWindow);
  w.Add(At(0), Counters(0, 0));
  w.Add(At(2), Counters(4, 4));
  w.Clear();
  EXPECT_EQ(w.Rates(), std::nullopt);
}

}  // namespace
}  // namespace maiev::monitor
