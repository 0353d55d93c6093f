#include "orchestrator/engine_wire.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/time_format.hpp"

namespace maiev::orchestrator {
namespace {

using nlohmann::json;

Unexpected<Error> ParseError(std::string_view where, std::string_view what) {
  return Fail("parse", std::string(where) + ": " + std::string(what));
}

Result<json> ParseJson(std::string_view body, std::string_view where) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return ParseError(where, "the engine's reply is not valid JSON");
  return j;
}

// The member `key` of `object`, or nullptr when absent or null.
const json* Member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> StringAt(const json& object, std::string_view key, std::string_view where,
                             std::string_view path) {
  const json* value = Member(object, key);
  if (value == nullptr || !value->is_string()) {
    return ParseError(where, "field " + std::string(path) + " is missing or not a string");
  }
  return value->get<std::string>();
}

std::string OptionalString(const json& object, std::string_view key) {
  const json* value = Member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

Result<std::map<std::string, std::string>> StringMapAt(const json& object, std::string_view key,
                                                       std::string_view where,
                                                       std::string_view path) {
  std::map<std::string, std::string> result;
  const json* value = Member(object, key);
  if (value == nullptr) return result;
  if (!value->is_object()) {
    return ParseError(where, "field " + std::string(path) + " is not an object");
  }
  for (const auto& [name, text] : value->items()) {
    if (!text.is_string()) {
      return ParseError(where, "field " + std::string(path) + "." + name + " is not a string");
    }
    result.emplace(name, text.get<std::string>());
  }
  return result;
}

UpdateState UpdateStateFromText(std::string_view text) {
  static const std::map<std::string_view, UpdateState> kStates = {
      {"updating", UpdateState::kUpdating},
      {"paused", UpdateState::kPaused},
      {"completed", UpdateState::kCompleted},
      {"rollback_started", UpdateState::kRollbackStarted},
      {"rollback_paused", UpdateState::kRollbackPaused},
      {"rollback_completed", UpdateState::kRollbackCompleted},
  };
  if (text.empty()) return UpdateState::kNone;
  auto it = kStates.find(text);
  return it == kStates.end() ? UpdateState::kUnknown : it->second;
}

Status ReadMode(const json& spec, std::string_view where, ServiceInfo& service) {
  const json* mode = Member(spec, "Mode");
  if (mode == nullptr || !mode->is_object()) {
    return ParseError(where, "field Spec.Mode is missing or not an object");
  }
  if (const json* replicated = Member(*mode, "Replicated")) {
    service.mode = ServiceMode::kReplicated;
    const json* replicas = Member(*replicated, "Replicas");
    if (replicas == nullptr) {
      service.replicas = 1;  // the engine's default when the spec leaves it out
    } else if (replicas->is_number_unsigned()) {
      service.replicas = replicas->get<std::uint64_t>();
    } else {
      return ParseError(where, "field Spec.Mode.Replicated.Replicas is not a non-negative integer");
    }
    return {};
  }
  if (Member(*mode, "Global") != nullptr) {
    service.mode = ServiceMode::kGlobal;
    return {};
  }
  if (Member(*mode, "ReplicatedJob") != nullptr || Member(*mode, "GlobalJob") != nullptr) {
    service.mode = ServiceMode::kJob;
    return {};
  }
  return ParseError(where,
                    "field Spec.Mode has none of Replicated, Global, ReplicatedJob, GlobalJob");
}

Result<ServiceInfo> ServiceFromJson(const json& j) {
  if (!j.is_object()) return ParseError("service", "expected a JSON object");
  ServiceInfo service;
  service.id = OptionalString(j, "ID");
  if (service.id.empty()) return ParseError("service", "field ID is missing or not a string");
  std::string where = "service " + service.id;
  const json* spec = Member(j, "Spec");
  if (spec == nullptr || !spec->is_object()) {
    return ParseError(where, "field Spec is missing or not an object");
  }
  auto name = StringAt(*spec, "Name", where, "Spec.Name");
  if (!name) return Unexpected<Error>{name.error()};
  service.name = *name;
  where = "service " + service.name;

  const json* version = Member(j, "Version");
  const json* index = version != nullptr ? Member(*version, "Index") : nullptr;
  if (index == nullptr || !index->is_number_unsigned()) {
    return ParseError(where, "field Version.Index is missing or not a non-negative integer");
  }
  service.version = index->get<std::uint64_t>();

  if (auto mode = ReadMode(*spec, where, service); !mode) return Unexpected<Error>{mode.error()};

  // Plugin services have no ContainerSpec: they keep an empty image.
  if (const json* task = Member(*spec, "TaskTemplate")) {
    if (const json* container = Member(*task, "ContainerSpec")) {
      service.image = OptionalString(*container, "Image");
    }
  }
  auto labels = StringMapAt(*spec, "Labels", where, "Spec.Labels");
  if (!labels) return Unexpected<Error>{labels.error()};
  service.labels = std::move(*labels);

  if (const json* status = Member(j, "UpdateStatus")) {
    service.update_status.state = UpdateStateFromText(OptionalString(*status, "State"));
    service.update_status.message = OptionalString(*status, "Message");
    service.update_status.started_at = ParseEngineTime(OptionalString(*status, "StartedAt"));
    service.update_status.completed_at = ParseEngineTime(OptionalString(*status, "CompletedAt"));
  }
  if (const json* config = Member(*spec, "UpdateConfig");
      config != nullptr && config->is_object()) {
    UpdateConfig& update = service.update_config;
    if (const json* p = Member(*config, "Parallelism"); p != nullptr && p->is_number_unsigned()) {
      update.parallelism = p->get<std::uint64_t>();
    }
    // Delay and Monitor are nanoseconds.
    if (const json* d = Member(*config, "Delay"); d != nullptr && d->is_number_integer()) {
      update.delay = Duration{static_cast<double>(d->get<std::int64_t>()) / 1e9};
    }
    if (const json* m = Member(*config, "Monitor"); m != nullptr && m->is_number_integer()) {
      update.monitor = Duration{static_cast<double>(m->get<std::int64_t>()) / 1e9};
    }
    if (std::string action = OptionalString(*config, "FailureAction"); !action.empty()) {
      update.failure_action = std::move(action);
    }
  }
  service.created_at = ParseEngineTime(OptionalString(j, "CreatedAt"));
  service.updated_at = ParseEngineTime(OptionalString(j, "UpdatedAt"));
  return service;
}

// The service body's ID, name, version and Spec, for an update.
Result<SpecUpdate> SpecOf(const json& j, json& spec_out) {
  auto service = ServiceFromJson(j);
  if (!service) return Unexpected<Error>{service.error()};
  spec_out = j.at("Spec");
  SpecUpdate update;
  update.service_id = service->id;
  update.service_name = service->name;
  update.version = service->version;
  return update;
}

int ParseDigits(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() ? value : -1;
}

// "1.41" → {1, 41}; {-1, -1} when malformed.
std::pair<int, int> VersionParts(std::string_view text) {
  auto dot = text.find('.');
  if (dot == std::string_view::npos) return {-1, -1};
  return {ParseDigits(text.substr(0, dot)), ParseDigits(text.substr(dot + 1))};
}

}  // namespace

Result<std::string> NegotiateApiVersion(std::string_view version_body) {
  constexpr std::string_view kWhere = "GET /version";
  auto j = ParseJson(version_body, kWhere);
  if (!j) return Unexpected<Error>{j.error()};
  auto server = StringAt(*j, "ApiVersion", kWhere, "ApiVersion");
  if (!server) return Unexpected<Error>{server.error()};
  auto server_parts = VersionParts(*server);
  if (server_parts.first < 0 || server_parts.second < 0) {
    return ParseError(kWhere, "ApiVersion \"" + *server + "\" is not MAJOR.MINOR");
  }
  auto ours = VersionParts(kMaxApiVersion);
  std::string chosen = server_parts < ours ? *server : std::string(kMaxApiVersion);
  if (VersionParts(chosen) < VersionParts(kMinApiVersion)) {
    return Fail("unsupported", "the Docker Engine speaks API " + *server + "; maiev needs " +
                                   std::string(kMinApiVersion) + " or later");
  }
  std::string server_min = OptionalString(*j, "MinAPIVersion");
  auto min_parts = VersionParts(server_min);
  if (min_parts.first >= 0 && min_parts > VersionParts(chosen)) {
    return Fail("unsupported", "the Docker Engine no longer accepts API " + chosen +
                                   " (its minimum is " + server_min + "); maiev speaks " +
                                   std::string(kMinApiVersion) + " to " +
                                   std::string(kMaxApiVersion));
  }
  return chosen;
}

std::string EngineErrorMessage(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded()) {
    std::string message = OptionalString(j, "message");
    if (!message.empty()) return message;
  }
  std::string text(body.substr(0, 512));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "(empty reply)" : text;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

std::optional<TimePoint> ParseEngineTime(std::string_view text) {
  // ParseRfc3339 refuses the zero time too: year 1 is outside the clock's range.
  auto parsed = ParseRfc3339(text);
  if (!parsed) return std::nullopt;
  return *parsed;
}

Result<ServiceInfo> ParseService(std::string_view body) {
  auto j = ParseJson(body, "GET /services/{id}");
  if (!j) return Unexpected<Error>{j.error()};
  return ServiceFromJson(*j);
}

Result<std::vector<ServiceInfo>> ParseServiceList(std::string_view body) {
  auto j = ParseJson(body, "GET /services");
  if (!j) return Unexpected<Error>{j.error()};
  if (!j->is_array()) return ParseError("GET /services", "expected a JSON array");
  std::vector<ServiceInfo> services;
  services.reserve(j->size());
  for (const json& item : *j) {
    auto service = ServiceFromJson(item);
    if (!service) return Unexpected<Error>{service.error()};
    services.push_back(std::move(*service));
  }
  return services;
}

std::string TasksQuery(std::optional<std::string_view> service) {
  json filters = {{"desired-state", json::array({"running"})}};
  if (service) filters["service"] = json::array({std::string(*service)});
  return "?filters=" + UrlEncode(filters.dump());
}

Result<std::map<std::string, RunningTasks>> CountRunningTasks(std::string_view body) {
  constexpr std::string_view kWhere = "GET /tasks";
  auto j = ParseJson(body, kWhere);
  if (!j) return Unexpected<Error>{j.error()};
  if (!j->is_array()) return ParseError(kWhere, "expected a JSON array");
  std::map<std::string, RunningTasks> counts;
  for (const json& task : *j) {
    std::string service_id = OptionalString(task, "ServiceID");
    if (service_id.empty()) return ParseError(kWhere, "a task has no ServiceID");
    const json* status = Member(task, "Status");
    bool running = OptionalString(task, "DesiredState") == "running" && status != nullptr &&
                   OptionalString(*status, "State") == "running";
    if (!running) continue;
    RunningTasks& tasks = counts[service_id];
    ++tasks.count;
    std::string image;
    if (const json* spec = Member(task, "Spec")) {
      if (const json* container = Member(*spec, "ContainerSpec")) {
        image = OptionalString(*container, "Image");
      }
    }
    ++tasks.by_image[image];
  }
  return counts;
}

Result<SpecUpdate> PrepareReplicasUpdate(std::string_view service_body, std::uint64_t replicas) {
  auto j = ParseJson(service_body, "GET /services/{id}");
  if (!j) return Unexpected<Error>{j.error()};
  json spec;
  auto update = SpecOf(*j, spec);
  if (!update) return update;
  const json* mode = Member(spec, "Mode");
  const json* replicated = mode != nullptr ? Member(*mode, "Replicated") : nullptr;
  if (replicated == nullptr) {
    return Fail("invalid", "service " + update->service_name +
                               " is not a replicated service: only replicated services can be "
                               "scaled");
  }
  const json* current = Member(*replicated, "Replicas");
  update->changed = current == nullptr || !current->is_number_unsigned() ||
                    current->get<std::uint64_t>() != replicas;
  spec["Mode"]["Replicated"]["Replicas"] = replicas;
  update->spec_json = spec.dump();
  return update;
}

Result<SpecUpdate> PrepareImageUpdate(std::string_view service_body, std::string_view image,
                                      const std::map<std::string, std::string>& labels) {
  auto j = ParseJson(service_body, "GET /services/{id}");
  if (!j) return Unexpected<Error>{j.error()};
  json spec;
  auto update = SpecOf(*j, spec);
  if (!update) return update;
  const json* task = Member(spec, "TaskTemplate");
  const json* container = task != nullptr ? Member(*task, "ContainerSpec") : nullptr;
  if (container == nullptr || !container->is_object()) {
    return Fail("invalid", "service " + update->service_name +
                               " has no TaskTemplate.ContainerSpec: its image cannot be set");
  }
  update->changed = OptionalString(*container, "Image") != image;
  spec["TaskTemplate"]["ContainerSpec"]["Image"] = std::string(image);
  if (!labels.empty() && !spec["Labels"].is_object()) spec["Labels"] = json::object();
  for (const auto& [key, value] : labels) {
    update->changed = update->changed || OptionalString(spec["Labels"], key) != value;
    spec["Labels"][key] = value;
  }
  update->spec_json = spec.dump();
  return update;
}

std::string LeaseConfigQuery(std::string_view name) {
  const json filters = {{"name", json::array({std::string(name)})}};
  return "?filters=" + UrlEncode(filters.dump());
}

Result<std::optional<StoredLease>> ParseLeaseConfig(std::string_view body, std::string_view name) {
  constexpr std::string_view kWhere = "GET /configs";
  auto j = ParseJson(body, kWhere);
  if (!j) return Unexpected<Error>{j.error()};
  if (!j->is_array()) return ParseError(kWhere, "expected a JSON array");
  for (const json& item : *j) {
    const json* spec = Member(item, "Spec");
    // The engine's name filter also matches other names that contain it.
    if (spec == nullptr || OptionalString(*spec, "Name") != name) continue;
    StoredLease lease;
    auto id = StringAt(item, "ID", kWhere, "ID");
    if (!id) return Unexpected<Error>{id.error()};
    lease.id = *id;
    const json* version = Member(item, "Version");
    const json* index = version != nullptr ? Member(*version, "Index") : nullptr;
    if (index == nullptr || !index->is_number_unsigned()) {
      return ParseError(kWhere, "field Version.Index of config " + lease.id + " is missing");
    }
    lease.version = index->get<std::uint64_t>();
    auto labels = StringMapAt(*spec, "Labels", kWhere, "Spec.Labels");
    if (!labels) return Unexpected<Error>{labels.error()};
    auto record = LeaseFromLabels(*labels);
    if (!record) {
      return Fail("invalid", "config " + std::string(name) +
                                 " is not a lease of maiev's: " + record.error().message);
    }
    lease.record = std::move(*record);
    return std::optional<StoredLease>(std::move(lease));
  }
  return std::optional<StoredLease>();
}

std::string LeaseConfigSpec(std::string_view name, const LeaseRecord& record) {
  json labels = json::object();
  for (const auto& [key, value] : LeaseLabels(record)) labels[key] = value;
  // "maiev leader lease\n" in base64: a config must have data, and Swarm refuses to change it.
  return json{{"Name", std::string(name)},
              {"Labels", std::move(labels)},
              {"Data", "bWFpZXYgbGVhZGVyIGxlYXNlCg=="}}
      .dump();
}

bool IsUpdateOutOfSequence(long http_status, std::string_view body) {
  if (http_status != 409 && http_status != 500) return false;
  return EngineErrorMessage(body).find("out of sequence") != std::string::npos;
}

Result<ImageDetails> ParseImageInspect(std::string_view body) {
  constexpr std::string_view kWhere = "GET /images/{name}/json";
  auto j = ParseJson(body, kWhere);
  if (!j) return Unexpected<Error>{j.error()};
  ImageDetails image;
  auto id = StringAt(*j, "Id", kWhere, "Id");
  if (!id) return Unexpected<Error>{id.error()};
  image.id = *id;
  if (const json* digests = Member(*j, "RepoDigests"); digests != nullptr && digests->is_array()) {
    for (const json& digest : *digests) {
      if (digest.is_string()) image.repo_digests.push_back(digest.get<std::string>());
    }
  }
  if (const json* config = Member(*j, "Config")) {
    auto labels = StringMapAt(*config, "Labels", "image " + image.id, "Config.Labels");
    if (!labels) return Unexpected<Error>{labels.error()};
    image.labels = std::move(*labels);
  }
  return image;
}

std::string ScaleInfoContainerBody(std::string_view image) {
  json body = {
      {"Image", std::string(image)},
      {"Cmd", json::array({"scale_info"})},
      {"Labels", {{std::string(kScaleInfoContainerLabel), "1"}}},
      {"AttachStdin", false},
      {"AttachStdout", false},
      {"AttachStderr", false},
      {"Tty", false},
      {"NetworkDisabled", true},
      {"HostConfig", {{"NetworkMode", "none"}, {"AutoRemove", false}}},
  };
  return body.dump();
}

Result<std::string> ParseCreatedContainerId(std::string_view body) {
  constexpr std::string_view kWhere = "POST /containers/create";
  auto j = ParseJson(body, kWhere);
  if (!j) return Unexpected<Error>{j.error()};
  return StringAt(*j, "Id", kWhere, "Id");
}

Result<std::int64_t> ParseWaitStatusCode(std::string_view body) {
  constexpr std::string_view kWhere = "POST /containers/{id}/wait";
  auto j = ParseJson(body, kWhere);
  if (!j) return Unexpected<Error>{j.error()};
  const json* code = Member(*j, "StatusCode");
  if (code == nullptr || !code->is_number_integer()) {
    return ParseError(kWhere, "field StatusCode is missing or not an integer");
  }
  return code->get<std::int64_t>();
}

Result<DemultiplexedLogs> DemultiplexLogs(std::string_view raw) {
  constexpr std::size_t kHeaderBytes = 8;
  DemultiplexedLogs logs;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    if (raw.size() - pos < kHeaderBytes) {
      return ParseError("container logs", "truncated frame header at byte " + std::to_string(pos));
    }
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(raw[pos + i]); };
    unsigned stream = byte(0);
    std::size_t size = (std::size_t{byte(4)} << 24) | (std::size_t{byte(5)} << 16) |
                       (std::size_t{byte(6)} << 8) | std::size_t{byte(7)};
    if (stream > 2) {
      return ParseError("container logs", "unknown stream type " + std::to_string(stream) +
                                              " at byte " + std::to_string(pos) +
                                              " (accepted: 0 stdin, 1 stdout, 2 stderr)");
    }
    pos += kHeaderBytes;
    if (raw.size() - pos < size) {
      return ParseError("container logs", "truncated frame: " + std::to_string(size) +
                                              " bytes announced, " +
                                              std::to_string(raw.size() - pos) + " present");
    }
    std::string_view payload = raw.substr(pos, size);
    (stream == 2 ? logs.err : logs.out).append(payload);  // stdin frames never occur in logs
    pos += size;
  }
  return logs;
}

