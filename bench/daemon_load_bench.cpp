// maiev's own cost while monitoring many queues: the real RabbitMQ monitor (AMQP counts every
// second, one paginated management listing every 5 s) and the autoscaler evaluating one service
// per queue every second in `maiev serve`'s loop, against the stack's RabbitMQ, with the REST
// API served on a loopback port as `maiev serve` wires it. The orchestrator is a swarm made up
// in memory (GeneratedSwarm): a 2-core machine cannot host 1,000 Swarm services, and the Engine
// is only called on a change.
//
//   daemon_load_bench [--queues N] [--seconds S] [--api-load RATE]
// Prints resident memory (now and peak), CPU use (share of one core) over the measured window,
// how fresh the queues' counts were and how late the cycles started. With --api-load, wrk
// (bench/api_load.lua) sends at most RATE GETs a second over the read routes for the whole
// window; prints the rate achieved and the answers' latency. Exits 1 when counts were stale, a
// cycle started late (kLateTolerance) or a request failed.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/event_hub.hpp"
#include "api/readiness.hpp"
#include "common/memory.hpp"
#include "control/autoscaler.hpp"
#include "daemon/daemon.hpp"
#include "daemon/served_api.hpp"
#include "monitor/rabbitmq_monitor.hpp"
#include "orchestrator/orchestrator.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_health.hpp"

namespace {

using namespace maiev;

constexpr Duration kWarmUp{10.0};
// `maiev serve`'s default --interval.
constexpr Duration kInterval{1.0};
// A cycle starts `kInterval` after the previous one ended (daemon::RunCycles), so the time between
// two starts is the interval plus a cycle (a few ms at 1,000 services) plus the wake-up. A start
// later than kInterval + kLateTolerance after the previous one is late; a missed cycle (one whole
// interval lost) is far beyond it.
constexpr Duration kLateTolerance{0.25};

std::string QueueName(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "maiev-bench-%05d", i);
  return buf;
}

