// The Orchestrator role over the Docker Engine API (v1.30–v1.41), through libcurl.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/backoff.hpp"
#include "common/clock.hpp"
#include "orchestrator/docker_endpoint.hpp"
#include "orchestrator/engine_transport.hpp"
#include "orchestrator/engine_wire.hpp"
#include "orchestrator/lease_store.hpp"
#include "orchestrator/orchestrator.hpp"
#include "orchestrator/outage_log.hpp"

namespace maiev::orchestrator {

// Named timeouts and retry policies of every Engine API call.
inline constexpr std::chrono::milliseconds kEngineConnectTimeout{3'000};
inline constexpr std::chrono::milliseconds kEngineRequestTimeout{15'000};
// Create + start + wait + logs of one `scale_info` container.
inline constexpr std::chrono::milliseconds kScaleInfoTimeout{30'000};
// GETs are idempotent: retried on transport errors and 5xx.
inline constexpr BackoffPolicy kEngineGetRetry{3, std::chrono::milliseconds{200},
                                               std::chrono::milliseconds{1'000}};
// A service update that lost a race with another writer is re-read and retried.
inline constexpr BackoffPolicy kServiceUpdateConflictRetry{5, std::chrono::milliseconds{50},
                                                           std::chrono::milliseconds{800}};
// Reconnecting the event stream: unbounded attempts, this backoff between them.
inline constexpr BackoffPolicy kEventStreamReconnect{0, std::chrono::milliseconds{250},
                                                     std::chrono::milliseconds{10'000}};

struct DockerEngineOptions {
  std::chrono::milliseconds connect_timeout = kEngineConnectTimeout;
  std::chrono::milliseconds request_timeout = kEngineRequestTimeout;
  std::chrono::milliseconds scale_info_timeout = kScaleInfoTimeout;
  BackoffPolicy get_retry = kEngineGetRetry;
  BackoffPolicy update_conflict_retry = kServiceUpdateConflictRetry;
  BackoffPolicy event_reconnect = kEventStreamReconnect;
};

// Thread-safe. The API version is negotiated (GET /version) on first use and kept; a failed
// negotiation is retried on the next call. Scale configs read from an image (label or
// `scale_info`) are cached in memory per image ID, guarded by cache_mutex_; at most one
// `scale_info` container runs at a time (scale_info_mutex_).
class DockerEngineOrchestrator final : public Orchestrator, public LeaseStore {
 public:
  DockerEngineOrchestrator(DockerEndpoint endpoint, const Clock& clock,
                           DockerEngineOptions options = {});

  Result<std::vector<ServiceInfo>> ListServices() override;
  Result<std::map<std::string, std::uint64_t>> RunningTaskCounts() override;
  Result<ServiceInfo> InspectService(std::string_view id_or_name) override;
  Status SetReplicas(std::string_view id_or_name, std::uint64_t replicas) override;
  Status UpdateImage(std::string_view id_or_name, std::string_view image,
                     const std::map<std::string, std::string>& labels) override;
  Result<UpdateStatus> GetUpdateStatus(std::string_view id_or_name) override;
  Result<std::optional<ScaleConfigSource>> ReadScaleConfigSource(
      const ServiceInfo& service) override;
  Status WatchEvents(const WatchOptions& options, const ServiceEventHandler& on_event,
                     std::stop_token stop) override;

  // The lease is a Swarm config's labels (orchestrator/lease_store.hpp).
  Result<std::optional<StoredLease>> ReadLease(std::string_view name) override;
  Status CreateLease(std::string_view name, const LeaseRecord& record) override;
  Status UpdateLease(std::string_view name, const StoredLease& lease,
                     const LeaseRecord& record) override;

  // "1.41" etc.: the negotiated API version.
  Result<std::string> ApiVersion();
  // How many `scale_info` containers were run (cache misses), for tests and metrics.
  std::uint64_t scale_info_runs() const { return scale_info_runs_.load(); }
  // How many update attempts were rejected as out of sequence and retried.
  std::uint64_t update_conflicts() const { return update_conflicts_.load(); }

 private:
  using SpecMutation = std::function<Result<SpecUpdate>(std::string_view service_body)>;

  Result<std::string> Versioned(std::string_view path);
  Result<HttpResponse> GetOk(std::string_view path, std::string_view what);
  Result<std::string> InspectBody(std::string_view id_or_name);
  Status UpdateSpec(std::string_view id_or_name, std::string_view what, const SpecMutation& mutate);
  Result<std::optional<ScaleConfigSource>> ReadFromImage(const ServiceInfo& service);
  Result<std::optional<ScaleConfigSource>> RunScaleInfo(const ServiceInfo& service,
                                                        const std::string& image_id);
  Result<std::optional<ScaleConfigSource>> RunScaleInfoContainer(const ServiceInfo& service,
                                                                 const std::string& image_id,
                                                                 const std::string& container);

  EngineTransport transport_;
  const Clock& clock_;
  const DockerEngineOptions options_;

  std::mutex version_mutex_;
  std::optional<std::string> api_version_;  // guarded by version_mutex_

  std::mutex cache_mutex_;
  // Image ID → its scale config (nullopt: the image declares none). Guarded by cache_mutex_.
  std::map<std::string, std::optional<ScaleConfigSource>> image_cache_;
  std::mutex scale_info_mutex_;  // serialises scale_info runs, so one run per image ID

  std::atomic<std::uint64_t> scale_info_runs_{0};
  std::atomic<std::uint64_t> update_conflicts_{0};
};

}  // namespace maiev::orchestrator