Result<std::optional<ServiceEvent>> ParseEventLine(std::string_view line) {
  constexpr std::string_view kWhere = "GET /events";
  auto j = ParseJson(line, kWhere);
  if (!j) return Unexpected<Error>{j.error()};
  if (!j->is_object()) return ParseError(kWhere, "expected a JSON object per line");
  if (OptionalString(*j, "Type") != "service") return std::optional<ServiceEvent>();
  static const std::map<std::string_view, ServiceEventKind> kActions = {
      {"create", ServiceEventKind::kCreated},
      {"update", ServiceEventKind::kUpdated},
      {"remove", ServiceEventKind::kRemoved},
  };
  auto action = kActions.find(OptionalString(*j, "Action"));
  if (action == kActions.end()) return std::optional<ServiceEvent>();

  ServiceEvent event;
  event.kind = action->second;
  const json* actor = Member(*j, "Actor");
  if (actor == nullptr) return ParseError(kWhere, "a service event has no Actor");
  auto id = StringAt(*actor, "ID", kWhere, "Actor.ID");
  if (!id) return Unexpected<Error>{id.error()};
  event.service_id = *id;
  auto attributes = StringMapAt(*actor, "Attributes", kWhere, "Actor.Attributes");
  if (!attributes) return Unexpected<Error>{attributes.error()};
  event.attributes = std::move(*attributes);
  if (auto name = event.attributes.find("name"); name != event.attributes.end()) {
    event.service_name = name->second;
  }
  const json* nano = Member(*j, "timeNano");
  const json* seconds = Member(*j, "time");
  if (nano != nullptr && nano->is_number_integer()) {
    event.time_nano = nano->get<std::int64_t>();
  } else if (seconds != nullptr && seconds->is_number_integer()) {
    // Seconds whose nanoseconds a 64-bit count cannot hold are no time either.
    constexpr std::int64_t kBound = std::numeric_limits<std::int64_t>::max() / 1'000'000'000;
    const auto whole = seconds->get<std::int64_t>();
    if (whole > kBound || whole < -kBound) {
      return ParseError(kWhere, "a service event's time is out of range");
    }
    event.time_nano = whole * 1'000'000'000;
  } else {
    return ParseError(kWhere, "a service event has neither timeNano nor time");
  }
  event.time = TimePoint(
      std::chrono::duration_cast<WallClock::duration>(std::chrono::nanoseconds(event.time_nano)));
  return std::optional<ServiceEvent>(std::move(event));
}

