// DockerEngineOrchestrator against the stack's real dockerd in swarm mode (scripts/stack.sh),
// with the workload image maiev-worker:dev. Services this test creates are named
// "maiev-orch-it-…", labelled maiev.test=1, run with host networking and are removed at the end.
// Measured figures are printed as "[figure] …" lines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "orchestrator/docker_engine_orchestrator.hpp"
#include "orchestrator/engine_wire.hpp"

namespace maiev::orchestrator {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kWorkerImage = "maiev-worker:dev";
constexpr std::string_view kRegistryImage = "127.0.0.1:5000/maiev-worker:worker-1.0.0";
constexpr std::string_view kNamePrefix = "maiev-orch-it-";
// Deadlines for conditions polled against the engine.
constexpr seconds kEventDeadline{15};
constexpr seconds kConvergeDeadline{90};
constexpr milliseconds kPollInterval{100};
constexpr milliseconds kTestRequestTimeout{30'000};

DockerEndpoint StackEndpoint() {
  DockerEnvironment env = DockerEnvironment::FromProcess();
  if (env.docker_host.empty()) {
    const char* dir = std::getenv("MAIEV_STACK_DIR");  // NOLINT(concurrency-mt-unsafe)
    env.docker_host = "unix://" +
                      std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp/maiev-stack") +
                      "/docker.sock";
  }
  auto endpoint = ParseDockerEndpoint(env);
  if (!endpoint) throw std::runtime_error(endpoint.error().message);
  return *endpoint;
}

double MillisecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

double MillisecondsBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

template <class Condition>
bool PollUntil(Condition condition, seconds deadline) {
  auto until = SteadyClock::now() + deadline;
  while (SteadyClock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(kPollInterval);
  }
  return condition();
}

void Figure(const std::string& text) { std::cout << "[figure] " << text << std::endl; }

// Direct Engine API calls the orchestrator does not make (creating and removing test services
// and images).
class EngineApi {
 public:
  EngineApi() : transport_(StackEndpoint(), milliseconds{3'000}) {}

  HttpResponse Call(std::string_view method, const std::string& path, std::string_view body = {}) {
    auto response = transport_.Request(method, "/v1.41" + path, body, kTestRequestTimeout);
    if (!response) throw std::runtime_error(response.error().message);
    return *response;
  }

  // Creates a service running the worker with host networking; returns its ID. Unless `labels`
  // declares one, the service gets an invalid scale config: a maiev daemon running against the
  // same stack then leaves it alone (SPEC §1) instead of scaling it from the image's config.
  std::string CreateService(const std::string& name, json mode, json labels = json::object(),
                            std::string_view image = kWorkerImage) {
    labels["maiev.test"] = "1";
    if (!labels.contains("maiev.scale_config")) {
      labels["maiev.scale_config"] = R"({"test_service": "not a scale config: leave it alone"})";
    }
    json spec = {
        {"Name", name},
        {"Labels", labels},
        {"TaskTemplate",
         {{"ContainerSpec",
           {{"Image", std::string(image)},
            {"Env", json::array({"RABBITMQ_HOST=127.0.0.1", "WORKER_QUEUE=maiev-orch-it"})}}},
          {"Networks", json::array({{{"Target", "host"}}})},
          {"RestartPolicy", {{"Condition", "any"}}}}},
        {"Mode", std::move(mode)},
        {"UpdateConfig", {{"Parallelism", 1}, {"Order", "stop-first"}}},
    };
    HttpResponse response = Call("POST", "/services/create", spec.dump());
    if (!response.Ok()) {
      throw std::runtime_error("create service " + name + ": " + std::to_string(response.status) +
                               " " + response.body);
    }
    created_.push_back(name);
    return json::parse(response.body).at("ID").get<std::string>();
  }

  void RemoveService(const std::string& name) { Call("DELETE", "/services/" + name); }

  ~EngineApi() {
    for (const std::string& name : created_) {
      try {
        RemoveService(name);
      } catch (const std::exception&) {  // best effort: the engine may be gone
      }
    }
  }

 private:
  EngineTransport transport_;
  std::vector<std::string> created_;
};

std::string UniqueName(std::string_view what) {
  static std::atomic<int> counter{0};
  return std::string(kNamePrefix) + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(++counter);
}

json Replicated(int replicas) { return {{"Replicated", {{"Replicas", replicas}}}}; }

// Collects the service events of one watch, for the test thread to wait on.
class EventRecorder {
 public:
  void Add(const ServiceEvent& event) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back({event, SteadyClock::now()});
    }
    changed_.notify_all();
  }
  void SetConnected(bool connected) {
    {
      std::lock_guard lock(mutex_);
      connected_ = connected;
    }
    changed_.notify_all();
  }
  bool WaitConnected() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kEventDeadline, [&] { return connected_; });
  }
  // The arrival time of the first event of `kind` for `service_id` whose attributes include
  // `attributes`, waiting up to the deadline.
  std::optional<SteadyClock::time_point> WaitFor(
      ServiceEventKind kind, const std::string& service_id,
      const std::map<std::string, std::string>& attributes = {}) {
    std::unique_lock lock(mutex_);
    std::optional<SteadyClock::time_point> arrival;
    changed_.wait_for(lock, kEventDeadline, [&] {
      for (const auto& [event, at] : events_) {
        if (event.kind != kind || event.service_id != service_id) continue;
        bool matches = std::all_of(attributes.begin(), attributes.end(), [&](const auto& kv) {
          auto it = event.attributes.find(kv.first);
          return it != event.attributes.end() && it->second == kv.second;
        });
        if (matches) {
          arrival = at;
          return true;
        }
      }
      return false;
    });
    return arrival;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<ServiceEvent, SteadyClock::time_point>> events_;  // guarded by mutex_
  bool connected_ = false;                                                // guarded by mutex_
};

class OrchestratorIntegration : public ::testing::Test {
 protected:
  SystemClock clock_;
  DockerEngineOrchestrator engine_{StackEndpoint(), clock_};
  EngineApi api_;
};

TEST_F(OrchestratorIntegration, NegotiatesApiVersion141WithTheStackEngine) {
  auto version = engine_.ApiVersion();
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, "1.41");  // Engine 20.10 speaks 1.41; newer ones are capped at ours
}