// Declares (or deletes) the bench queues over one AMQP connection.
bool ForEachQueue(const monitor::RabbitMqConfig& c, int n, bool remove) {
  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  if (socket == nullptr || amqp_socket_open(socket, c.host.c_str(), c.port) != 0) {
    std::cerr << "cannot connect to RabbitMQ at " << c.host << ":" << c.port << "\n";
    return false;
  }
  amqp_rpc_reply_t login = amqp_login(conn, c.vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                                      c.user.c_str(), c.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    std::cerr << "RabbitMQ login failed\n";
    return false;
  }
  amqp_channel_open(conn, 1);
  for (int i = 0; i < n; ++i) {
    const std::string name = QueueName(i);
    if (remove) {
      amqp_queue_delete(conn, 1, amqp_cstring_bytes(name.c_str()), 0, 0);
    } else {
      amqp_queue_declare(conn, 1, amqp_cstring_bytes(name.c_str()), 0, 0, 0, 0, amqp_empty_table);
    }
  }
  amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  return true;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

// VmRSS or VmHWM from /proc/self/status, in MiB.
double MemoryMiB(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return -1;
}

// How old the queues' counts were, over the cycles sampled.
struct Freshness {
  // Counts older than this at a cycle's end missed an interval: one 1 s counts interval, plus
  // the second a counts cycle may take before it starts again.
  static constexpr double kFreshSeconds = 2.0;
  double oldest_seconds = 0;     // the oldest counts seen at any cycle
  std::size_t samples = 0;       // cycles sampled
  std::size_t stale_cycles = 0;  // cycles where some queue's counts were older than kFresh
  std::size_t stale_queues = 0;  // queue-cycles without fresh counts

  void Sample(const std::map<std::string, monitor::QueueMetrics>& queues, TimePoint now) {
    ++samples;
    std::size_t stale = 0;
    for (const auto& [name, m] : queues) {
      if (!m.counts_sampled_at) {
        ++stale;
        continue;
      }
      const double age = SecondsBetween(*m.counts_sampled_at, now);
      oldest_seconds = std::max(oldest_seconds, age);
      if (age > kFreshSeconds) ++stale;
    }
    stale_queues += stale;
    stale_cycles += stale > 0 ? 1 : 0;
  }
};

// The times between the starts of the cycles sampled, and the cycles' durations.
struct Lateness {
  std::optional<TimePoint> last_start;
  double longest_gap_seconds = 0;
  double longest_cycle_seconds = 0;
  std::size_t late_cycles = 0;  // started later than kInterval + kLateTolerance after the previous

  // After a cycle that started at `started`; `measure`: it is in the measured window.
  void Sample(TimePoint started, TimePoint now, bool measure) {
    if (measure && last_start) {
      const double gap = SecondsBetween(*last_start, started);
      longest_gap_seconds = std::max(longest_gap_seconds, gap);
      if (gap > (kInterval + kLateTolerance).count()) ++late_cycles;
      longest_cycle_seconds = std::max(longest_cycle_seconds, SecondsBetween(started, now));
    }
    last_start = started;
  }
};

// `x` as printf's %g writes it: 200, not 200.000000.
std::string Number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// What wrk reported (bench/api_load.lua's done()).
struct WrkFigures {
  double requests = 0;
  double seconds = 0;
  double megabytes = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double errors = 0;         // connect, read, write errors and timeouts (2 s)
  double status_errors = 0;  // answers with a status of 400 or more
};

// Runs wrk against the API on `port` for `seconds` at most `rate` requests a second, echoing its
// report; nullopt when it did not run or its report lacks the script's line.
std::optional<WrkFigures> RunWrk(int port, double rate, double seconds, int services) {
  // 2 threads of 4 connections: a slow answer (the list, /metrics) holds one connection, not
  // the schedule.
  constexpr int kThreads = 2;
  constexpr int kConnections = 8;
  const std::string command =
      "wrk -t " + std::to_string(kThreads) + " -c " + std::to_string(kConnections) + " -d " +
      std::to_string(static_cast<int>(seconds)) + "s --latency -s " +
      MAIEV_BENCH_DIR "/api_load.lua http://127.0.0.1:" + std::to_string(port) + " -- " +
      Number(rate) + " " + std::to_string(kThreads) + " " + std::to_string(services) + " 2>&1";
  std::cout << "$ " << command << "\n";
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return std::nullopt;
  std::optional<WrkFigures> figures;
  char line[512];
  while (std::fgets(line, sizeof line, out) != nullptr) {
    std::cout << "  " << line;
    double requests = 0, us = 0, bytes = 0, p50 = 0, p99 = 0, max = 0, errors = 0, status = 0;
    if (std::sscanf(line,
                    "maiev-wrk requests=%lf duration_us=%lf bytes=%lf p50_us=%lf p99_us=%lf "
                    "max_us=%lf errors=%lf status_4xx_5xx=%lf",
                    &requests, &us, &bytes, &p50, &p99, &max, &errors, &status) == 8) {
      figures = WrkFigures{requests,  us / 1e6,  bytes / 1e6, p50 / 1e3,
                           p99 / 1e3, max / 1e3, errors,      status};
    }
  }
  if (pclose(out) != 0) return std::nullopt;
  return figures;
}

std::string ScaleConfig(const std::string& queue) {
  // The producer fixture's rules, on this queue.
  return R"json({"min": 1, "max": 1, "scale": {
    "resources": [{"name": "rmq", "monitorer": "monitorer_rabbitmq", "identifier": ")json" +
         queue + R"json("}],
    "rules": [
      {"name": "latency_ok", "expression": "rmq:waiting == 0 or rmq:latency < 0.200"},
      {"name": "latency_fail", "expression": "rmq:latency > 5"},
      {"name": "panic",
       "expression": "rmq:latency > 10 or (rules:latency_fail and rules:latency_fail:since > \"25s\")"},
      {"name": "stable_latency",
       "expression": "rules:latency_ok and rules:latency_ok:since > \"30s\""}],
    "scale_up": "rules:panic or (rmq:consumers == 0 and rmq:waiting > 0) or not rmq:exists",
    "scale_down": "rules:stable_latency and rmq:consumers > 0"}})json";
}

// The swarm of the bench: `count` replicated services, "svc<i>" named "bench-<i>", each with the
// scale config of queue i in its label. Made on each call, as the Engine would send them, so
// that the memory measured is maiev's alone (a stored copy of 10,000 services and their labels
// is about 11 MB). Runs no upgrades and streams no events.
class GeneratedSwarm final : public orchestrator::Orchestrator {
 public:
  explicit GeneratedSwarm(int count) : replicas_(static_cast<std::size_t>(count), 1) {}

