#include "monitor/rabbitmq_monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <utility>

#include "common/sleep.hpp"

namespace maiev::monitor {
namespace {

constexpr int kManagementDefaultPort = 15672;
constexpr int kMaxPort = 65535;

// A setting's names, for messages: the flag and the environment variable that can give it.
struct SettingNames {
  const char* flag;
  const char* variable;  // nullptr: none
};
constexpr SettingNames kHost{"--rabbitmq-host", "RABBITMQ_HOST"};
constexpr SettingNames kPort{"--rabbitmq-port", "RABBITMQ_PORT"};
constexpr SettingNames kVhost{"--rabbitmq-vhost", "RABBITMQ_VHOST"};
constexpr SettingNames kUser{"--rabbitmq-user", "RABBITMQ_USER"};
constexpr SettingNames kPassword{"--rabbitmq-password", "RABBITMQ_PASSWORD"};
constexpr SettingNames kManagementUrl{"--rabbitmq-management-url", "RABBITMQ_MANAGEMENT_URL"};
constexpr SettingNames kCountsInterval{"--counts-interval", nullptr};
constexpr SettingNames kStatsInterval{"--stats-interval", nullptr};
constexpr SettingNames kRateWindow{"--rate-window", nullptr};

// A value as given, and the flag or variable it came from.
struct Given {
  std::string value;
  std::string source;
};

// The flag's value when given, else the variable's, else nothing.
std::optional<Given> Pick(const std::optional<std::string>& flag, const SettingNames& names,
                          const RabbitMqConfig::Getenv& getenv) {
  if (flag) return Given{*flag, names.flag};
  if (names.variable == nullptr) return std::nullopt;
  if (auto v = getenv(names.variable)) return Given{*v, names.variable};
  return std::nullopt;
}

Status NotEmpty(const Given& g) {
  if (!g.value.empty()) return {};
  return Fail("invalid", g.source + ": must not be empty");
}

Result<int> ParsePort(const Given& g) {
  int port = 0;
  const std::string& text = g.value;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port < 1 || port > kMaxPort) {
    return Fail("invalid", g.source + ": `" + text + "` is not a port; accepted: 1 to 65535");
  }
  return port;
}

// Accepts http(s)://host[:port][/path]; refuses user info so that no credential ever sits in a
// URL that may be logged. The messages do not echo the URL for the same reason.
Status CheckManagementUrl(const Given& g) {
  const std::string& url = g.value;
  const auto scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Fail("invalid", g.source + ": accepted is http://HOST[:PORT] or https://HOST[:PORT]");
  }
  const auto authority_end = url.find_first_of("/?#", scheme_end + 3);
  const std::string authority = url.substr(scheme_end + 3, authority_end - (scheme_end + 3));
  if (authority.find('@') != std::string::npos) {
    return Fail("invalid", g.source +
                               ": must not contain credentials (user info before `@`); give them "
                               "with --rabbitmq-user and --rabbitmq-password or RABBITMQ_USER "
                               "and RABBITMQ_PASSWORD");
  }
  if (authority.empty()) return Fail("invalid", g.source + ": the host is missing");
  return {};
}

Result<Duration> ParseInterval(const std::optional<double>& seconds, const SettingNames& names,
                               Duration fallback) {
  if (!seconds) return fallback;
  if (!(*seconds > 0) || !std::isfinite(*seconds)) {
    std::ostringstream got;
    got << *seconds;
    return Fail("invalid", std::string(names.flag) + ": expected seconds > 0, got " + got.str());
  }
  return Duration{*seconds};
}

// Host, port and vhost of the AMQP side.
Status ResolveAmqp(const RabbitMqSettings& flags, const RabbitMqConfig::Getenv& getenv,
                   RabbitMqConfig& c) {
  if (auto g = Pick(flags.host, kHost, getenv)) {
    if (Status s = NotEmpty(*g); !s) return s;
    c.host = g->value;
  }
  if (auto g = Pick(flags.port, kPort, getenv)) {
    auto port = ParsePort(*g);
    if (!port) return Unexpected{port.error()};
    c.port = *port;
  }
  if (auto g = Pick(flags.vhost, kVhost, getenv)) {
    if (g->value.empty())
      return Fail("invalid", g->source + ": must not be empty; the default is /");
    c.vhost = g->value;
  }
  return {};
}

// The management URL, given or derived from the host.
Status ResolveManagement(const RabbitMqSettings& flags, const RabbitMqConfig::Getenv& getenv,
                         RabbitMqConfig& c) {
  auto g = Pick(flags.management_url, kManagementUrl, getenv);
  if (!g) {
    const bool v6 = c.host.find(':') != std::string::npos;
    c.management_url = "http://" + (v6 ? "[" + c.host + "]" : c.host) + ":" +
                       std::to_string(kManagementDefaultPort);
    return {};
  }
  if (Status s = CheckManagementUrl(*g); !s) return s;
  c.management_url = g->value;
  return {};
}