TEST_F(OrchestratorIntegration, ScalesAReplicatedServiceAndReportsItsEvents) {
  EventRecorder recorder;
  WatchOptions options;
  options.on_stream_state = [&](bool connected) { recorder.SetConnected(connected); };
  // Stopped and joined by the jthread's destructor should an assertion end the test early.
  std::jthread watcher([&](std::stop_token stop) {
    Status status = engine_.WatchEvents(
        options, [&](const ServiceEvent& event) { recorder.Add(event); }, stop);
    EXPECT_TRUE(status.ok());
  });
  ASSERT_TRUE(recorder.WaitConnected()) << "the event stream did not open";

  std::string name = UniqueName("scale");
  auto create_start = SteadyClock::now();
  std::string id = api_.CreateService(name, Replicated(1));
  double create_ms = MillisecondsSince(create_start);
  auto created_event = recorder.WaitFor(ServiceEventKind::kCreated, id);
  ASSERT_TRUE(created_event) << "no create event for " << name;
  Figure("service create request " + std::to_string(create_ms) + " ms; create event after " +
         std::to_string(MillisecondsBetween(create_start, *created_event)) + " ms");

  auto services = engine_.ListServices();
  ASSERT_TRUE(services.ok()) << services.error().message;
  auto listed = std::find_if(services->begin(), services->end(),
                             [&](const ServiceInfo& s) { return s.id == id; });
  ASSERT_NE(listed, services->end());
  EXPECT_EQ(listed->name, name);
  EXPECT_EQ(listed->mode, ServiceMode::kReplicated);
  EXPECT_EQ(listed->replicas, 1u);
  EXPECT_EQ(listed->labels.at("maiev.test"), "1");
  EXPECT_EQ(listed->image, kWorkerImage);
  EXPECT_TRUE(listed->created_at.has_value());
  EXPECT_TRUE(listed->running_tasks.has_value());

  ASSERT_TRUE(PollUntil(
      [&] {
        auto s = engine_.InspectService(name);
        return s && s->running_tasks == 1u;
      },
      kConvergeDeadline))
      << "the first task of " << name << " never ran";

  auto scale_start = SteadyClock::now();
  Status scaled = engine_.SetReplicas(name, 3);
  double scale_ms = MillisecondsSince(scale_start);
  ASSERT_TRUE(scaled.ok()) << scaled.error().message;
  auto update_event = recorder.WaitFor(ServiceEventKind::kUpdated, id,
                                       {{"replicas.old", "1"}, {"replicas.new", "3"}});
  ASSERT_TRUE(update_event) << "no update event 1 -> 3 replicas for " << name;
  ASSERT_TRUE(PollUntil(
      [&] {
        auto s = engine_.InspectService(id);
        return s && s->replicas == 3u && s->running_tasks == 3u;
      },
      kConvergeDeadline))
      << name << " did not reach 3 running tasks";
  Figure("SetReplicas 1->3 request " + std::to_string(scale_ms) + " ms; update event after " +
         std::to_string(MillisecondsBetween(scale_start, *update_event)) +
         " ms; 3 tasks running after " + std::to_string(MillisecondsSince(scale_start)) + " ms");

  auto service = engine_.InspectService(id);
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->labels.at("maiev.test"), "1");  // the rest of the spec survived
  EXPECT_EQ(service->image, kWorkerImage);

  auto remove_start = SteadyClock::now();
  api_.RemoveService(name);
  auto removed_event = recorder.WaitFor(ServiceEventKind::kRemoved, id);
  ASSERT_TRUE(removed_event) << "no remove event for " << name;
  Figure("remove event after " + std::to_string(MillisecondsBetween(remove_start, *removed_event)) +
         " ms");
  auto gone = engine_.InspectService(id);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "not_found");

  auto stop_start = SteadyClock::now();
  watcher.request_stop();
  watcher.join();
  Figure("WatchEvents returned " + std::to_string(MillisecondsSince(stop_start)) +
         " ms after the stop request");
}

