#include "tools/latency_trial.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "monitor/amqp_queue_probe.hpp"
#include "tools/amqp_session.hpp"

namespace maiev::tools {
namespace {

using std::chrono::steady_clock;

// How long a consumer waits for a delivery before it checks whether to stop.
constexpr std::chrono::milliseconds kConsumerPoll{100};

AmqpSettings SettingsOf(const monitor::RabbitMqConfig& c) {
  return AmqpSettings{c.host, c.port, c.user, c.password, c.vhost};
}

steady_clock::duration Steady(Duration d) {
  return std::chrono::duration_cast<steady_clock::duration>(d);
}

// The trial's threads: one publisher, `consumers` workers. The first error stops the trial.
class Load {
 public:
  explicit Load(const LatencyTrialOptions& options) : options_(options) {}
  ~Load() { Stop(); }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  void Start() {
    for (int i = 0; i < options_.consumers; ++i) threads_.emplace_back([this] { Consume(); });
    threads_.emplace_back([this] { Publish(); });
  }
  void Stop() {
    stopping_ = true;
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  std::uint64_t published() const { return published_.load(); }
  std::optional<Error> error() const {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  void Fail(const Error& e) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = e;
    stopping_ = true;
  }

  void Publish() {
    auto session = AmqpSession::Open(SettingsOf(options_.monitor));
    if (!session) return Fail(session.error());
    const auto start = steady_clock::now();
    for (std::uint64_t i = 0; !stopping_; ++i) {
      // Message i is due at start + i / rate, so the rate holds whatever a publish costs.
      std::this_thread::sleep_until(
          start + Steady(Duration{static_cast<double>(i) / options_.publish_rate}));
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      const auto stamp = std::chrono::duration_cast<std::chrono::seconds>(now).count();
      if (Status s = (*session)->Publish(options_.queue, "trial", stamp); !s) {
        return Fail(s.error());
      }
      published_.fetch_add(1);
    }
  }

  void Consume() {
    auto session = AmqpSession::Open(SettingsOf(options_.monitor));
    if (!session) return Fail(session.error());
    AmqpSession& s = **session;
    if (Status st = s.SetPrefetch(1); !st) return Fail(st.error());
    if (Status st = s.Consume(options_.queue); !st) return Fail(st.error());
    while (!stopping_) {
      auto delivery = s.Next(kConsumerPoll);
      if (!delivery) return Fail(delivery.error());
      if (!delivery->has_value()) continue;
      std::this_thread::sleep_for(Steady(options_.work));
      if (Status st = s.Ack((*delivery)->delivery_tag); !st) return Fail(st.error());
    }
  }

  const LatencyTrialOptions& options_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> published_{0};
  mutable std::mutex mutex_;  // guards error_
  std::optional<Error> error_;
  std::vector<std::thread> threads_;
};

// The queue's ready count, straight from the queue (passive declare).
Result<std::uint64_t> ReadyCount(monitor::AmqpQueueProbe& probe, const std::string& queue) {
  const std::string queues[] = {queue};
  auto all = probe.DeclareAll(queues);
  if (!all) return Unexpected{all.error()};
  if (!(*all)[0]) return Unexpected{(*all)[0].error()};
  return (*all)[0]->waiting;
}

// Work done so far as the truth sees it: published − ready.
struct Progress {
  steady_clock::time_point at;
  double done = 0;
};

Result<Progress> ProgressOf(const Load& load, monitor::AmqpQueueProbe& probe,
                            const std::string& queue) {
  const auto published = static_cast<double>(load.published());
  auto ready = ReadyCount(probe, queue);
  if (!ready) return Unexpected{ready.error()};
  return Progress{steady_clock::now(), published - static_cast<double>(*ready)};
}

}  // namespace

double LatencyTrialResult::Availability() const {
  if (samples.empty()) return 0.0;
  const auto known = std::count_if(samples.begin(), samples.end(), [](const LatencySample& s) {
    return s.latency && std::isfinite(*s.latency);
  });
  return static_cast<double>(known) / static_cast<double>(samples.size());
}

std::vector<double> LatencyTrialResult::RelativeErrors() const {
  std::vector<double> errors;
  for (const LatencySample& s : samples) {
    if (!s.latency || !std::isfinite(*s.latency) || service_rate <= 0.0) continue;
    const double truth = s.waiting / service_rate;
    errors.push_back(std::abs(*s.latency / truth - 1.0));
  }
  return errors;
}

Result<LatencyTrialResult> RunLatencyTrial(const LatencyTrialOptions& options) {
  const AmqpSettings settings = SettingsOf(options.monitor);
  auto control = AmqpSession::Open(settings);
  if (!control) return Unexpected{control.error()};
  if (Status s = (*control)->DeclareQueue(options.queue); !s) return Unexpected{s.error()};

  const monitor::RabbitMqConfig& c = options.monitor;
  monitor::AmqpQueueProbe probe(monitor::AmqpEndpoint{c.host, c.port, c.vhost, c.user, c.password});
  SystemClock clock;
  monitor::RabbitMqMonitor monitor(options.monitor, clock);
  monitor.Track({options.queue});
  Load load(options);
  load.Start();
  monitor.Start();

  LatencyTrialResult result;
  std::optional<Error> failure;
  std::this_thread::sleep_for(Steady(options.warmup));
  auto first = ProgressOf(load, probe, options.queue);
  const std::uint64_t published_before = load.published();
  if (!first) failure = first.error();
  const auto begin = steady_clock::now();
  const auto end = begin + Steady(options.measure);
  for (auto next = begin; !failure && !load.error() && next < end;
       next += Steady(options.sample_every)) {
    std::this_thread::sleep_until(next);
    const auto metrics = monitor.Snapshot(clock.Now()).at(options.queue);
    if (!metrics.waiting || *metrics.waiting <= 0.0) continue;
    result.samples.push_back(LatencySample{Duration(steady_clock::now() - begin).count(),
                                           *metrics.waiting, metrics.latency,
                                           metrics.stalled.value_or(false)});
  }
  auto last = ProgressOf(load, probe, options.queue);
  const std::uint64_t published_after = load.published();
  if (!last && !failure) failure = last.error();
  load.Stop();
  monitor.Stop();
  if (!failure) failure = load.error();
  (void)(*control)->DeleteQueue(options.queue);
  if (failure) return Unexpected{*failure};

  const double seconds = Duration(last->at - first->at).count();
  result.service_rate = (last->done - first->done) / seconds;
  result.publish_rate = static_cast<double>(published_after - published_before) / seconds;
  return result;
}

}  // namespace maiev::tools
