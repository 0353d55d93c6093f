#include "monitor/rabbitmq_monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace maiev::monitor {
namespace {

constexpr int kManagementDefaultPort = 15672;

Result<int> ParsePort(const std::string& text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port < 1 || port > 65535) {
    return Fail("invalid", "RABBITMQ_PORT: `" + text + "` is not a port; accepted: 1 to 65535");
  }
  return port;
}

// Accepts http(s)://host[:port][/path]; refuses user info so that no credential ever sits in a
// URL that may be logged. The message does not echo the URL for the same reason.
Status CheckManagementUrl(const std::string& url) {
  const auto scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Fail("invalid",
                "RABBITMQ_MANAGEMENT_URL: accepted is http://HOST:PORT or https://HOST:PORT");
  }
  const auto authority_end = url.find('/', scheme_end + 3);
  const std::string authority = url.substr(scheme_end + 3, authority_end - (scheme_end + 3));
  if (authority.empty()) return Fail("invalid", "RABBITMQ_MANAGEMENT_URL: the host is missing");
  if (authority.find('@') != std::string::npos) {
    return Fail("invalid",
                "RABBITMQ_MANAGEMENT_URL: must not contain credentials; set RABBITMQ_USER and "
                "RABBITMQ_PASSWORD instead");
  }
  return {};
}

std::string AmqpAddress(const RabbitMqConfig& c) {
  return c.host + ":" + std::to_string(c.port) + " vhost `" + c.vhost + "`";
}

}  // namespace

Duration BackoffPolicy::Delay(int failures) const {
  const double exponent = std::max(0, failures - 1);
  const double seconds = initial.count() * std::pow(multiplier, std::min(exponent, 64.0));
  return Duration{std::min(seconds, max.count())};
}

Result<RabbitMqConfig> RabbitMqConfig::FromEnvironment(const Getenv& getenv) {
  RabbitMqConfig c;
  if (auto v = getenv("RABBITMQ_HOST"); v && !v->empty()) {
    c.host = *v;
    c.management_url = "http://" + c.host + ":" + std::to_string(kManagementDefaultPort);
  }
  if (auto v = getenv("RABBITMQ_PORT"); v && !v->empty()) {
    auto port = ParsePort(*v);
    if (!port) return Unexpected{port.error()};
    c.port = *port;
  }
  if (auto v = getenv("RABBITMQ_VHOST")) {
    if (v->empty()) return Fail("invalid", "RABBITMQ_VHOST: must not be empty; the default is /");
    c.vhost = *v;
  }
  if (auto v = getenv("RABBITMQ_USER")) c.user = *v;
  if (auto v = getenv("RABBITMQ_PASSWORD")) c.password = *v;
  if (auto v = getenv("RABBITMQ_MANAGEMENT_URL"); v && !v->empty()) {
    if (Status s = CheckManagementUrl(*v); !s) return Unexpected{s.error()};
    c.management_url = *v;
  }
  return c;
}

