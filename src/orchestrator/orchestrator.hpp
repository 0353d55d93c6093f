// The orchestrator role: what maiev asks of Docker Swarm (SPEC §4, §5 Execution, §6).
//
// maiev never starts or stops containers for a service: it reads services, asks for a replica
// count or an image, and follows the service event stream. Implementations:
// DockerEngineOrchestrator (Engine API) and FakeOrchestrator (in-memory, for tests).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace maiev::orchestrator {

// kJob: ReplicatedJob / GlobalJob services (run to completion): listed, never scaled.
enum class ServiceMode { kReplicated, kGlobal, kJob };

// Swarm's UpdateStatus.State. kNone: the service has never been updated (no UpdateStatus).
enum class UpdateState {
  kNone,
  kUpdating,
  kPaused,
  kCompleted,
  kRollbackStarted,
  kRollbackPaused,
  kRollbackCompleted,
  kUnknown,  // a state this version of maiev does not know; treated as not completed
};

std::string_view ToString(UpdateState state);
std::string_view ToString(ServiceMode mode);

struct UpdateStatus {
  UpdateState state = UpdateState::kNone;
  std::string message;  // Swarm's explanation, e.g. "update completed"; may be empty
  std::optional<TimePoint> started_at = std::nullopt;    // UpdateStatus.StartedAt
  std::optional<TimePoint> completed_at = std::nullopt;  // UpdateStatus.CompletedAt

  // A rolling update that will not complete by itself: paused or any rollback_* state.
  bool Failed() const;
};

// Spec.UpdateConfig, with Docker's defaults for what the spec leaves out.
struct UpdateConfig {
  std::uint64_t parallelism = 1;         // tasks updated at once; 0: all at once
  Duration delay{0.0};                   // between batches
  Duration monitor{5.0};                 // how long a new task is watched for failure
  std::string failure_action = "pause";  // "pause", "continue" or "rollback"

  friend bool operator==(const UpdateConfig&, const UpdateConfig&) = default;
};

struct ServiceInfo {
  std::string id;
  std::string name;
  std::uint64_t version = 0;  // Version.Index: optimistic-concurrency token for updates
  ServiceMode mode = ServiceMode::kReplicated;
  std::uint64_t replicas = 0;  // desired replicas; 0 for global services
  std::string image;           // Spec.TaskTemplate.ContainerSpec.Image, as written in the spec
  std::map<std::string, std::string> labels;  // service labels (Spec.Labels)
  UpdateStatus update_status;
  UpdateConfig update_config;
  std::optional<TimePoint> created_at;
  std::optional<TimePoint> updated_at;
  // Tasks whose desired and observed state are both "running"; nullopt when not read.
  std::optional<std::uint64_t> running_tasks;
  // The same tasks by the image their spec names (Spec.ContainerSpec.Image); read with
  // running_tasks.
  std::map<std::string, std::uint64_t> running_images;
};

// Where a service's scale config came from (SPEC §1, first match wins).
enum class ScaleConfigOrigin { kServiceLabel, kImageLabel, kScaleInfoCommand };

std::string_view ToString(ScaleConfigOrigin origin);

// The label key a service or an image carries its scale config under.
inline constexpr std::string_view kScaleConfigLabel = "maiev.scale_config";

// The raw scale-config JSON text (unvalidated: src/config validates it) and its origin.
struct ScaleConfigSource {
  std::string json;
  ScaleConfigOrigin origin = ScaleConfigOrigin::kServiceLabel;
  std::string image_id;  // the local image ID it was read from; empty for a service label
};

enum class ServiceEventKind { kCreated, kUpdated, kRemoved };

std::string_view ToString(ServiceEventKind kind);

struct ServiceEvent {
  ServiceEventKind kind = ServiceEventKind::kUpdated;
  std::string service_id;
  std::string service_name;  // may be empty when the engine does not report it
  // As the engine stamps it: the service's CreatedAt (create) or UpdatedAt (update, remove), so
  // not necessarily increasing. time_nano: the same in ns since the epoch.
  TimePoint time;
  std::int64_t time_nano = 0;
  std::map<std::string, std::string> attributes;  // e.g. "replicas.new", "image.old"
};

using ServiceEventHandler = std::function<void(const ServiceEvent&)>;

struct WatchOptions {
  // Replay events from this time on (the engine keeps a bounded backlog); nullopt: from now.
  std::optional<TimePoint> since;
  // Called with true each time the stream is (re)established and false when it drops, from the
  // watching thread. Optional. A resumed stream replays what the engine still holds, but the
  // engine's replay can miss a remove (stamped with the service's last update time), so a
  // consumer should resynchronise with ListServices on every (re)connection.
  std::function<void(bool connected)> on_stream_state;
  // Called with the reason each time the stream failed or could not be (re)established, from the
  // watching thread. Optional.
  std::function<void(const Error& error)> on_stream_error;
};

// Thread-safety: implementations are thread-safe; WatchEvents blocks its caller and may run on
// its own thread while other methods are called from others.
class Orchestrator {
 public:
  virtual ~Orchestrator() = default;

  // Every Swarm service, with running task counts.
  virtual Result<std::vector<ServiceInfo>> ListServices() = 0;
  // How many tasks of each service run (desired and observed state "running"), by service ID; a
  // service absent runs none. Cheaper than ListServices: no service spec is read.
  virtual Result<std::map<std::string, std::uint64_t>> RunningTaskCounts() = 0;
  // One service by ID or name, with its running task count. Error code "not_found" if absent.
  virtual Result<ServiceInfo> InspectService(std::string_view id_or_name) = 0;

  // Sets the desired replica count of a replicated service, keeping the rest of its spec.
  // Error code "invalid" for a global service. Returns once the engine accepted the update.
  virtual Status SetReplicas(std::string_view id_or_name, std::uint64_t replicas) = 0;

  // Requests a rolling update to `image` (pinned by digest, e.g. "repo:tag@sha256:…"), governed
  // by the service's own UpdateConfig, setting `labels` on the service in the same update (so
  // what maiev records on the swarm about the update is there exactly when the update is).
  // Returns once the update is requested; follow progress with GetUpdateStatus.
  virtual Status UpdateImage(std::string_view id_or_name, std::string_view image,
                             const std::map<std::string, std::string>& labels) = 0;
  virtual Result<UpdateStatus> GetUpdateStatus(std::string_view id_or_name) = 0;

  // The service's raw scale config and where it came from, or nullopt when it declares none
  // (or its image is not available locally).
  virtual Result<std::optional<ScaleConfigSource>> ReadScaleConfigSource(
      const ServiceInfo& service) = 0;

  // Streams service events to `on_event` until `stop` is requested, reconnecting when the
  // stream drops; returns ok when stopped. Errors only for unusable arguments or configuration.
  virtual Status WatchEvents(const WatchOptions& options, const ServiceEventHandler& on_event,
                             std::stop_token stop) = 0;
};

}  // namespace maiev::orchestrator
