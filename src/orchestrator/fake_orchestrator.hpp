// An in-memory Orchestrator for other modules' unit tests: services are whatever the test puts
// in, calls are recorded, events are injected by the test. Deterministic: no clock, no threads
// of its own. Thread-safe (one mutex), so WatchEvents may run on a test's worker thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "orchestrator/orchestrator.hpp"

namespace maiev::orchestrator {

// A replicated (unless `mode` says otherwise) service for tests, with its scale config as the
// `maiev.scale_config` label when `config` is given.
inline ServiceInfo LabelledService(std::string id, std::string name, std::uint64_t replicas,
                                   std::optional<std::string> config = std::nullopt,
                                   ServiceMode mode = ServiceMode::kReplicated) {
  ServiceInfo s;
  s.id = std::move(id);
  s.name = std::move(name);
  s.replicas = replicas;
  s.mode = mode;
  s.image = "worker:1";
  if (config) s.labels[std::string(kScaleConfigLabel)] = *std::move(config);
  return s;
}

class FakeOrchestrator final : public Orchestrator {
 public:
  struct ReplicaCall {
    std::string service;  // the id_or_name argument as given
    std::uint64_t replicas = 0;
    friend bool operator==(const ReplicaCall&, const ReplicaCall&) = default;
  };
  struct ImageCall {
    std::string service;
    std::string image;
    friend bool operator==(const ImageCall&, const ImageCall&) = default;
  };

  // --- Test set-up -------------------------------------------------------------------------

  // Adds or replaces a service (keyed by id).
  void PutService(ServiceInfo service) {
    std::lock_guard lock(mutex_);
    services_[service.id] = std::move(service);
  }
  void RemoveService(const std::string& id) {
    std::lock_guard lock(mutex_);
    services_.erase(id);
  }
  // What ReadScaleConfigSource returns for the service with this id (default: none).
  void SetScaleConfig(const std::string& id, std::optional<ScaleConfigSource> source) {
    std::lock_guard lock(mutex_);
    scale_configs_[id] = std::move(source);
  }
  // Changes a service in place: a rollout progressing, someone else's update.
  template <class Edit>
  void EditService(const std::string& id, Edit edit) {
    std::lock_guard lock(mutex_);
    if (auto* service = Find(id)) edit(*service);
  }
  void SetUpdateState(const std::string& id, UpdateState state) {
    std::lock_guard lock(mutex_);
    if (auto* service = Find(id)) service->update_status.state = state;
  }
  // The next call of any method fails with `error` (once).
  void FailNextCall(Error error) {
    std::lock_guard lock(mutex_);
    next_failure_ = std::move(error);
  }
  // Queues an event for WatchEvents (delivered in order, from the watching thread).
  void InjectEvent(ServiceEvent event) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    events_changed_.notify_all();
  }

  // --- Observations --------------------------------------------------------------------------

  std::vector<ReplicaCall> replica_calls() const {
    std::lock_guard lock(mutex_);
    return replica_calls_;
  }
  std::vector<ImageCall> image_calls() const {
    std::lock_guard lock(mutex_);
    return image_calls_;
  }
  // Events injected and not yet delivered.
  std::size_t pending_events() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

  // --- Orchestrator ---------------------------------------------------------------------------

  Result<std::vector<ServiceInfo>> ListServices() override {
    std::lock_guard lock(mutex_);
    if (auto failure = TakeFailure()) return Unexpected<Error>{*failure};
    std::vector<ServiceInfo> list;
    for (const auto& [id, service] : services_) list.push_back(service);
    return list;
  }

  Result<std::map<std::string, std::uint64_t>> RunningTaskCounts() override {
    std::lock_guard lock(mutex_);
    if (auto failure = TakeFailure()) return Unexpected<Error>{*failure};
    std::map<std::string, std::uint64_t> counts;
    for (const auto& [id, service] : services_) counts[id] = service.running_tasks.value_or(0);
    return counts;
  }

  Result<ServiceInfo> InspectService(std::string_view id_or_name) override {
    std::lock_guard lock(mutex_);
    if (auto failure = TakeFailure()) return Unexpected<Error>{*failure};
    if (auto* service = Find(id_or_name)) return *service;
    return NotFound(id_or_name);
  }

