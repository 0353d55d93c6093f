#include "orchestrator/docker_engine_orchestrator.hpp"

#include <spdlog/spdlog.h>

#include <thread>
#include <utility>

#include "common/sleep.hpp"

namespace maiev::orchestrator {
namespace {

// A stream opened without `since` resumes, if it drops before any event, from its opening time
// minus this margin: it covers events racing the opening, at the cost of a possible replay.
constexpr std::chrono::seconds kEventResumeMargin{1};

Unexpected<Error> HttpError(const HttpResponse& response, std::string_view what) {
  std::string code = response.status == 404 ? "not_found" : "http";
  return Fail(code, std::string(what) + ": HTTP " + std::to_string(response.status) + ": " +
                        EngineErrorMessage(response.body));
}

// An image reference in a URL path: "/", ":" and "@" stay (the engine routes /images/{name:.*}).
std::string ImagePathSegment(std::string_view image) {
  std::string encoded = UrlEncode(image);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    std::string_view rest = std::string_view(encoded).substr(i);
    if (rest.starts_with("%2F")) {
      out += '/';
    } else if (rest.starts_with("%3A")) {
      out += ':';
    } else if (rest.starts_with("%40")) {
      out += '@';
    } else {
      out += encoded[i];
      continue;
    }
    i += 2;
  }
  return out;
}

// "repo:tag@sha256:…" → {"repo:tag@sha256:…", "repo@sha256:…"}; others → {image}.
std::vector<std::string> ImageLookupNames(const std::string& image) {
  std::vector<std::string> names{image};
  auto at = image.find('@');
  if (at == std::string::npos) return names;
  std::string_view name = std::string_view(image).substr(0, at);
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    names.push_back(std::string(name.substr(0, colon)) + image.substr(at));
  }
  return names;
}

std::string Trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::int64_t NanosSinceEpoch(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

// A start failure that means the image has no `scale_info` to run.
bool IsMissingExecutable(std::string_view message) {
  return message.find("executable file not found") != std::string_view::npos ||
         message.find("no such file or directory") != std::string_view::npos;
}

}  // namespace

DockerEngineOrchestrator::DockerEngineOrchestrator(DockerEndpoint endpoint, const Clock& clock,
                                                   DockerEngineOptions options)
    : transport_(std::move(endpoint), options.connect_timeout), clock_(clock), options_(options) {}

Result<std::string> DockerEngineOrchestrator::ApiVersion() {
  std::lock_guard lock(version_mutex_);
  if (api_version_) return *api_version_;
  auto response = transport_.Get("/version", options_.request_timeout, options_.get_retry);
  if (!response) return Unexpected<Error>{response.error()};
  std::string what = "Docker Engine at " + transport_.endpoint().Describe() + ": GET /version";
  if (!response->Ok()) return HttpError(*response, what);
  auto version = NegotiateApiVersion(response->body);
  if (!version) {
    return Fail(version.error().code, "Docker Engine at " + transport_.endpoint().Describe() +
                                          ": " + version.error().message);
  }
  api_version_ = *version;
  return version;
}

Result<std::string> DockerEngineOrchestrator::Versioned(std::string_view path) {
  auto version = ApiVersion();
  if (!version) return version;
  return "/v" + *version + std::string(path);
}

Result<HttpResponse> DockerEngineOrchestrator::GetOk(std::string_view path, std::string_view what) {
  auto versioned = Versioned(path);
  if (!versioned) return Unexpected<Error>{versioned.error()};
  auto response = transport_.Get(*versioned, options_.request_timeout, options_.get_retry);
  if (!response) return response;
  if (!response->Ok()) return HttpError(*response, what);
  return response;
}

Result<std::string> DockerEngineOrchestrator::InspectBody(std::string_view id_or_name) {
  auto response = GetOk("/services/" + UrlEncode(id_or_name),
                        "service " + std::string(id_or_name) + ": GET /services/{id}");
  if (!response) return Unexpected<Error>{response.error()};
  return std::move(response->body);
}

Result<std::vector<ServiceInfo>> DockerEngineOrchestrator::ListServices() {
  auto services_response = GetOk("/services", "GET /services");
  if (!services_response) return Unexpected<Error>{services_response.error()};
  auto services = ParseServiceList(services_response->body);
  if (!services) return services;
  auto tasks_response = GetOk("/tasks" + TasksQuery(std::nullopt), "GET /tasks");
  if (!tasks_response) return Unexpected<Error>{tasks_response.error()};
  auto counts = CountRunningTasks(tasks_response->body);
  if (!counts) return Unexpected<Error>{counts.error()};
  for (ServiceInfo& service : *services) {
    auto it = counts->find(service.id);
    service.running_tasks = it == counts->end() ? 0 : it->second.count;
    if (it != counts->end()) service.running_images = it->second.by_image;
  }
  return services;
}