TEST_F(OrchestratorIntegration, TheEnginesStaleVersionReplyIsRecognisedAsAConflict) {
  std::string name = UniqueName("stale");
  api_.CreateService(name, Replicated(0));
  auto inspected = api_.Call("GET", "/services/" + name);
  ASSERT_TRUE(inspected.Ok());
  auto update = PrepareReplicasUpdate(inspected.body, 1);
  ASSERT_TRUE(update.ok()) << update.error().message;
  auto stale_version = std::to_string(update->version - 1);
  auto reply =
      api_.Call("POST", "/services/" + update->service_id + "/update?version=" + stale_version,
                update->spec_json);
  EXPECT_FALSE(reply.Ok());
  EXPECT_TRUE(IsUpdateOutOfSequence(reply.status, reply.body)) << reply.status << " " << reply.body;
}

TEST_F(OrchestratorIntegration, SetReplicasSucceedsWhileAnotherWriterKeepsUpdating) {
  std::string name = UniqueName("race");
  api_.CreateService(name, Replicated(0), {{"round", "0"}});
  std::atomic<int> interfering_updates{0};
  // Another writer: bumps a label every kInterferencePause (read, modify, write with its
  // version). Stopped and joined when the jthread goes out of scope.
  constexpr milliseconds kInterferencePause{20};
  std::jthread interferer([&](std::stop_token stop) {
    EngineApi other;
    for (int round = 1; !stop.stop_requested(); ++round) {
      std::this_thread::sleep_for(kInterferencePause);
      auto body = other.Call("GET", "/services/" + name);
      if (!body.Ok()) continue;
      json service = json::parse(body.body);
      json spec = service["Spec"];
      spec["Labels"]["round"] = std::to_string(round);
      auto version = service["Version"]["Index"].get<std::uint64_t>();
      auto reply = other.Call("POST",
                              "/services/" + service["ID"].get<std::string>() +
                                  "/update?version=" + std::to_string(version),
                              spec.dump());
      if (reply.Ok()) ++interfering_updates;
    }
  });
  // The race starts once the other writer has written at least once, and lasts until it has
  // written again: on a busy machine six updates can otherwise finish before its first.
  ASSERT_TRUE(PollUntil([&] { return interfering_updates.load() > 0; }, seconds{30}));
  for (std::uint64_t replicas : {1u, 0u, 2u, 0u, 1u, 0u}) {
    Status status = engine_.SetReplicas(name, replicas);
    ASSERT_TRUE(status.ok()) << status.error().message;
    auto service = engine_.InspectService(name);
    ASSERT_TRUE(service.ok());
    EXPECT_EQ(service->replicas, replicas);
  }
  const int written = interfering_updates.load();
  ASSERT_TRUE(PollUntil([&] { return interfering_updates.load() > written; }, seconds{30}));
  interferer.request_stop();
  interferer.join();
  Figure("SetReplicas under contention: 6 updates succeeded beside " +
         std::to_string(interfering_updates.load()) + " interfering updates, " +
         std::to_string(engine_.update_conflicts()) + " out-of-sequence retries");
  auto service = engine_.InspectService(name);
  ASSERT_TRUE(service.ok());
  EXPECT_NE(service->labels.at("round"), "0");  // the other writer's changes were kept
}

