// The Docker Engine API's wire formats (API v1.41, https://docs.docker.com/engine/api/v1.41/):
// pure functions from response bodies to values and from values to request bodies. No I/O.
// Errors: code "parse" naming the endpoint or service and the field path.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "orchestrator/lease_store.hpp"
#include "orchestrator/orchestrator.hpp"

namespace maiev::orchestrator {

// The API versions maiev speaks: service events need 1.30; 1.41 is what it was written against.
inline constexpr std::string_view kMinApiVersion = "1.30";
inline constexpr std::string_view kMaxApiVersion = "1.41";

// From the body of GET /version: min(server ApiVersion, kMaxApiVersion), e.g. "1.41". Error
// "unsupported" when that is below kMinApiVersion or the server's MinAPIVersion is above it.
Result<std::string> NegotiateApiVersion(std::string_view version_body);

// The engine's error text from an error body ({"message": "..."}), or the body itself.
std::string EngineErrorMessage(std::string_view body);

// Percent-encodes everything except RFC 3986 unreserved characters (for query values).
std::string UrlEncode(std::string_view text);

// An RFC 3339 time as the engine writes it ("2024-05-01T10:20:30.123456789Z"); nullopt for an
// unparsable or zero ("0001-01-01T00:00:00Z") time.
std::optional<TimePoint> ParseEngineTime(std::string_view text);

// GET /services/{id} and GET /services. Running task counts are not part of these bodies.
Result<ServiceInfo> ParseService(std::string_view body);
Result<std::vector<ServiceInfo>> ParseServiceList(std::string_view body);

// The query of GET /tasks for tasks meant to run: of one service (ID or name) or of all.
std::string TasksQuery(std::optional<std::string_view> service);

// GET /tasks: per service ID, the tasks whose desired and observed state are both "running".
struct RunningTasks {
  std::uint64_t count = 0;
  std::map<std::string, std::uint64_t> by_image;  // Spec.ContainerSpec.Image → count
};
Result<std::map<std::string, RunningTasks>> CountRunningTasks(std::string_view body);

// A service spec ready for POST /services/{id}/update?version=N.
struct SpecUpdate {
  std::string service_id;
  std::string service_name;
  std::uint64_t version = 0;
  std::string spec_json;  // the whole Spec as read, with one change
  bool changed = true;    // false when the spec already had the requested value
};

// From the body of GET /services/{id}: the Spec with Mode.Replicated.Replicas set. Error
// "invalid" for a service that is not replicated.
Result<SpecUpdate> PrepareReplicasUpdate(std::string_view service_body, std::uint64_t replicas);
// From the body of GET /services/{id}: the Spec with TaskTemplate.ContainerSpec.Image set.
// … and sets `labels` among the service's Spec.Labels.
Result<SpecUpdate> PrepareImageUpdate(std::string_view service_body, std::string_view image,
                                      const std::map<std::string, std::string>& labels = {});

// The lease's Swarm config (orchestrator/lease_store.hpp): the query of GET /configs for it, the
// one named exactly `name` in that listing (nullopt: none; error "parse" or "invalid" naming what
// is wrong), and the spec written by create and update (its Data never changes, as Swarm wants).
std::string LeaseConfigQuery(std::string_view name);
Result<std::optional<StoredLease>> ParseLeaseConfig(std::string_view body, std::string_view name);
std::string LeaseConfigSpec(std::string_view name, const LeaseRecord& record);

// True when a failed update response means "the version changed since you read it".
bool IsUpdateOutOfSequence(long http_status, std::string_view body);

// GET /images/{name}/json.
struct ImageDetails {
  std::string id;  // "sha256:…" (the image config digest): the scale-config cache key
  std::vector<std::string> repo_digests;
  std::map<std::string, std::string> labels;  // Config.Labels
};
Result<ImageDetails> ParseImageInspect(std::string_view body);

// The POST /containers/create body that runs `scale_info` in `image` with the image's own
// entrypoint, no network, and a label marking the container as maiev's.
inline constexpr std::string_view kScaleInfoContainerLabel = "maiev.scale_info";
std::string ScaleInfoContainerBody(std::string_view image);
// {"Id": "..."} from POST /containers/create.
Result<std::string> ParseCreatedContainerId(std::string_view body);
// {"StatusCode": N} from POST /containers/{id}/wait.
Result<std::int64_t> ParseWaitStatusCode(std::string_view body);

// The body of GET /containers/{id}/logs for a container without a TTY: frames of an 8-byte
// header (stream type: 0 stdin, 1 stdout, 2 stderr; 3 zero bytes; big-endian uint32 size) then
// the payload. Error "parse" on a truncated frame or an unknown stream type.
struct DemultiplexedLogs {
  std::string out;
  std::string err;
};
Result<DemultiplexedLogs> DemultiplexLogs(std::string_view raw);

// One line of GET /events. nullopt for events that are not about a service or whose action
// maiev does not follow.
Result<std::optional<ServiceEvent>> ParseEventLine(std::string_view line);

// The query of GET /events: service events only, from `since_nano` when given.
std::string EventsQuery(std::optional<std::int64_t> since_nano);

// Splits a byte stream into newline-terminated lines, across chunk boundaries. A line longer
// than kMaxLineBytes is dropped (counted in dropped_lines()). Not thread-safe.
class LineSplitter {
 public:
  static constexpr std::size_t kMaxLineBytes = 1 << 20;

  void Feed(std::string_view chunk, const std::function<void(std::string_view)>& on_line);
  std::size_t dropped_lines() const { return dropped_lines_; }

 private:
  std::string partial_;
  bool discarding_ = false;
  std::size_t dropped_lines_ = 0;
};

// Decides which events of a resumed stream (since=) are new. The engine stamps a service event
// with the service's CreatedAt/UpdatedAt, not with the time it was emitted: a remove event carries
// the service's last update time, possibly long ago. So events are deduplicated by identity
// (kind, service, time) over a bounded memory rather than ordered by time, and the resume point
// is the latest time seen. Not thread-safe.
class EventCursor {
 public:
  static constexpr std::size_t kRememberedEvents = 1024;

  explicit EventCursor(std::optional<std::int64_t> start_nano = std::nullopt)
      : start_nano_(start_nano) {}

  // True when `event` was not delivered yet (among the last kRememberedEvents); records it.
  bool Accept(const ServiceEvent& event);
  // Where a new stream should start: the latest event time seen, else the start point; nullopt:
  // from now.
  std::optional<std::int64_t> ResumeFrom() const;
  // Sets the start point used while no event was delivered, unless one is set already.
  void StartAtIfUnset(std::int64_t nano);

 private:
  std::optional<std::int64_t> start_nano_;
  std::optional<std::int64_t> latest_nano_;
  std::set<std::string> delivered_;         // identities of the remembered events
  std::deque<std::string> delivery_order_;  // the same, oldest first, to forget in order
};

}  // namespace maiev::orchestrator