std::string EventsQuery(std::optional<std::int64_t> since_nano) {
  std::string query = "?filters=" + UrlEncode(R"({"type":["service"]})");
  if (since_nano) {
    char since[40];
    // Rounded down, so a time before 1970 is whole seconds and a non-negative fraction.
    const auto nanos = std::chrono::nanoseconds{*since_nano};
    const auto whole = std::chrono::floor<std::chrono::seconds>(nanos);
    std::snprintf(since, sizeof since, "%lld.%09lld", static_cast<long long>(whole.count()),
                  static_cast<long long>((nanos - whole).count()));
    query += "&since=";
    query += since;
  }
  return query;
}

void LineSplitter::Feed(std::string_view chunk,
                        const std::function<void(std::string_view)>& on_line) {
  while (!chunk.empty()) {
    auto newline = chunk.find('\n');
    std::string_view piece = chunk.substr(0, newline);
    if (!discarding_) {
      if (partial_.size() + piece.size() > kMaxLineBytes) {
        discarding_ = true;
        partial_.clear();
      } else {
        partial_.append(piece);
      }
    }
    if (newline == std::string_view::npos) return;
    if (discarding_) {
      ++dropped_lines_;
      discarding_ = false;
    } else {
      std::string_view line = partial_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) on_line(line);
    }
    partial_.clear();
    chunk.remove_prefix(newline + 1);
  }
}

bool EventCursor::Accept(const ServiceEvent& event) {
  std::string identity = std::string(ToString(event.kind)) + "/" + event.service_id + "/" +
                         std::to_string(event.time_nano);
  if (!delivered_.insert(identity).second) return false;
  delivery_order_.push_back(std::move(identity));
  if (delivery_order_.size() > kRememberedEvents) {
    delivered_.erase(delivery_order_.front());
    delivery_order_.pop_front();
  }
  if (!latest_nano_ || event.time_nano > *latest_nano_) latest_nano_ = event.time_nano;
  return true;
}

std::optional<std::int64_t> EventCursor::ResumeFrom() const {
  return latest_nano_ ? latest_nano_ : start_nano_;
}

void EventCursor::StartAtIfUnset(std::int64_t nano) {
  if (!start_nano_) start_nano_ = nano;
}

}  // namespace maiev::orchestrator
