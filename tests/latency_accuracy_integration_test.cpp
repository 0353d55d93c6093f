// The monitor's latency against the truth, on the stack's RabbitMQ: a queue fed at a known rate
// and drained by consumers with a known work time (tools/latency_trial.hpp). After the rate
// window has filled, latency must be there in ≥ 99 % of the samples taken while messages wait,
// and within ±20 % of the true drain time (waiting / the measured service rate).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "tools/latency_trial.hpp"

namespace maiev::tools {
namespace {

LatencyTrialOptions StackTrial(const std::string& name) {
  LatencyTrialOptions options;
  auto config = monitor::RabbitMqConfig::FromEnvironment();
  EXPECT_TRUE(config.ok()) << config.error().message;
  if (config.ok()) options.monitor = *config;
  options.queue = "maiev-latency-test-" + std::to_string(::getpid()) + "-" + name;
  return options;
}

void ExpectAccurate(const LatencyTrialResult& r) {
  // The load is far above what the consumers drain, so messages wait throughout.
  ASSERT_GE(r.samples.size(), 100u);
  EXPECT_GE(r.Availability(), 0.99);
  const auto errors = r.RelativeErrors();
  ASSERT_FALSE(errors.empty());
  const double worst = *std::max_element(errors.begin(), errors.end());
  EXPECT_LE(worst, 0.20) << "service rate " << r.service_rate << "/s";
  for (const LatencySample& s : r.samples) EXPECT_FALSE(s.stalled) << "at " << s.at << " s";
}

// maiev's defaults: counts every 1 s, a listing every 5 s, a 20 s rate window.
TEST(LatencyAccuracy, WithinTwentyPercentOfTheTrueDrainTimeAtDefaultIntervals) {
  LatencyTrialOptions options = StackTrial("defaults");
  options.publish_rate = 40;
  options.consumers = 1;
  options.work = Duration{0.05};  // ≈ 19/s
  auto result = RunLatencyTrial(options);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ExpectAccurate(*result);
}

// Two consumers and a listing every 2 s (as the demo runs), out of phase with the broker's
// statistics refreshes.
TEST(LatencyAccuracy, WithinTwentyPercentWithTwoConsumersAndFasterListings) {
  LatencyTrialOptions options = StackTrial("two-consumers");
  options.publish_rate = 70;
  options.consumers = 2;
  options.work = Duration{0.04};  // ≈ 2 × 24/s
  options.monitor.stats_interval = Duration{2.0};
  options.monitor.staleness.stats = Duration{6.0};
  options.warmup = Duration{22.0};
  auto result = RunLatencyTrial(options);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ExpectAccurate(*result);
}

}  // namespace
}  // namespace maiev::tools