Result<std::map<std::string, std::uint64_t>> DockerEngineOrchestrator::RunningTaskCounts() {
  auto tasks_response = GetOk("/tasks" + TasksQuery(std::nullopt), "GET /tasks");
  if (!tasks_response) return Unexpected<Error>{tasks_response.error()};
  auto counts = CountRunningTasks(tasks_response->body);
  if (!counts) return Unexpected<Error>{counts.error()};
  std::map<std::string, std::uint64_t> out;
  for (const auto& [id, running] : *counts) out.emplace(id, running.count);
  return out;
}

Result<ServiceInfo> DockerEngineOrchestrator::InspectService(std::string_view id_or_name) {
  auto body = InspectBody(id_or_name);
  if (!body) return Unexpected<Error>{body.error()};
  auto service = ParseService(*body);
  if (!service) return service;
  auto tasks_response =
      GetOk("/tasks" + TasksQuery(service->id), "service " + service->name + ": GET /tasks");
  if (!tasks_response) return Unexpected<Error>{tasks_response.error()};
  auto counts = CountRunningTasks(tasks_response->body);
  if (!counts) return Unexpected<Error>{counts.error()};
  auto it = counts->find(service->id);
  service->running_tasks = it == counts->end() ? 0 : it->second.count;
  if (it != counts->end()) service->running_images = it->second.by_image;
  return service;
}

Status DockerEngineOrchestrator::UpdateSpec(std::string_view id_or_name, std::string_view what,
                                            const SpecMutation& mutate) {
  const BackoffPolicy& policy = options_.update_conflict_retry;
  for (int attempt = 1;; ++attempt) {
    auto body = InspectBody(id_or_name);
    if (!body) return Unexpected<Error>{body.error()};
    auto update = mutate(*body);
    if (!update) return Unexpected<Error>{update.error()};
    if (!update->changed) return {};  // also the outcome of a retried update that had landed
    auto path = Versioned("/services/" + update->service_id +
                          "/update?version=" + std::to_string(update->version));
    if (!path) return Unexpected<Error>{path.error()};
    auto response = transport_.Request("POST", *path, update->spec_json, options_.request_timeout);
    std::string where = "service " + update->service_name + ": " + std::string(what);
    if (response && response->Ok()) return {};
    bool conflict = response && IsUpdateOutOfSequence(response->status, response->body);
    if (response && !conflict) return HttpError(*response, where);
    // Out of sequence, or no reply (the update may or may not have landed): re-read and retry;
    // the version check makes a repeated update safe.
    if (conflict) ++update_conflicts_;
    if (policy.Exhausted(attempt)) {
      if (!response) return Unexpected<Error>{response.error()};
      return Fail("conflict", where + ": the service kept changing during " +
                                  std::to_string(attempt) + " attempts (update out of sequence)");
    }
    std::this_thread::sleep_for(policy.Delay(attempt));
  }
}

Status DockerEngineOrchestrator::SetReplicas(std::string_view id_or_name, std::uint64_t replicas) {
  return UpdateSpec(
      id_or_name, "set replicas to " + std::to_string(replicas),
      [replicas](std::string_view body) { return PrepareReplicasUpdate(body, replicas); });
}

Status DockerEngineOrchestrator::UpdateImage(std::string_view id_or_name, std::string_view image,
                                             const std::map<std::string, std::string>& labels) {
  if (image.empty()) return Fail("invalid", "UpdateImage needs a non-empty image reference");
  std::string image_text(image);
  return UpdateSpec(id_or_name, "update image to " + image_text,
                    [&image_text, &labels](std::string_view body) {
                      return PrepareImageUpdate(body, image_text, labels);
                    });
}

Result<std::optional<StoredLease>> DockerEngineOrchestrator::ReadLease(std::string_view name) {
  auto response = GetOk("/configs" + LeaseConfigQuery(name), "lease: GET /configs");
  if (!response) return Unexpected<Error>{response.error()};
  return ParseLeaseConfig(response->body, name);
}

Status DockerEngineOrchestrator::CreateLease(std::string_view name, const LeaseRecord& record) {
  auto path = Versioned("/configs/create");
  if (!path) return Unexpected<Error>{path.error()};
  auto response =
      transport_.Request("POST", *path, LeaseConfigSpec(name, record), options_.request_timeout);
  if (!response) return Unexpected<Error>{response.error()};
  if (response->status == 409) {
    return Fail("conflict", "lease " + std::string(name) + ": created by another instance first");
  }
  if (!response->Ok()) return HttpError(*response, "lease: POST /configs/create");
  return {};
}

