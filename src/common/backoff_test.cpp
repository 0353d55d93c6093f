#include "common/backoff.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace maiev {
namespace {

TEST(BackoffPolicy, DoublesFromInitialUpToMax) {
  const BackoffPolicy p{0, Duration{1.0}, Duration{30.0}, 2.0};
  EXPECT_EQ(p.Delay(1).count(), 1.0);
  EXPECT_EQ(p.Delay(2).count(), 2.0);
  EXPECT_EQ(p.Delay(5).count(), 16.0);
  EXPECT_EQ(p.Delay(6).count(), 30.0);
  EXPECT_EQ(p.Delay(10'000).count(), 30.0);
}

TEST(BackoffPolicy, TakesMillisecondsAndOtherMultipliers) {
  const BackoffPolicy p{5, std::chrono::milliseconds{200}, std::chrono::milliseconds{1'000}, 3.0};
  EXPECT_DOUBLE_EQ(p.Delay(1).count(), 0.2);
  EXPECT_DOUBLE_EQ(p.Delay(2).count(), 0.6);
  EXPECT_DOUBLE_EQ(p.Delay(3).count(), 1.0);
}

TEST(BackoffPolicy, WithoutAPauseNeverWaits) {
  const BackoffPolicy p{3, {}, {}};
  EXPECT_EQ(p.Delay(1).count(), 0.0);
  EXPECT_EQ(p.Delay(100).count(), 0.0);
}

TEST(BackoffPolicy, CountsTheFirstTryAndZeroMeansNoLimit) {
  const BackoffPolicy once{};
  EXPECT_TRUE(once.Exhausted(1));
  const BackoffPolicy three{3, {}, {}};
  EXPECT_FALSE(three.Exhausted(2));
  EXPECT_TRUE(three.Exhausted(3));
  const BackoffPolicy unlimited{0, {}, {}};
  EXPECT_FALSE(unlimited.Exhausted(1'000'000));
}

}  // namespace
}  // namespace maiev
