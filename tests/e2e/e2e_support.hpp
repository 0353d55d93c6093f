// What the end-to-end and fault tests share beyond maiev_process.hpp: worker services deployed
// on the stack's swarm (each with its queue, removed at the end), scale configs, load, and
// reading what maiev and Docker say of a service.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "e2e/maiev_process.hpp"
#include "support/stack_test_support.hpp"

namespace maiev::e2e_testing {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

inline constexpr milliseconds kSampleInterval{200};
inline constexpr seconds kServiceStartDeadline{60};
inline constexpr seconds kDiscoveryDeadline{30};
inline constexpr seconds kServiceStopDeadline{20};

// ---------------------------------------------------------------------------------------------
// Processes and shell commands

inline double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ

inline bool HasConsumers(const std::string& queue, int count) {
  const json q = QueueInfo(queue);
  return q.is_object() && q.value("consumers", 0) >= count;
}

inline CommandResult Publish(const std::string& queue, int messages) {
  return Shell(std::string("RABBITMQ_HOST=127.0.0.1 RABBITMQ_PORT=5672 ") + MAIEV_LOADGEN +
               " --queue " + Quote(queue) + " --burst " + std::to_string(messages));
}

// ---------------------------------------------------------------------------------------------
// Images in the stack's registry

inline constexpr const char* kRegistry = "127.0.0.1:5000";

// The scale-config label of a version: fixed size `replicas`, and its dependencies.
inline json VersionLabel(const json& provide, const std::vector<std::string>& require,
                         int replicas = 1) {
  return {{"min", replicas},
          {"max", replicas},
          {"dependencies", {{"provide", provide}, {"require", require}}}};
}

// Builds and pushes `repository:tag` (the worker binary; `broken`: an entrypoint that does not
// exist, so every task fails at once). Returns the error output, empty on success.
inline std::string PushImage(const std::string& repository, const std::string& tag,
                             const json& label, bool broken = false) {
  TempDir context;
  std::filesystem::copy_file(MAIEV_WORKER, context.path() + "/maiev-worker");
  std::ofstream(context.path() + "/Dockerfile")
      << "FROM scratch\nCOPY maiev-worker /maiev-worker\nUSER 65534:65534\n"
      << (broken ? "ENTRYPOINT [\"/not-there\"]\n" : "ENTRYPOINT [\"/maiev-worker\"]\n");
  const std::string image = std::string(kRegistry) + "/" + repository + ":" + tag;
  const CommandResult built = Shell("DOCKER_BUILDKIT=0 " + Docker() + "build -q --label " +
                                    Quote("maiev.scale_config=" + label.dump()) + " -t " + image +
                                    " " + Quote(context.path()));
  if (built.exit_code != 0) return built.output;
  const CommandResult pushed = Shell(Docker() + "push -q " + image);
  return pushed.exit_code == 0 ? "" : pushed.output;
}

// The digest the registry gives `repository:tag`, as Docker resolved it on push.
inline std::string RegistryDigest(const std::string& repository, const std::string& tag) {
  const CommandResult r =
      Shell(Docker() + "image inspect --format " + Quote("{{index .RepoDigests 0}}") + " " +
            kRegistry + "/" + repository + ":" + tag);
  const auto at = r.output.find('@');
  if (r.exit_code != 0 || at == std::string::npos) return "";
  std::string digest = r.output.substr(at + 1);
  while (!digest.empty() && digest.back() == '\n') digest.pop_back();
  return digest;
}

// The registry's notification of a tagged manifest push, as the stack's registry sends it.
inline std::string PushNotification(const std::string& repository, const std::string& tag,
                                    const std::string& digest) {
  const json event = {
      {"id", Unique("event")},
      {"timestamp", "2026-12-01T19:51:20.123456789Z"},
      {"action", "push"},
      {"target",
       {{"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
        {"digest", digest},
        {"repository", repository},
        {"url", std::string("http://") + kRegistry + "/v2/" + repository + "/manifests/" + digest},
        {"tag", tag}}},
      {"request", {{"id", "r1"}, {"host", kRegistry}, {"method", "PUT"}}},
      {"source", {{"addr", "registry:5000"}}}};
  return json{{"events", {event}}}.dump();
}

// ---------------------------------------------------------------------------------------------
// Docker

// `docker`: the CLI of the swarm to ask (the stack's by default).
inline std::optional<int> DesiredReplicas(const std::string& service,
                                          const std::string& docker = Docker()) {
  const CommandResult r = Shell(docker + "service inspect --format " +
                                Quote("{{.Spec.Mode.Replicated.Replicas}}") + " " + service);
  if (r.exit_code != 0) return std::nullopt;
  try {
    return std::stoi(r.output);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

inline bool IsGlobal(const std::string& service) {
  const CommandResult r = Shell(Docker() + "service inspect --format " +
                                Quote("{{if .Spec.Mode.Global}}global{{end}}") + " " + service);
  return r.exit_code == 0 && r.output == "global\n";
}

// `docker service inspect --format FORMAT`, trailing blanks removed; empty when it fails.
inline std::string Inspect(const std::string& service, const std::string& format) {
  const CommandResult r =
      Shell(Docker() + "service inspect --format " + Quote(format) + " " + service);
  std::string out = r.exit_code == 0 ? r.output : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

inline std::string SpecImage(const std::string& service) {
  return Inspect(service, "{{.Spec.TaskTemplate.ContainerSpec.Image}}");
}

// Never updated (no UpdateStatus), or its last rolling update completed.
inline bool Settled(const std::string& update_state) {
  return update_state.empty() || update_state == "completed";
}

// A service of `repository:tag` (one replica, a rolling update rolled back when it fails), removed
// at the end of the test.
class UpgradedService {
 public:
  // `flags`: more `docker service create` flags (labels, replicas, update delay, say).
  UpgradedService(std::string name, const std::string& repository, const std::string& tag,
                  const std::string& flags = "")
      : name_(std::move(name)) {
    created_ = Shell(Docker() + "service create -d -q --name " + name_ + " --replicas 1 " + flags +
                     " --network host --label maiev.test=1 --stop-grace-period 2s" +
                     " --update-failure-action rollback --update-monitor 2s" +
                     " --rollback-monitor 2s -e WORKER_QUEUE=" + name_ +
                     " -e RABBITMQ_HOST=127.0.0.1 -e RABBITMQ_PORT=5672 " + kRegistry + "/" +
                     repository + ":" + tag);
  }
  ~UpgradedService() {
    Shell(Docker() + "service rm " + name_);
    Management("DELETE", "/api/queues/%2F/" + name_);
  }
  UpgradedService(const UpgradedService&) = delete;
  UpgradedService& operator=(const UpgradedService&) = delete;

  bool ok() const { return created_.exit_code == 0; }
  const std::string& error() const { return created_.output; }
  const std::string& name() const { return name_; }

  // Pinned by the registry's digest of `repository:tag`, its update (if any) completed.
  bool Runs(const std::string& repository, const std::string& tag) const {
    const std::string digest = RegistryDigest(repository, tag);
    return !digest.empty() &&
           SpecImage(name_) ==
               std::string(kRegistry) + "/" + repository + ":" + tag + "@" + digest &&
           Settled(Inspect(name_, "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}"));
  }

 private:
  std::string name_;
  CommandResult created_;
};

// What a test deploys: the worker consuming `queue`, with an optional scale-config label.
struct ServiceSpec {
  std::string name;
  std::string queue;
  int replicas = 1;
  bool global = false;
  std::optional<json> scale_config;       // the maiev.scale_config service label
  std::optional<std::string> raw_config;  // the label's text as is (invalid configs)
  std::string image = kWorkerImage;
  int work_ms = 100;
};

// The worker `name` consuming the queue of the same name.
inline ServiceSpec Worker(const std::string& name, int replicas) {
  ServiceSpec spec;
  spec.name = name;
  spec.queue = name;
  spec.replicas = replicas;
  return spec;
}

inline ServiceSpec WithConfig(ServiceSpec spec, json config) {
  spec.scale_config = std::move(config);
  return spec;
}

inline ServiceSpec WithWork(ServiceSpec spec, int work_ms) {
  spec.work_ms = work_ms;
  return spec;
}

// A swarm service and its queue, both removed when the test ends, whatever its outcome.
class ScopedService {
 public:
  explicit ScopedService(ServiceSpec spec) : spec_(std::move(spec)) {
    std::string command = Docker() + "service create -d -q --name " + spec_.name +
                          " --network host --label maiev.test=1 --stop-grace-period 3s" +
                          " -e WORKER_QUEUE=" + Quote(spec_.queue) +
                          " -e WORKER_WORK_MS=" + std::to_string(spec_.work_ms) +
                          " -e RABBITMQ_HOST=127.0.0.1 -e RABBITMQ_PORT=5672";
    command += spec_.global ? std::string(" --mode global")
                            : " --replicas " + std::to_string(spec_.replicas);
    if (spec_.scale_config) {
      command += " --label " + Quote("maiev.scale_config=" + spec_.scale_config->dump());
    } else if (spec_.raw_config) {
      command += " --label " + Quote("maiev.scale_config=" + *spec_.raw_config);
    }
    created_ = Shell(command + " " + spec_.image);
  }
  ~ScopedService() {
    Shell(Docker() + "service rm " + spec_.name);
    // A worker still running would declare the queue again after it is deleted.
    Eventually(kServiceStopDeadline, [&] {
      const CommandResult ps =
          Shell(Docker() + "ps -q --filter label=com.docker.swarm.service.name=" + spec_.name);
      return ps.exit_code == 0 && ps.output.empty();
    });
    Management("DELETE", "/api/queues/%2F/" + spec_.queue);
  }
  ScopedService(const ScopedService&) = delete;
  ScopedService& operator=(const ScopedService&) = delete;

  bool ok() const { return created_.exit_code == 0; }
  const std::string& error() const { return created_.output; }
  const std::string& name() const { return spec_.name; }
  const std::string& queue() const { return spec_.queue; }

 private:
  ServiceSpec spec_;
  CommandResult created_;
};

// ---------------------------------------------------------------------------------------------
// Scale configs

struct Rule {
  std::string name;
  std::string expression;
};

inline json ScaleConfig(const std::string& queue, int min, int max, const std::vector<Rule>& rules,
                        const std::string& scale_up, const std::string& scale_down) {
  json rule_list = json::array();
  for (const auto& rule : rules) {
    rule_list.push_back({{"name", rule.name}, {"expression", rule.expression}});
  }
  return {{"min", min},
          {"max", max},
          {"scale",
           {{"resources",
             json::array(
                 {{{"name", "rmq"}, {"monitorer", "monitorer_rabbitmq"}, {"identifier", queue}}})},
            {"rules", rule_list},
            {"scale_up", scale_up},
            {"scale_down", scale_down}}},
          {"policy", {{"reapply_interval", "1s"}}}};
}

// Up while messages wait, down once the queue has been empty for 5 s.
inline json BacklogConfig(const std::string& queue, int min, int max) {
  return ScaleConfig(queue, min, max,
                     {{"backlog", "rmq:waiting > 0"},
                      {"empty", "rmq:exists and rmq:waiting == 0"},
                      {"empty_long", "rules:empty and rules:empty:since > \"5s\""}},
                     "rules:backlog", "rules:empty_long");
}

inline std::string StateOf(MaievServer& maiev, const std::string& name) {
  auto s = maiev.Service(name);
  return s ? s->value("state", "") : "";
}

// Samples a service's desired replicas (Docker's spec) on a thread of its own until destroyed,
// keeping the extremes, the latest value and every value seen. Thread-safe. `docker` gives the
// CLI to ask at each sample (the stack's by default; another node's once one is lost).
class ReplicaSampler {
 public:
  explicit ReplicaSampler(
      std::string service, std::function<std::string()> docker = [] { return Docker(); })
      : service_(std::move(service)),
        docker_(std::move(docker)),
        thread_([this](std::stop_token stop) { Run(stop); }) {}
  ~ReplicaSampler() {
    thread_.request_stop();
    thread_.join();
  }
  ReplicaSampler(const ReplicaSampler&) = delete;
  ReplicaSampler& operator=(const ReplicaSampler&) = delete;

  int Latest() const { return latest_; }
  int Max() const { return max_; }
  // The smallest value seen since the last call to ResetMin().
  int Min() const { return min_; }
  void ResetMin() { min_ = latest_.load(); }
  int Samples() const { return samples_; }
  std::set<int> Values() const {
    std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  void Run(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      if (auto r = DesiredReplicas(service_, docker_())) {
        latest_ = *r;
        max_ = std::max(max_.load(), *r);
        min_ = std::min(min_.load(), *r);
        ++samples_;
        std::lock_guard lock(mutex_);
        values_.insert(*r);
      }
      std::this_thread::sleep_for(kSampleInterval);
    }
  }

  std::string service_;
  std::function<std::string()> docker_;
  std::atomic<int> latest_{-1};
  std::atomic<int> max_{-1};
  std::atomic<int> min_{1 << 20};
  std::atomic<int> samples_{0};
  mutable std::mutex mutex_;
  std::set<int> values_;
  std::jthread thread_;
};

// True when the API shows fresh metrics for the service's resource `rmq`.
inline bool MetricsPresent(MaievServer& maiev, const std::string& name) {
  auto s = maiev.Service(name);
  if (!s || !s->contains("metrics")) return false;
  const json& rmq = (*s)["metrics"].value("rmq", json());
  return rmq.is_object() && rmq.value("exists", json()).is_boolean();
}

inline std::string LastReason(MaievServer& maiev, const std::string& name) {
  auto s = maiev.Service(name);
  return s ? s->value("last_reason", "") : "";
}

inline std::int64_t LastDecisionId(MaievServer& maiev, const std::string& name) {
  const json decisions = maiev.Decisions(name);
  std::int64_t id = 0;
  for (const auto& d : decisions) id = std::max(id, d.value("id", std::int64_t{0}));
  return id;
}

}  // namespace maiev::e2e_testing