Status DockerEngineOrchestrator::UpdateLease(std::string_view name, const StoredLease& lease,
                                             const LeaseRecord& record) {
  auto path = Versioned("/configs/" + UrlEncode(lease.id) +
                        "/update?version=" + std::to_string(lease.version));
  if (!path) return Unexpected<Error>{path.error()};
  auto response =
      transport_.Request("POST", *path, LeaseConfigSpec(name, record), options_.request_timeout);
  if (!response) return Unexpected<Error>{response.error()};
  if (IsUpdateOutOfSequence(response->status, response->body)) {
    return Fail("conflict", "lease " + std::string(name) + ": changed by another instance");
  }
  if (!response->Ok()) return HttpError(*response, "lease: POST /configs/{id}/update");
  return {};
}

Result<UpdateStatus> DockerEngineOrchestrator::GetUpdateStatus(std::string_view id_or_name) {
  auto body = InspectBody(id_or_name);
  if (!body) return Unexpected<Error>{body.error()};
  auto service = ParseService(*body);
  if (!service) return Unexpected<Error>{service.error()};
  return service->update_status;
}

Result<std::optional<ScaleConfigSource>> DockerEngineOrchestrator::ReadScaleConfigSource(
    const ServiceInfo& service) {
  if (auto label = service.labels.find(std::string(kScaleConfigLabel));
      label != service.labels.end()) {
    return std::optional<ScaleConfigSource>(
        ScaleConfigSource{label->second, ScaleConfigOrigin::kServiceLabel, {}});
  }
  if (service.image.empty()) return std::optional<ScaleConfigSource>();
  return ReadFromImage(service);
}

Result<std::optional<ScaleConfigSource>> DockerEngineOrchestrator::ReadFromImage(
    const ServiceInfo& service) {
  std::optional<ImageDetails> image;
  for (const std::string& name : ImageLookupNames(service.image)) {
    auto response = GetOk("/images/" + ImagePathSegment(name) + "/json",
                          "service " + service.name + ": image " + name);
    if (!response && response.error().code == "not_found") continue;
    if (!response) return Unexpected<Error>{response.error()};
    auto details = ParseImageInspect(response->body);
    if (!details) {
      return Fail(details.error().code, "service " + service.name + ": " + details.error().message);
    }
    image = std::move(*details);
    break;
  }
  if (!image) {
    // Reading labels of an image not pulled yet goes through the registry (not this class).
    spdlog::debug("service {}: image {} is not present locally; no scale config read from it",
                  service.name, service.image);
    return std::optional<ScaleConfigSource>();
  }
  {
    std::lock_guard lock(cache_mutex_);
    if (auto hit = image_cache_.find(image->id); hit != image_cache_.end()) return hit->second;
  }
  if (auto label = image->labels.find(std::string(kScaleConfigLabel));
      label != image->labels.end()) {
    ScaleConfigSource source{label->second, ScaleConfigOrigin::kImageLabel, image->id};
    std::lock_guard lock(cache_mutex_);
    image_cache_[image->id] = source;
    return std::optional<ScaleConfigSource>(std::move(source));
  }
  return RunScaleInfo(service, image->id);
}

Result<std::optional<ScaleConfigSource>> DockerEngineOrchestrator::RunScaleInfo(
    const ServiceInfo& service, const std::string& image_id) {
  std::lock_guard run_lock(scale_info_mutex_);
  {
    std::lock_guard lock(cache_mutex_);  // another thread may have run it while we waited
    if (auto hit = image_cache_.find(image_id); hit != image_cache_.end()) return hit->second;
  }
  std::string where = "service " + service.name + ": scale_info in image " + image_id;
  auto create_path = Versioned("/containers/create");
  if (!create_path) return Unexpected<Error>{create_path.error()};
  auto created = transport_.Request("POST", *create_path, ScaleInfoContainerBody(image_id),
                                    options_.request_timeout);
  if (!created) return Unexpected<Error>{created.error()};
  if (!created->Ok()) return HttpError(*created, where + ": create container");
  auto container = ParseCreatedContainerId(created->body);
  if (!container) return Unexpected<Error>{container.error()};
  ++scale_info_runs_;

  auto result = RunScaleInfoContainer(service, image_id, *container);

  // Always removed, whatever happened above.
  if (auto remove_path = Versioned("/containers/" + *container + "?force=1&v=1")) {
    auto removed = transport_.Request("DELETE", *remove_path, {}, options_.request_timeout);
    if (!removed || !removed->Ok()) {
      spdlog::warn("{}: could not remove container {}: {}", where, *container,
                   removed ? EngineErrorMessage(removed->body) : removed.error().message);
    }
  }
  if (result) {
    std::lock_guard lock(cache_mutex_);
    image_cache_[image_id] = *result;
  }
  return result;
}