Result<RabbitMqConfig> RabbitMqConfig::FromEnvironment() {
  return FromEnvironment([](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

RabbitMqMonitor::RabbitMqMonitor(RabbitMqConfig config, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      probe_(
          AmqpEndpoint{config_.host, config_.port, config_.vhost, config_.user, config_.password},
          config_.amqp_timeouts),
      client_(
          ManagementEndpoint{config_.management_url, config_.vhost, config_.user, config_.password},
          config_.management_timeouts, config_.management_page_size) {}

RabbitMqMonitor::~RabbitMqMonitor() { Stop(); }

void RabbitMqMonitor::Start() {
  if (counts_thread_.joinable()) return;
  stopping_ = false;
  counts_thread_ = std::thread([this] { CountsLoop(); });
  stats_thread_ = std::thread([this] { StatsLoop(); });
}

void RabbitMqMonitor::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (counts_thread_.joinable()) counts_thread_.join();
  if (stats_thread_.joinable()) stats_thread_.join();
}

void RabbitMqMonitor::Track(std::set<std::string> queues) {
  std::lock_guard lock(mutex_);
  std::erase_if(queues_, [&](const auto& entry) { return !queues.contains(entry.first); });
  for (const std::string& q : queues) {
    queues_.try_emplace(q, Tracked{QueueSample{q, {}, {}}, RateWindow(config_.rate_window)});
  }
  tracked_ = std::move(queues);
}

std::map<std::string, QueueMetrics> RabbitMqMonitor::Snapshot(TimePoint now) const {
  std::lock_guard lock(mutex_);
  std::map<std::string, QueueMetrics> out;
  for (const auto& [name, queue] : queues_) {
    out.emplace(name, MergeQueueSample(queue.sample, now, config_.staleness));
  }
  return out;
}

BrokerHealth RabbitMqMonitor::Health() const {
  std::lock_guard lock(mutex_);
  return BrokerHealth{amqp_state_ == Reachability::kUp, management_state_ == Reachability::kUp,
                      amqp_error_, management_error_};
}

Status RabbitMqMonitor::RunCountsCycle() {
  std::lock_guard probe_lock(probe_mutex_);
  std::vector<std::string> tracked;
  {
    std::lock_guard lock(mutex_);
    tracked.assign(tracked_.begin(), tracked_.end());
  }
  if (tracked.empty() || stopping_) return {};
  auto all = probe_.DeclareAll(tracked);
  if (!all) return Unexpected{all.error()};
  // The replies of one pipelined batch arrive within milliseconds: one timestamp serves them all.
  const TimePoint at = clock_.Now();
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < tracked.size(); ++i) {
    const auto& counts = (*all)[i];
    if (!counts) {
      spdlog::debug("monitor: no AMQP counts for queue `{}`: {}", tracked[i],
                    counts.error().message);
      continue;
    }
    auto it = queues_.find(tracked[i]);
    if (it == queues_.end()) continue;  // untracked meanwhile
    it->second.sample.counts = CountsSample{at, counts->exists, counts->waiting, counts->consumers};
  }
  return {};
}

Status RabbitMqMonitor::RunStatsCycle() {
  std::lock_guard client_lock(client_mutex_);
  auto listing = client_.ListQueues(&stopping_);
  if (!listing) return Unexpected{listing.error()};
  const TimePoint at = clock_.Now();
  std::lock_guard lock(mutex_);
  for (auto& [name, listed] : TrackedQueuesFromListing(*listing, tracked_, at)) {
    auto it = queues_.find(name);
    if (it == queues_.end()) continue;
    RateWindow& window = it->second.window;
    if (!listed.stats.exists) window.Clear();
    if (listed.counters) window.Add(at, *listed.counters);
    listed.stats.rates = window.Rates();
    it->second.sample.stats = listed.stats;
  }
  return {};
}

void RabbitMqMonitor::CountsLoop() {
  const std::string address = AmqpAddress(config_);
  Loop(
      [&] {
        Status s = RunCountsCycle();
        std::lock_guard lock(mutex_);
        Report("AMQP", address, s, amqp_state_, amqp_error_);
        return s;
      },
      config_.counts_interval);
}

void RabbitMqMonitor::StatsLoop() {
  const std::string address = config_.management_url + " vhost `" + config_.vhost + "`";
  Loop(
      [&] {
        Status s = RunStatsCycle();
        std::lock_guard lock(mutex_);
        if (!s && s.error().code == "cancelled") return s;
        Report("management API", address, s, management_state_, management_error_);
        return s;
      },
      config_.stats_interval);
}

void RabbitMqMonitor::Loop(const std::function<Status()>& cycle, Duration interval) {
  int failures = 0;
  while (!stopping_) {
    // Cycles start `interval` apart (not `interval` after the previous one ended), so a sample
    // is never older than the interval plus one cycle.
    const auto started = std::chrono::steady_clock::now();
    const Status s = cycle();
    failures = s ? 0 : failures + 1;
    const Duration took = std::chrono::steady_clock::now() - started;
    const Duration wait =
        s ? std::max(Duration::zero(), interval - took) : config_.backoff.Delay(failures);
    if (!WaitFor(wait)) return;
  }
}

bool RabbitMqMonitor::WaitFor(Duration d) {
  std::unique_lock lock(stop_mutex_);
  return !stop_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

// REQUIRES: mutex_ held.
void RabbitMqMonitor::Report(const char* side, const std::string& address, const Status& status,
                             Reachability& state, std::optional<Error>& last_error) {
  if (status) {
    if (state == Reachability::kDown) {
      spdlog::info("monitor: RabbitMQ {} at {} is reachable again; metrics resume", side, address);
    } else if (state == Reachability::kUnknown) {
      spdlog::info("monitor: RabbitMQ {} at {} is reachable", side, address);
    }
    state = Reachability::kUp;
    last_error.reset();
    return;
  }
  if (state != Reachability::kDown) {
    spdlog::warn(
        "monitor: RabbitMQ {} at {} is unreachable ({}); retrying with backoff up to {}s, its "
        "metrics are missing meanwhile",
        side, address, status.error().message, config_.backoff.max.count());
  }
  state = Reachability::kDown;
  last_error = status.error();
}

}  // namespace maiev::monitor
