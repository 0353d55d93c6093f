// maiev's own cost while monitoring many queues: the real RabbitMQ monitor (AMQP counts every
// second, one paginated management listing every 5 s) and the autoscaler evaluating one service
// per queue every second, against the stack's RabbitMQ. The orchestrator is the in-memory fake:
// a 2-core machine cannot host 1,000 Swarm services, and the Engine is only called on a change.
//
//   maiev_daemon_load_bench [--queues N] [--seconds S]
// Prints resident memory (now and peak) and CPU use (share of one core) over the measured window.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "control/autoscaler.hpp"
#include "monitor/rabbitmq_monitor.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace maiev;

constexpr Duration kWarmUp{10.0};

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

}  // namespace

int main(int argc, char** argv) {
  int queues = 1000;
  double seconds = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--queues") == 0) queues = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  }
  if (queues <= 0 || seconds <= 0) {
    std::cerr << "usage: maiev_daemon_load_bench [--queues N>0] [--seconds S>0]\n";
    return 2;
  }
  auto config = monitor::RabbitMqConfig::FromEnvironment();
  if (!config.ok()) {
    std::cerr << config.error().message << "\n";
    return 2;
  }
  if (!ForEachQueue(*config, queues, false)) return 1;

  SystemClock clock;
  orchestrator::FakeOrchestrator docker;
  for (int i = 0; i < queues; ++i) {
    orchestrator::ServiceInfo s;
    s.id = "svc" + std::to_string(i);
    s.name = "bench-" + std::to_string(i);
    s.replicas = 1;
    s.labels[std::string(orchestrator::kScaleConfigLabel)] = ScaleConfig(QueueName(i));
    docker.PutService(s);
  }
  const auto store_path = std::filesystem::temp_directory_path() / "maiev-load-bench.db";
  std::filesystem::remove(store_path);
  auto store = store::SqliteStore::Open(store_path.string());
  if (!store.ok()) {
    std::cerr << store.error().message << "\n";
    return 1;
  }
  monitor::RabbitMqMonitor monitor(*config, clock);
  control::Autoscaler autoscaler(docker, monitor, **store, clock);
  if (auto st = autoscaler.Discover(); !st.ok()) {
    std::cerr << st.error().message << "\n";
    return 1;
  }
  monitor.Start();

  // After each cycle of the measured window: the oldest counts of any queue (a queue without
  // fresh counts counts as stale), so "fresh each interval" is checked at every cycle, not only
  // at the end.
  Freshness freshness;
  auto run_for = [&](Duration d, bool measure) {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    while (std::chrono::steady_clock::now() < end) {
      autoscaler.RunCycle();
      if (measure) freshness.Sample(monitor.Snapshot(clock.Now()), clock.Now());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  };
  run_for(kWarmUp, false);
  const double cpu0 = CpuSeconds();
  const auto wall0 = std::chrono::steady_clock::now();
  run_for(Duration{seconds}, true);
  const double cpu = CpuSeconds() - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  std::size_t with_metrics = 0;
  for (const auto& [queue, m] : monitor.Snapshot(clock.Now())) with_metrics += m.HasAnyMetric();
  monitor.Stop();
  ForEachQueue(*config, queues, true);
  std::filesystem::remove(store_path);

  std::printf("queues monitored:        %d (%zu with fresh metrics at the end)\n", queues,
              with_metrics);
  std::printf("measured window:         %.1f s after %.0f s warm-up\n", wall, kWarmUp.count());
  std::printf("CPU:                     %.2f %% of one core\n", 100.0 * cpu / wall);
  std::printf("RSS now / peak:          %.1f MiB / %.1f MiB\n", MemoryMiB("VmRSS"),
              MemoryMiB("VmHWM"));
  std::printf(
      "counts freshness:        oldest %.2f s over %zu cycles; %zu cycles with counts "
      "older than %.0f s (%zu queue-cycles)\n",
      freshness.oldest_seconds, freshness.samples, freshness.stale_cycles, Freshness::kFreshSeconds,
      freshness.stale_queues);
  const auto cycles = autoscaler.cycle_stats();
  std::printf(
      "autoscaler cycle:        %.2f ms mean over %llu cycles\n",
      1000.0 * cycles.seconds / static_cast<double>(std::max<std::uint64_t>(cycles.cycles, 1)),
      static_cast<unsigned long long>(cycles.cycles));
  return with_metrics == static_cast<std::size_t>(queues) && freshness.stale_cycles == 0 ? 0 : 1;
}
