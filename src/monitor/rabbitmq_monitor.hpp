// The RabbitMQ queue monitor: fresh counts over AMQP on a fast cycle, rates from the management
// API on a slow one, merged on demand into SPEC §2 metrics.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>

#include "common/backoff.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "monitor/amqp_queue_probe.hpp"
#include "monitor/metrics.hpp"
#include "monitor/queue_metrics_source.hpp"
#include "monitor/rabbitmq_management_client.hpp"
#include "monitor/rate_window.hpp"

namespace maiev::monitor {

// How the monitor retries a broker that is down or restarting: 1 s after the first failed cycle,
// doubling, at most 30 s, for as long as it runs; the cycle interval applies again after the
// first success.
inline constexpr BackoffPolicy kBrokerRetryBackoff{0, Duration{1.0}, Duration{30.0}, 2.0};

// RabbitMQ settings as an operator gave them on the command line, each unset when not given.
// RabbitMqConfig::Resolve is the one place they, and the RABBITMQ_* variables, are validated.
struct RabbitMqSettings {
  std::optional<std::string> host;
  std::optional<std::string> port;
  std::optional<std::string> vhost;
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::optional<std::string> management_url;
  std::optional<double> counts_interval;  // seconds
  std::optional<double> stats_interval;   // seconds
  std::optional<double> rate_window;      // seconds
};

struct RabbitMqConfig {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string vhost = "/";
  std::string user = "guest";
  std::string password = "guest";
  std::string management_url = "http://127.0.0.1:15672";
  Duration counts_interval{1.0};  // AMQP passive declares of every tracked queue
  Duration stats_interval{5.0};   // one management listing of the vhost
  // Listings the rates are computed over (RateWindow): a few of the broker's statistics
  // refreshes (5 s by default), so neither its refresh phase nor ours matters.
  Duration rate_window{20.0};
  StalenessBounds staleness;  // defaults: 3 × each interval
  BackoffPolicy backoff = kBrokerRetryBackoff;
  AmqpTimeouts amqp_timeouts;
  ManagementTimeouts management_timeouts;
  int management_page_size = kManagementPageSize;

  using Getenv = std::function<std::optional<std::string>(const char* name)>;

  // Each setting from `flags` when given there, else from its variable through `getenv`
  // (RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_VHOST, RABBITMQ_USER, RABBITMQ_PASSWORD,
  // RABBITMQ_MANAGEMENT_URL; the intervals have none), else the default above. Without a
  // management URL, http://HOST:15672. Staleness bounds are 3 × each interval. Checks: host,
  // port (1 to 65535), vhost and management URL are not empty; the URL is http(s)://HOST[:PORT]
  // [/path] without user info (credentials go in user and password); intervals are seconds > 0.
  // Error code "invalid" names the flag or variable the bad value came from and what is
  // accepted, and never echoes a credential.
  static Result<RabbitMqConfig> Resolve(const RabbitMqSettings& flags, const Getenv& getenv);
  // Resolve(flags) over this process's environment.
  static Result<RabbitMqConfig> Resolve(const RabbitMqSettings& flags);
  // Resolve without flags.
  static Result<RabbitMqConfig> FromEnvironment(const Getenv& getenv);
  static Result<RabbitMqConfig> FromEnvironment();
};

// Reachability of one side of the broker, for /readyz and the status page.
struct BrokerHealth {
  bool amqp_reachable = false;
  bool management_reachable = false;
  std::optional<Error> amqp_error;        // last failure, cleared on success
  std::optional<Error> management_error;  // last failure, cleared on success
};

// Thread-safe. Start() runs the two cycles on two threads of their own; without Start(), the
// cycles can be run one at a time by the caller (tests, one-shot CLI commands). Samples are
// timestamped with `clock`, which must outlive the monitor and be thread-safe.
class RabbitMqMonitor final : public QueueMetricsSource {
 public:
  RabbitMqMonitor(RabbitMqConfig config, const Clock& clock);
  ~RabbitMqMonitor() override;  // Stop()
  RabbitMqMonitor(const RabbitMqMonitor&) = delete;
  RabbitMqMonitor& operator=(const RabbitMqMonitor&) = delete;

  // Starts the cycle threads; a no-op when running.
  void Start();
  // Wakes and joins the threads. A waiting cycle stops at once; a management request in flight is
  // aborted; an AMQP call in flight ends within its timeout (AmqpTimeouts).
  void Stop();

  void Track(std::set<std::string> queues) override;
  std::map<std::string, QueueMetrics> Snapshot(TimePoint now) const override;
  BrokerHealth Health() const;

  // One passive declare per tracked queue, pipelined (AmqpQueueProbe::DeclareAll); with none,
  // only the connection is made or checked. Fails when the connection fails; a queue the broker
  // refuses is skipped (its counts go stale). Does nothing when `stop` was requested.
  Status RunCountsCycle(const std::stop_token& stop = {});
  // One management listing of the vhost; error "cancelled" when `cancel` is requested during it.
  Status RunStatsCycle(const std::stop_token& cancel = {});

 private:
  enum class Reachability { kUnknown, kUp, kDown };
  void CountsLoop(const std::stop_token& stop);
  void StatsLoop(const std::stop_token& stop);
  // Runs `cycle` until `stop` is requested, waiting `interval` after a success and the backoff
  // delay after a failure.
  void Loop(const std::function<Status()>& cycle, Duration interval, const std::stop_token& stop);
  // Logs a line when a side of the broker becomes unreachable or reachable again, not per retry.
  void Report(const char* side, const std::string& address, const Status& status,
              Reachability& state, std::optional<Error>& last_error);

  const RabbitMqConfig config_;
  const Clock& clock_;

  std::mutex probe_mutex_;  // serialises RunCountsCycle (the probe is not thread-safe)
  AmqpQueueProbe probe_;
  std::mutex client_mutex_;  // serialises RunStatsCycle (the client is not thread-safe)
  RabbitMqManagementClient client_;

  mutable std::mutex mutex_;  // guards the members below
  std::set<std::string> tracked_;
  struct Tracked {
    QueueSample sample;
    RateWindow window;
  };
  std::map<std::string, Tracked> queues_;  // one per tracked queue
  Reachability amqp_state_ = Reachability::kUnknown;
  Reachability management_state_ = Reachability::kUnknown;
  std::optional<Error> amqp_error_;
  std::optional<Error> management_error_;

  // Stop() requests their stop, which ends their waits (SleepFor) and a listing in flight.
  std::jthread counts_thread_;
  std::jthread stats_thread_;
};

}  // namespace maiev::monitor