  // Records the call; a replicated service's replicas (and version) change, running_tasks
  // follows at once. Emits no event: inject one if the test needs it.
  Status SetReplicas(std::string_view id_or_name, std::uint64_t replicas) override {
    std::lock_guard lock(mutex_);
    if (auto failure = TakeFailure()) return Unexpected<Error>{*failure};
    auto* service = Find(id_or_name);
    if (service == nullptr) return NotFound(id_or_name);
    if (service->mode != ServiceMode::kReplicated) {
      return Fail("invalid", "service " + service->name + " is not a replicated service");
    }
    replica_calls_.push_back({std::string(id_or_name), replicas});
    service->replicas = replicas;
    service->running_tasks = replicas;
    ++service->version;
    return {};
  }

  // Records the call; the image and labels change and the update state becomes kUpdating.
  Status UpdateImage(std::string_view id_or_name, std::string_view image,
                     const std::map<std::string, std::string>& labels) override {
    std::lock_guard lock(mutex_);
    if (auto failure = TakeFailure()) return Unexpected<Error>{*failure};
    auto* service = Find(id_or_name);
    if (service == nullptr) return NotFound(id_or_name);
    image_calls_.push_back({std::string(id_or_name), std::string(image)});
    service->image = std::string(image);
    for (const auto& [key, value] : labels) service->labels[key] = value;
    service->update_status = UpdateStatus{UpdateState::kUpdating, "update in progress"};
    ++service->version;
    return {};
  }

  Result<UpdateStatus> GetUpdateStatus(std::string_view id_or_name) override {
    std::lock_guard lock(mutex_);
    if (auto failure = TakeFailure()) return Unexpected<Error>{*failure};
    if (auto* service = Find(id_or_name)) return service->update_status;
    return NotFound(id_or_name);
  }

  // The service label first (as the real one), then what SetScaleConfig set.
  Result<std::optional<ScaleConfigSource>> ReadScaleConfigSource(
      const ServiceInfo& service) override {
    std::lock_guard lock(mutex_);
    if (auto failure = TakeFailure()) return Unexpected<Error>{*failure};
    if (auto label = service.labels.find(std::string(kScaleConfigLabel));
        label != service.labels.end()) {
      return std::optional<ScaleConfigSource>(
          ScaleConfigSource{label->second, ScaleConfigOrigin::kServiceLabel, {}});
    }
    auto it = scale_configs_.find(service.id);
    if (it == scale_configs_.end()) return std::optional<ScaleConfigSource>();
    return it->second;
  }

  // Reports the stream connected, delivers injected events in order until `stop`, then reports
  // it disconnected. `options.since` is ignored.
  Status WatchEvents(const WatchOptions& options, const ServiceEventHandler& on_event,
                     std::stop_token stop) override {
    if (!on_event) return Fail("invalid", "WatchEvents needs an event handler");
    if (options.on_stream_state) options.on_stream_state(true);
    std::unique_lock lock(mutex_);
    while (events_changed_.wait(lock, stop, [this] { return !events_.empty(); })) {
      ServiceEvent event = std::move(events_.front());
      events_.pop_front();
      lock.unlock();
      on_event(event);
      lock.lock();
    }
    lock.unlock();
    if (options.on_stream_state) options.on_stream_state(false);
    return {};
  }

 private:
  // REQUIRES: mutex_ held.
  ServiceInfo* Find(std::string_view id_or_name) {
    if (auto it = services_.find(std::string(id_or_name)); it != services_.end()) {
      return &it->second;
    }
    for (auto& [id, service] : services_) {
      if (service.name == id_or_name) return &service;
    }
    return nullptr;
  }
  std::optional<Error> TakeFailure() {
    std::optional<Error> failure = std::move(next_failure_);
    next_failure_.reset();
    return failure;
  }
  static Unexpected<Error> NotFound(std::string_view id_or_name) {
    return Fail("not_found", "service " + std::string(id_or_name) + " does not exist");
  }

  mutable std::mutex mutex_;
  std::condition_variable_any events_changed_;
  // All below guarded by mutex_.
  std::map<std::string, ServiceInfo> services_;
  std::map<std::string, std::optional<ScaleConfigSource>> scale_configs_;
  std::vector<ReplicaCall> replica_calls_;
  std::vector<ImageCall> image_calls_;
  std::deque<ServiceEvent> events_;
  std::optional<Error> next_failure_;
};

}  // namespace maiev::orchestrator
