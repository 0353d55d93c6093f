// maiev-worker: the test workload's consumer. Consumes WORKER_QUEUE with manual acknowledgement,
// "works" WORKER_WORK_MS per message, reconnects with backoff when the broker goes away and exits
// cleanly on SIGTERM/SIGINT. `maiev-worker scale_info` prints the image's scale config (the
// original maiev's convention). Statically linked so it runs in a FROM-scratch image.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "tools/amqp_session.hpp"

namespace {

using maiev::Fail;
using maiev::Result;
using maiev::Status;
using maiev::tools::AmqpSession;
using maiev::tools::AmqpSettings;
using std::chrono::milliseconds;

constexpr milliseconds kInitialBackoff{200};
constexpr milliseconds kMaxBackoff{2000};
constexpr milliseconds kPollInterval{200};  // how often the consume loop looks at the stop flag
constexpr int kProgressEvery = 100;         // messages between progress lines
constexpr const char* kDefaultScaleConfigFile = "/etc/maiev/scale-config.json";

// Set by the signal handler, read by the loops: the only state a handler may touch.
volatile std::sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

struct WorkerConfig {
  std::string queue = "maiev-demo";
  milliseconds work{100};
  int prefetch = 1;
};

Result<long> EnvNumber(const char* name, long fallback, long min, long max) {
  const char* raw = std::getenv(name);
  if (raw == nullptr || *raw == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(raw, &end, 10);
  if (end == raw || *end != '\0' || value < min || value > max) {
    return Fail("invalid", std::string(name) + ": '" + raw + "' is not an integer in [" +
                               std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return value;
}

Result<WorkerConfig> ConfigFromEnvironment() {
  WorkerConfig config;
  if (const char* queue = std::getenv("WORKER_QUEUE"); queue != nullptr && *queue != '\0') {
    config.queue = queue;
  }
  auto work = EnvNumber("WORKER_WORK_MS", config.work.count(), 0, 3'600'000);
  if (!work) return Fail(work.error().code, work.error().message);
  config.work = milliseconds{*work};
  auto prefetch = EnvNumber("WORKER_PREFETCH", config.prefetch, 1, 65535);
  if (!prefetch) return Fail(prefetch.error().code, prefetch.error().message);
  config.prefetch = static_cast<int>(*prefetch);
  return config;
}

// Sleeps up to `d`, returning early when a stop was requested.
void SleepUnlessStopped(milliseconds d) {
  for (milliseconds left = d; left.count() > 0 && g_stop == 0; left -= kPollInterval) {
    std::this_thread::sleep_for(std::min(left, kPollInterval));
  }
}

// Inline JSON from MAIEV_SCALE_CONFIG, else the file WORKER_SCALE_CONFIG_FILE (default: the one
// baked into the image).
int PrintScaleInfo() {
  if (const char* inline_json = std::getenv("MAIEV_SCALE_CONFIG"); inline_json != nullptr) {
    std::cout << inline_json << "\n";
    return 0;
  }
  const char* path = std::getenv("WORKER_SCALE_CONFIG_FILE");
  if (path == nullptr || *path == '\0') path = kDefaultScaleConfigFile;
  std::ifstream in(path);
  if (!in) {
    std::cerr << "worker: no scale config: MAIEV_SCALE_CONFIG is unset and " << path
              << " cannot be read\n";
    return 1;
  }
  std::ostringstream json;
  json << in.rdbuf();
  std::cout << json.str();
  return 0;
}

// Consumes until a stop is requested (ok) or the session fails (error).
Status ConsumeUntilStopped(AmqpSession& session, const WorkerConfig& config, long& processed) {
  if (Status s = session.DeclareQueue(config.queue); !s) return s;
  if (Status s = session.SetPrefetch(static_cast<std::uint16_t>(config.prefetch)); !s) return s;
  if (Status s = session.Consume(config.queue); !s) return s;
  std::cerr << "worker: consuming " << config.queue << " (work " << config.work.count()
            << " ms, prefetch " << config.prefetch << ")\n";
  while (g_stop == 0) {
    auto delivery = session.Next(kPollInterval);
    if (!delivery) return Fail(delivery.error().code, delivery.error().message);
    if (!delivery->has_value()) continue;
    std::this_thread::sleep_for(config.work);
    if (Status s = session.Ack((*delivery)->delivery_tag); !s) return s;
    if (++processed % kProgressEvery == 0) std::cerr << "worker: processed " << processed << "\n";
  }
  return {};
}

int Run() {
  auto settings = AmqpSettings::FromEnvironment();
  auto config = ConfigFromEnvironment();
  if (!settings || !config) {
    std::cerr << "worker: " << (!settings ? settings.error() : config.error()).message << "\n";
    return 2;
  }
  long processed = 0;
  milliseconds backoff = kInitialBackoff;
  while (g_stop == 0) {
    auto session = AmqpSession::Open(*settings);
    if (session) {
      std::cerr << "worker: connected to " << settings->Describe() << "\n";
      backoff = kInitialBackoff;
      Status status = ConsumeUntilStopped(**session, *config, processed);
      if (status) break;
      std::cerr << "worker: " << status.error().message << "\n";
    } else {
      std::cerr << "worker: " << session.error().message << "\n";
    }
    std::cerr << "worker: reconnecting in " << backoff.count() << " ms\n";
    SleepUnlessStopped(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  std::cerr << "worker: stopping after " << processed << " messages\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "scale_info") return PrintScaleInfo();
  if (argc != 1) {
    std::cerr << "usage: " << argv[0] << " [scale_info]\n"
              << "environment: RABBITMQ_HOST RABBITMQ_PORT RABBITMQ_USER RABBITMQ_PASSWORD "
                 "RABBITMQ_VHOST WORKER_QUEUE WORKER_WORK_MS WORKER_PREFETCH\n";
    return 2;
  }
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  return Run();
}
