#include "common/sleep.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace maiev {
namespace {

// A wait that is never cut would hang until the test's timeout: each case below ends only
// because the stop (or a zero duration) ends it.
constexpr Duration kForever{24 * 3600.0};

TEST(SleepFor, ReturnsAtOnceWhenTheStopWasRequestedBefore) {
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(SleepFor(kForever, stop.get_token()));
}

TEST(SleepFor, EndsWhenTheStopIsRequestedDuringTheWait) {
  std::stop_source stop;
  std::jthread stopper([&stop] { stop.request_stop(); });
  EXPECT_FALSE(SleepFor(kForever, stop.get_token()));
}

TEST(SleepFor, ZeroOrLessReturnsAtOnceAndSaysWhetherToGoOn) {
  std::stop_source stop;
  EXPECT_TRUE(SleepFor(Duration::zero(), stop.get_token()));
  EXPECT_TRUE(SleepFor(Duration{-1.0}, stop.get_token()));
  stop.request_stop();
  EXPECT_FALSE(SleepFor(Duration::zero(), stop.get_token()));
}

}  // namespace
}  // namespace maiev
