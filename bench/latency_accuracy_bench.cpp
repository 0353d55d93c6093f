// Latency accuracy of the RabbitMQ monitor against a known load on the stack's broker
// (tools/latency_trial.hpp): for each run, the share of samples with a latency while messages
// wait (availability) and the relative error against the true drain time (median, p90, max).
//
//   bench/latency_accuracy_bench [--rate 70] [--consumers 1] [--work-ms 50] [--runs 3]
//       [--stats-interval 5] [--window 20] [--warmup 25] [--measure 40]
// Broker settings come from RABBITMQ_* (scripts/stack.sh env). See docs/PERFORMANCE.md.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/latency_trial.hpp"

namespace {

using maiev::Duration;

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto index =
      static_cast<std::size_t>(std::lround(q * static_cast<double>(values.size() - 1)));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"latency accuracy of the RabbitMQ monitor against a known load"};
  double rate = 70;
  int consumers = 1;
  double work_ms = 50;
  int runs = 3;
  double stats_interval = 5;
  double window = 20;
  double warmup = 25;
  double measure = 40;
  app.add_option("--rate", rate, "messages/s published")->check(CLI::PositiveNumber);
  app.add_option("--consumers", consumers, "consumers, prefetch 1 each")->check(CLI::Range(1, 64));
  app.add_option("--work-ms", work_ms, "work per message")->check(CLI::PositiveNumber);
  app.add_option("--runs", runs, "trials")->check(CLI::Range(1, 100));
  app.add_option("--stats-interval", stats_interval, "seconds between management listings")
      ->check(CLI::PositiveNumber);
  app.add_option("--window", window, "rate window, seconds")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "seconds before samples count")->check(CLI::PositiveNumber);
  app.add_option("--measure", measure, "seconds of samples")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  auto config = maiev::monitor::RabbitMqConfig::FromEnvironment();
  if (!config) {
    std::fprintf(stderr, "latency_accuracy_bench: %s\n", config.error().message.c_str());
    return 2;
  }
  config->stats_interval = Duration{stats_interval};
  config->staleness.stats = Duration{3 * stats_interval};
  config->rate_window = Duration{window};

  std::printf("load %.0f msg/s, %d consumer(s) × %.0f ms, listing every %.1f s, window %.0f s\n",
              rate, consumers, work_ms, stats_interval, window);
  std::printf("%4s  %8s  %12s  %9s  %9s  %9s  %9s\n", "run", "samples", "availability", "median",
              "p90", "max", "μ (msg/s)");
  int failed = 0;
  for (int run = 1; run <= runs; ++run) {
    maiev::tools::LatencyTrialOptions options;
    options.queue = "maiev-latency-bench-" + std::to_string(::getpid()) + "-" + std::to_string(run);
    options.publish_rate = rate;
    options.consumers = consumers;
    options.work = Duration{work_ms / 1000.0};
    options.warmup = Duration{warmup};
    options.measure = Duration{measure};
    options.monitor = *config;
    auto result = maiev::tools::RunLatencyTrial(options);
    if (!result) {
      std::printf("%4d  failed: %s\n", run, result.error().message.c_str());
      ++failed;
      continue;
    }
    const std::vector<double> errors = result->RelativeErrors();
    std::printf("%4d  %8zu  %11.1f%%  %8.1f%%  %8.1f%%  %8.1f%%  %9.1f\n", run,
                result->samples.size(), 100 * result->Availability(), 100 * Quantile(errors, 0.5),
                100 * Quantile(errors, 0.9), 100 * Quantile(errors, 1.0), result->service_rate);
    std::fflush(stdout);
  }
  return failed == 0 ? 0 : 1;
}