  Result<std::vector<orchestrator::ServiceInfo>> ListServices() override {
    std::vector<orchestrator::ServiceInfo> services;
    services.reserve(replicas_.size());
    for (std::size_t i = 0; i < replicas_.size(); ++i) services.push_back(Service(i));
    return services;
  }
  // As the in-memory fake orchestrator says of services without tasks: none run.
  Result<std::map<std::string, std::uint64_t>> RunningTaskCounts() override {
    return std::map<std::string, std::uint64_t>{};
  }
  Result<orchestrator::ServiceInfo> InspectService(std::string_view id_or_name) override {
    const auto i = IndexOf(id_or_name);
    if (!i) return NotFound(id_or_name);
    return Service(*i);
  }
  Status SetReplicas(std::string_view id_or_name, std::uint64_t replicas) override {
    const auto i = IndexOf(id_or_name);
    if (!i) return NotFound(id_or_name);
    std::lock_guard lock(mutex_);
    replicas_[*i] = replicas;
    return {};
  }
  Status UpdateImage(std::string_view, std::string_view,
                     const std::map<std::string, std::string>&) override {
    return Fail("invalid", "the bench's swarm runs no upgrades");
  }
  Result<orchestrator::UpdateStatus> GetUpdateStatus(std::string_view id_or_name) override {
    if (!IndexOf(id_or_name)) return NotFound(id_or_name);
    return orchestrator::UpdateStatus{};
  }
  Result<std::optional<orchestrator::ScaleConfigSource>> ReadScaleConfigSource(
      const orchestrator::ServiceInfo& service) override {
    auto label = service.labels.find(std::string(orchestrator::kScaleConfigLabel));
    if (label == service.labels.end()) return std::optional<orchestrator::ScaleConfigSource>();
    return std::optional<orchestrator::ScaleConfigSource>(orchestrator::ScaleConfigSource{
        label->second, orchestrator::ScaleConfigOrigin::kServiceLabel, {}});
  }
  Status WatchEvents(const orchestrator::WatchOptions&, const orchestrator::ServiceEventHandler&,
                     std::stop_token) override {
    return Fail("invalid", "the bench's swarm streams no events");
  }

 private:
  static Unexpected<Error> NotFound(std::string_view id_or_name) {
    return Fail("not_found", "no service " + std::string(id_or_name));
  }
  // The index of "svc<i>" or "bench-<i>"; nullopt for any other name.
  std::optional<std::size_t> IndexOf(std::string_view id_or_name) const {
    for (std::string_view prefix : {"svc", "bench-"}) {
      if (!id_or_name.starts_with(prefix)) continue;
      const std::string_view digits = id_or_name.substr(prefix.size());
      std::size_t i = 0;
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
      if (error == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
          i < replicas_.size()) {
        return i;
      }
    }
    return std::nullopt;
  }
  orchestrator::ServiceInfo Service(std::size_t i) const {
    orchestrator::ServiceInfo s;
    s.id = "svc" + std::to_string(i);
    s.name = "bench-" + std::to_string(i);
    {
      std::lock_guard lock(mutex_);
      s.replicas = replicas_[i];
    }
    s.labels[std::string(orchestrator::kScaleConfigLabel)] =
        ScaleConfig(QueueName(static_cast<int>(i)));
    return s;
  }

  mutable std::mutex mutex_;
  std::vector<std::uint64_t> replicas_;  // by index; guarded by mutex_
};

}  // namespace