TEST_F(OrchestratorIntegration, AGlobalServiceRefusesSetReplicas) {
  std::string name = UniqueName("global");
  api_.CreateService(name, {{"Global", json::object()}});
  auto service = engine_.InspectService(name);
  ASSERT_TRUE(service.ok()) << service.error().message;
  EXPECT_EQ(service->mode, ServiceMode::kGlobal);
  Status status = engine_.SetReplicas(name, 2);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "invalid");
  auto after = engine_.InspectService(name);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->version, service->version);  // nothing was written
}

// The scale config the worker image was built with (its label; scale_info prints the same file).
json WorkerImageScaleConfig(EngineApi& api) {
  auto image = api.Call("GET", "/images/" + std::string(kWorkerImage) + "/json");
  if (!image.Ok()) throw std::runtime_error("no image " + std::string(kWorkerImage));
  return json::parse(
      json::parse(image.body)["Config"]["Labels"]["maiev.scale_config"].get<std::string>());
}

TEST_F(OrchestratorIntegration, ReadsTheScaleConfigFromServiceLabelThenImageLabel) {
  std::string declared = R"({"min":0,"max":2})";
  std::string name = UniqueName("label");
  api_.CreateService(name, Replicated(0), {{"maiev.scale_config", declared}});
  auto service = engine_.InspectService(name);
  ASSERT_TRUE(service.ok());
  auto from_service = engine_.ReadScaleConfigSource(*service);
  ASSERT_TRUE(from_service.ok()) << from_service.error().message;
  ASSERT_TRUE(from_service->has_value());
  EXPECT_EQ((*from_service)->origin, ScaleConfigOrigin::kServiceLabel);
  EXPECT_EQ((*from_service)->json, declared);

  service->labels.erase("maiev.scale_config");  // as if it had none: the image label is next
  auto from_image = engine_.ReadScaleConfigSource(*service);
  ASSERT_TRUE(from_image.ok()) << from_image.error().message;
  ASSERT_TRUE(from_image->has_value());
  EXPECT_EQ((*from_image)->origin, ScaleConfigOrigin::kImageLabel);
  json expected = WorkerImageScaleConfig(api_);
  EXPECT_EQ(json::parse((*from_image)->json), expected);
  EXPECT_TRUE((*from_image)->image_id.starts_with("sha256:"));
  EXPECT_EQ(engine_.scale_info_runs(), 0u);
}