// Start, wait, read logs. Definitive outcomes (no scale_info command, non-zero exit, timeout,
// empty output) are values, so they are cached; engine failures are errors and are not.
Result<std::optional<ScaleConfigSource>> DockerEngineOrchestrator::RunScaleInfoContainer(
    const ServiceInfo& service, const std::string& image_id, const std::string& container) {
  std::string where = "service " + service.name + ": scale_info in image " + image_id;
  auto start_path = Versioned("/containers/" + container + "/start");
  if (!start_path) return Unexpected<Error>{start_path.error()};
  auto started = transport_.Request("POST", *start_path, {}, options_.request_timeout);
  if (!started) return Unexpected<Error>{started.error()};
  if (!started->Ok()) {
    std::string message = EngineErrorMessage(started->body);
    if (IsMissingExecutable(message)) {
      spdlog::info("{}: the image has no scale_info command ({})", where, message);
      return std::optional<ScaleConfigSource>();
    }
    return HttpError(*started, where + ": start container");
  }

  auto wait_path = Versioned("/containers/" + container + "/wait?condition=not-running");
  if (!wait_path) return Unexpected<Error>{wait_path.error()};
  auto waited = transport_.Request("POST", *wait_path, {}, options_.scale_info_timeout);
  if (!waited) {
    spdlog::warn("{}: did not exit within {} ms; treated as declaring no scale config ({})", where,
                 options_.scale_info_timeout.count(), waited.error().message);
    return std::optional<ScaleConfigSource>();
  }
  if (!waited->Ok()) return HttpError(*waited, where + ": wait for container");
  auto exit_code = ParseWaitStatusCode(waited->body);
  if (!exit_code) return Unexpected<Error>{exit_code.error()};

  auto logs_path = Versioned("/containers/" + container + "/logs?stdout=1&stderr=1");
  if (!logs_path) return Unexpected<Error>{logs_path.error()};
  auto logs_response = transport_.Get(*logs_path, options_.request_timeout, options_.get_retry);
  if (!logs_response) return Unexpected<Error>{logs_response.error()};
  if (!logs_response->Ok()) return HttpError(*logs_response, where + ": read logs");
  auto logs = DemultiplexLogs(logs_response->body);
  if (!logs) return Fail(logs.error().code, where + ": " + logs.error().message);

  if (*exit_code != 0) {
    spdlog::info("{}: exited with status {}; no scale config ({})", where, *exit_code,
                 Trim(logs->err.substr(0, 200)));
    return std::optional<ScaleConfigSource>();
  }
  std::string text = Trim(logs->out);
  if (text.empty()) return std::optional<ScaleConfigSource>();
  return std::optional<ScaleConfigSource>(
      ScaleConfigSource{std::move(text), ScaleConfigOrigin::kScaleInfoCommand, image_id});
}

Status DockerEngineOrchestrator::WatchEvents(const WatchOptions& options,
                                             const ServiceEventHandler& on_event,
                                             std::stop_token stop) {
  if (!on_event) return Fail("invalid", "WatchEvents needs an event handler");
  std::optional<std::int64_t> start;
  if (options.since) start = NanosSinceEpoch(*options.since);
  EventCursor cursor(start);
  auto notify = [&options](bool connected) {
    if (options.on_stream_state) options.on_stream_state(connected);
  };
  int failures = 0;
  OutageLog outage("Docker event stream");
  while (!stop.stop_requested()) {
    bool opened = false;
    Status status;
    if (auto path = Versioned("/events" + EventsQuery(cursor.ResumeFrom())); path) {
      LineSplitter lines;
      auto on_line = [&](std::string_view line) {
        auto event = ParseEventLine(line);
        if (!event) {
          spdlog::warn("Docker event stream: skipped a line: {}", event.error().message);
          return;
        }
        if (*event && cursor.Accept(**event)) on_event(**event);
      };
      auto on_open = [&] {
        opened = true;
        failures = 0;
        if (auto line = outage.Succeeded(clock_.Now())) Write(*line);
        cursor.StartAtIfUnset(NanosSinceEpoch(clock_.Now() - kEventResumeMargin));
        notify(true);
      };
      status = transport_.Stream(
          *path, on_open, [&](std::string_view chunk) { lines.Feed(chunk, on_line); }, stop);
    } else {
      status = Unexpected<Error>{path.error()};
    }
    if (opened) notify(false);
    if (stop.stop_requested()) break;
    ++failures;
    const Duration pause = options_.event_reconnect.Delay(failures);
    if (status) {
      spdlog::info("Docker event stream from {} was closed by the engine; reconnecting",
                   transport_.endpoint().Describe());
    } else {
      Write(outage.Failed(clock_.Now(), status.error(), pause));
      if (options.on_stream_error) options.on_stream_error(status.error());
    }
    SleepFor(pause, stop);
  }
  return {};
}

}  // namespace maiev::orchestrator