int main(int argc, char** argv) {
  int queues = 1000;
  double seconds = 60;
  double api_rate = 0;  // requests a second; 0: the API is served but not loaded
  bool usage = argc % 2 == 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--queues") == 0) {
      queues = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--seconds") == 0) {
      seconds = std::atof(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--api-load") == 0) {
      api_rate = std::atof(argv[i + 1]);
    } else {
      usage = true;
    }
  }
  if (usage || queues <= 0 || seconds < 1 || api_rate < 0) {
    std::cerr << "usage: daemon_load_bench [--queues N>0] [--seconds S>=1] [--api-load RATE]\n";
    return 2;
  }
  TuneAllocator();  // as `maiev serve` does
  auto config = monitor::RabbitMqConfig::FromEnvironment();
  if (!config.ok()) {
    std::cerr << config.error().message << "\n";
    return 2;
  }
  if (!ForEachQueue(*config, queues, false)) return 1;

  SystemClock clock;
  GeneratedSwarm docker(queues);
  daemon::ServeOptions options;
  options.store_path = (std::filesystem::temp_directory_path() / "maiev-load-bench.db").string();
  options.rabbitmq = *config;
  options.api.port = 0;  // a free loopback port
  std::filesystem::remove(options.store_path);
  auto opened = store::SqliteStore::Open(options.store_path);
  if (!opened.ok()) {
    std::cerr << opened.error().message << "\n";
    return 1;
  }
  store::StoreHealth store(**opened, clock);
  api::EventHub event_hub;
  monitor::RabbitMqMonitor monitor(*config, clock);
  control::Autoscaler autoscaler(docker, monitor, store, clock, &event_hub);
  api::DockerReadiness docker_readiness("the bench's in-memory orchestrator");
  const Status discovered = autoscaler.Discover();
  docker_readiness.Listed(discovered, clock.Now());
  if (!discovered.ok()) {
    std::cerr << discovered.error().message << "\n";
    return 1;
  }
  daemon::ServedApi api(options, {.autoscaler = autoscaler,
                                  .store = store,
                                  .rabbitmq = monitor,
                                  .docker = docker_readiness,
                                  .events = event_hub});
  if (auto st = api.Start(); !st.ok()) {
    std::cerr << st.error().message << "\n";
    return 1;
  }
  monitor.Start();

  // After each cycle of the measured window: the oldest counts of any queue (a queue without
  // fresh counts counts as stale), so "fresh each interval" is checked at every cycle, not only
  // at the end; and how long after the previous one it started. Both only touched by the loop's
  // thread until it is joined.
  std::atomic<bool> measuring{false};
  Freshness freshness;
  Lateness lateness;
  std::jthread cycles([&](const std::stop_token& stop) {
    daemon::RunCycles(autoscaler, clock, kInterval, stop, [&](TimePoint started) {
      const bool measure = measuring;
      lateness.Sample(started, clock.Now(), measure);
      if (measure) freshness.Sample(monitor.Snapshot(clock.Now()), clock.Now());
    });
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(kWarmUp.count()));
  measuring = true;
  const double cpu0 = CpuSeconds();
  const auto wall0 = std::chrono::steady_clock::now();
  std::optional<WrkFigures> wrk;
  if (api_rate > 0) {
    wrk = RunWrk(api.port(), api_rate, seconds, queues);
  } else {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
  measuring = false;
  const double cpu = CpuSeconds() - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  cycles.request_stop();
  cycles.join();

  std::size_t with_metrics = 0;
  for (const auto& [queue, m] : monitor.Snapshot(clock.Now())) with_metrics += m.HasAnyMetric();
  api.Stop();
  monitor.Stop();
  ForEachQueue(*config, queues, true);
  std::filesystem::remove(options.store_path);

  std::printf("queues monitored:        %d (%zu with fresh metrics at the end)\n", queues,
              with_metrics);
  std::printf("measured window:         %.1f s after %.0f s warm-up\n", wall, kWarmUp.count());
  std::printf(
      "CPU:                     %.2f %% of one core (maiev's threads, the API's included)\n",
      100.0 * cpu / wall);
  std::printf("RSS now / peak:          %.1f MiB / %.1f MiB\n", MemoryMiB("VmRSS"),
              MemoryMiB("VmHWM"));
  std::printf(
      "counts freshness:        oldest %.2f s over %zu cycles; %zu cycles with counts "
      "older than %.0f s (%zu queue-cycles)\n",
      freshness.oldest_seconds, freshness.samples, freshness.stale_cycles, Freshness::kFreshSeconds,
      freshness.stale_queues);
  const auto stats = autoscaler.cycle_stats();
  std::printf(
      "autoscaler cycle:        %.2f ms mean over %llu cycles, longest %.1f ms in the window\n",
      1000.0 * stats.seconds / static_cast<double>(std::max<std::uint64_t>(stats.cycles, 1)),
      static_cast<unsigned long long>(stats.cycles), 1000.0 * lateness.longest_cycle_seconds);
  std::printf(
      "cycle starts:            longest %.3f s apart (interval %.0f s); %zu started later than "
      "%.2f s after the previous\n",
      lateness.longest_gap_seconds, kInterval.count(), lateness.late_cycles,
      (kInterval + kLateTolerance).count());
  bool api_ok = true;
  if (api_rate > 0) {
    if (!wrk) {
      std::printf("API load:                wrk did not run or did not report\n");
      api_ok = false;
    } else {
      std::printf(
          "API load:                %.1f requests/s achieved (at most %.0f asked) over %.1f s, "
          "%.1f MB\n",
          wrk->requests / wrk->seconds, api_rate, wrk->seconds, wrk->megabytes);
      std::printf("API latency:             p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", wrk->p50_ms,
                  wrk->p99_ms, wrk->max_ms);
      std::printf("API failures:            %.0f socket errors or timeouts, %.0f status >= 400\n",
                  wrk->errors, wrk->status_errors);
      api_ok = wrk->errors == 0 && wrk->status_errors == 0 && wrk->requests > 0;
    }
  }
  const bool fresh =
      with_metrics == static_cast<std::size_t>(queues) && freshness.stale_cycles == 0;
  return fresh && lateness.late_cycles == 0 && api_ok ? 0 : 1;
}