TEST_F(OrchestratorIntegration, RunsScaleInfoForAnImageWithoutLabelOnceAndCleansUp) {
  // An unlabelled copy of the worker image: export a container's filesystem, import it with the
  // worker's entrypoint (labels are not carried over).
  auto created =
      api_.Call("POST", "/containers/create", json{{"Image", std::string(kWorkerImage)}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string container = json::parse(created.body).at("Id");
  auto exported = api_.Call("GET", "/containers/" + container + "/export");
  api_.Call("DELETE", "/containers/" + container + "?force=1");
  ASSERT_TRUE(exported.Ok());
  std::string repo = std::string(kNamePrefix) + "unlabelled";
  std::string tag = std::to_string(::getpid());
  auto imported = api_.Call("POST",
                            "/images/create?fromSrc=-&repo=" + repo + "&tag=" + tag +
                                "&changes=" + UrlEncode(R"(ENTRYPOINT ["/maiev-worker"])"),
                            exported.body);
  ASSERT_TRUE(imported.Ok()) << imported.body;
  struct ImageCleanup {
    EngineApi& api;
    std::string ref;
    ~ImageCleanup() {
      try {
        api.Call("DELETE", "/images/" + ref + "?force=1");
      } catch (const std::exception&) {  // best effort
      }
    }
  } cleanup{api_, repo + ":" + tag};

  ServiceInfo service;
  service.id = "unused";
  service.name = "unlabelled-worker";
  service.image = repo + ":" + tag;
  json expected = WorkerImageScaleConfig(api_);
  for (int i = 0; i < 2; ++i) {
    auto start = SteadyClock::now();
    auto source = engine_.ReadScaleConfigSource(service);
    double ms = MillisecondsSince(start);
    ASSERT_TRUE(source.ok()) << source.error().message;
    ASSERT_TRUE(source->has_value());
    EXPECT_EQ((*source)->origin, ScaleConfigOrigin::kScaleInfoCommand);
    EXPECT_EQ(json::parse((*source)->json), expected);
    Figure(std::string(i == 0 ? "scale_info run" : "scale_info cached") + ": " +
           std::to_string(ms) + " ms");
  }
  EXPECT_EQ(engine_.scale_info_runs(), 1u);

  // Of this image only: maievs of other tests on the stack run scale_info for their images.
  auto leftovers =
      api_.Call("GET", "/containers/json?all=1&filters=" +
                           UrlEncode(json{{"label", json::array({"maiev.scale_info=1"})},
                                          {"ancestor", json::array({service.image})}}
                                         .dump()));
  ASSERT_TRUE(leftovers.Ok());
  EXPECT_EQ(json::parse(leftovers.body).size(), 0u) << "scale_info containers were left behind";
}

TEST_F(OrchestratorIntegration, AnImageNotPresentLocallyDeclaresNothing) {
  ServiceInfo service;
  service.id = "unused";
  service.name = "not-pulled";
  service.image = "127.0.0.1:5000/maiev-not-pulled:x-1.0.0";
  auto source = engine_.ReadScaleConfigSource(service);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_FALSE(source->has_value());
}

TEST_F(OrchestratorIntegration, UpdateImageRollsToAPinnedImageUntilCompleted) {
  auto image = api_.Call("GET", "/images/" + std::string(kRegistryImage) + "/json");
  ASSERT_TRUE(image.Ok()) << "run scripts/build-images.sh: " << image.body;
  auto digests = json::parse(image.body).at("RepoDigests");
  ASSERT_FALSE(digests.empty());
  std::string digest = digests[0].get<std::string>();  // repo@sha256:…
  std::string pinned =
      std::string(kRegistryImage) + digest.substr(digest.find('@'));  // repo:tag@sha256:…

  std::string name = UniqueName("upgrade");
  api_.CreateService(name, Replicated(1));
  auto start = SteadyClock::now();
  Status requested = engine_.UpdateImage(name, pinned, {{"maiev.test.step", "1"}});
  ASSERT_TRUE(requested.ok()) << requested.error().message;
  std::optional<UpdateStatus> last;
  ASSERT_TRUE(PollUntil(
      [&] {
        auto status = engine_.GetUpdateStatus(name);
        if (status) last = *status;
        return status && status->state == UpdateState::kCompleted;
      },
      kConvergeDeadline))
      << "update state: " << (last ? ToString(last->state) : "unread");
  Figure("UpdateImage to completed: " + std::to_string(MillisecondsSince(start)) + " ms");
  auto service = engine_.InspectService(name);
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->image, pinned);
  EXPECT_EQ(service->labels["maiev.test.step"], "1") << "the labels came with the update";
}

}  // namespace
}  // namespace maiev::orchestrator