Status ResolveIntervals(const RabbitMqSettings& flags, RabbitMqConfig& c) {
  auto counts = ParseInterval(flags.counts_interval, kCountsInterval, c.counts_interval);
  if (!counts) return Unexpected{counts.error()};
  auto stats = ParseInterval(flags.stats_interval, kStatsInterval, c.stats_interval);
  if (!stats) return Unexpected{stats.error()};
  // Unless given, the window grows with a long listing interval to hold two listings.
  auto window =
      ParseInterval(flags.rate_window, kRateWindow, std::max(c.rate_window, Duration{2 * *stats}));
  if (!window) return Unexpected{window.error()};
  if (*window < 2 * *stats) {
    std::ostringstream message;
    message << kRateWindow.flag << ": expected at least twice " << kStatsInterval.flag << " ("
            << 2 * stats->count() << " s), so that the window holds two listings; got "
            << window->count() << " s";
    return Fail("invalid", message.str());
  }
  c.counts_interval = *counts;
  c.stats_interval = *stats;
  c.rate_window = *window;
  c.staleness.counts = 3 * c.counts_interval;
  c.staleness.stats = 3 * c.stats_interval;
  return {};
}

std::string AmqpAddress(const RabbitMqConfig& c) {
  return c.host + ":" + std::to_string(c.port) + " vhost `" + c.vhost + "`";
}

}  // namespace

Result<RabbitMqConfig> RabbitMqConfig::Resolve(const RabbitMqSettings& flags,
                                               const Getenv& getenv) {
  RabbitMqConfig c;
  if (Status s = ResolveAmqp(flags, getenv, c); !s) return Unexpected{s.error()};
  if (auto g = Pick(flags.user, kUser, getenv)) c.user = g->value;
  if (auto g = Pick(flags.password, kPassword, getenv)) c.password = g->value;
  if (Status s = ResolveManagement(flags, getenv, c); !s) return Unexpected{s.error()};
  if (Status s = ResolveIntervals(flags, c); !s) return Unexpected{s.error()};
  return c;
}

Result<RabbitMqConfig> RabbitMqConfig::Resolve(const RabbitMqSettings& flags) {
  return Resolve(flags, [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

Result<RabbitMqConfig> RabbitMqConfig::FromEnvironment(const Getenv& getenv) {
  return Resolve(RabbitMqSettings{}, getenv);
}

Result<RabbitMqConfig> RabbitMqConfig::FromEnvironment() { return Resolve(RabbitMqSettings{}); }

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
  counts_thread_ = std::jthread([this](const std::stop_token& stop) { CountsLoop(stop); });
  stats_thread_ = std::jthread([this](const std::stop_token& stop) { StatsLoop(stop); });
}

void RabbitMqMonitor::Stop() {
  counts_thread_.request_stop();
  stats_thread_.request_stop();
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

Status RabbitMqMonitor::RunCountsCycle(const std::stop_token& stop) {
  std::lock_guard probe_lock(probe_mutex_);
  std::vector<std::string> tracked;
  {
    std::lock_guard lock(mutex_);
    tracked.assign(tracked_.begin(), tracked_.end());
  }
  if (stop.stop_requested()) return {};
  // Without a queue to declare, the connection is still checked: the broker's state is shown
  // (/readyz) before the first service needs it.
  if (tracked.empty()) return probe_.Ready();
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

Status RabbitMqMonitor::RunStatsCycle(const std::stop_token& cancel) {
  std::lock_guard client_lock(client_mutex_);
  auto listing = client_.ListQueues(cancel);
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

void RabbitMqMonitor::CountsLoop(const std::stop_token& stop) {
  const std::string address = AmqpAddress(config_);
  Loop(
      [&] {
        Status s = RunCountsCycle(stop);
        std::lock_guard lock(mutex_);
        Report("AMQP", address, s, amqp_state_, amqp_error_);
        return s;
      },
      config_.counts_interval, stop);
}

void RabbitMqMonitor::StatsLoop(const std::stop_token& stop) {
  const std::string address = config_.management_url + " vhost `" + config_.vhost + "`";
  Loop(
      [&] {
        Status s = RunStatsCycle(stop);
        std::lock_guard lock(mutex_);
        if (!s && s.error().code == "cancelled") return s;
        Report("management API", address, s, management_state_, management_error_);
        return s;
      },
      config_.stats_interval, stop);
}

void RabbitMqMonitor::Loop(const std::function<Status()>& cycle, Duration interval,
                           const std::stop_token& stop) {
  int failures = 0;
  while (!stop.stop_requested()) {
    // Cycles start `interval` apart (not `interval` after the previous one ended), so a sample
    // is never older than the interval plus one cycle.
    const auto started = std::chrono::steady_clock::now();
    const Status s = cycle();
    failures = s ? 0 : failures + 1;
    const Duration took = std::chrono::steady_clock::now() - started;
    const Duration wait =
        s ? std::max(Duration::zero(), interval - took) : config_.backoff.Delay(failures);
    if (!SleepFor(wait, stop)) return;
  }
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
