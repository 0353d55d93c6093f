// DockerEngineOrchestrator against a scripted engine on a unix socket (fake_engine_server.hpp):
// no network and no sleeping — waits are on conditions, backoffs are zero.
#include "orchestrator/docker_engine_orchestrator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <nlohmann/json.hpp>
#include <thread>

#include "orchestrator/captured_log.hpp"
#include "orchestrator/fake_engine_server.hpp"

namespace maiev::orchestrator {
namespace {

using nlohmann::json;
using testing::FakeEngineServer;
using Request = FakeEngineServer::Request;
using Reply = FakeEngineServer::Reply;

constexpr BackoffPolicy kNoPauseRetry{3, std::chrono::milliseconds{0},
                                      std::chrono::milliseconds{0}};

DockerEngineOptions FastOptions() {
  DockerEngineOptions options;
  options.get_retry = {1, {}, {}};
  options.update_conflict_retry = kNoPauseRetry;
  options.event_reconnect = {0, {}, {}};
  return options;
}

DockerEndpoint SocketEndpoint(const std::string& path) {
  DockerEndpoint endpoint;
  endpoint.socket_path = path;
  return endpoint;
}

json Service(std::uint64_t version, json mode = {{"Replicated", {{"Replicas", 1}}}}) {
  return {{"ID", "svc1"},
          {"Version", {{"Index", version}}},
          {"Spec",
           {{"Name", "producer"},
            {"Mode", std::move(mode)},
            {"TaskTemplate", {{"ContainerSpec", {{"Image", "worker:1"}}}}},
            {"UpdateConfig", {{"Parallelism", 1}}}}}};
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.starts_with(prefix);
}

// Serves /version with `api_version` and hands everything else to `rest`.
FakeEngineServer::Handler Engine(std::string api_version,
                                 std::function<void(const Request&, Reply&)> rest) {
  return [api_version, rest](const Request& request, Reply& reply) {
    if (request.target == "/version") {
      reply.Json(200, json{{"ApiVersion", api_version}, {"MinAPIVersion", "1.12"}}.dump());
      return;
    }
    rest(request, reply);
  };
}

TEST(DockerEngineOrchestrator, NegotiatesTheApiVersionOnceAndUsesItAsPathPrefix) {
  FakeEngineServer server(Engine("1.40", [](const Request& request, Reply& reply) {
    if (StartsWith(request.target, "/v1.40/services")) {
      reply.Json(200, json::array({Service(3)}).dump());
    } else if (StartsWith(request.target, "/v1.40/tasks")) {
      json task = {
          {"ServiceID", "svc1"}, {"DesiredState", "running"}, {"Status", {{"State", "running"}}}};
      reply.Json(200, json::array({task, task}).dump());
    } else {
      reply.Json(404, R"({"message":"unexpected"})");
    }
  }));
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());

  for (int i = 0; i < 2; ++i) {
    auto services = engine.ListServices();
    ASSERT_TRUE(services.ok()) << services.error().message;
    ASSERT_EQ(services->size(), 1u);
    EXPECT_EQ((*services)[0].running_tasks, 2u);
  }
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].target, "/version");
  EXPECT_EQ(requests[1].target, "/v1.40/services");
  EXPECT_EQ(requests[2].target, "/v1.40/tasks" + TasksQuery(std::nullopt));
  EXPECT_EQ(requests[3].target, "/v1.40/services");
}

// The autoscaler re-reads the counts every 2 s: one GET /tasks, no service spec.
TEST(DockerEngineOrchestrator, RunningTaskCountsReadTheTasksAlone) {
  FakeEngineServer server(Engine("1.41", [](const Request& request, Reply& reply) {
    if (StartsWith(request.target, "/v1.41/tasks")) {
      auto task = [](const char* service, const char* state) {
        return json{
            {"ServiceID", service}, {"DesiredState", "running"}, {"Status", {{"State", state}}}};
      };
      reply.Json(200, json::array({task("svc1", "running"), task("svc1", "running"),
                                   task("svc2", "running"), task("svc3", "starting")})
                          .dump());
    } else {
      reply.Json(404, R"({"message":"unexpected"})");
    }
  }));
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  auto counts = engine.RunningTaskCounts();
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(*counts, (std::map<std::string, std::uint64_t>{{"svc1", 2}, {"svc2", 1}}));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].target, "/v1.41/tasks" + TasksQuery(std::nullopt));
}

TEST(DockerEngineOrchestrator, SetReplicasRereadsAndRetriesWhenTheServiceChangedMeanwhile) {
  std::mutex mutex;
  std::uint64_t version = 19;  // guarded by mutex
  bool interfered = false;     // guarded by mutex
  FakeEngineServer server(Engine("1.41", [&](const Request& request, Reply& reply) {
    std::lock_guard lock(mutex);
    if (request.method == "GET" && request.target == "/v1.41/services/producer") {
      reply.Json(200, Service(version).dump());
    } else if (request.method == "POST" &&
               StartsWith(request.target, "/v1.41/services/svc1/update")) {
      if (!interfered) {  // someone else updated the service between our read and our write
        interfered = true;
        ++version;
        reply.Json(500, R"({"message":"rpc error: code = Unknown desc = update out of sequence"})");
        return;
      }
      ++version;
      reply.Json(200, R"({"Warnings":null})");
    } else {
      reply.Json(404, R"({"message":"unexpected"})");
    }
  }));
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());

  Status status = engine.SetReplicas("producer", 3);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(engine.update_conflicts(), 1u);
  std::vector<Request> posts;
  for (const Request& request : server.requests()) {
    if (request.method == "POST") posts.push_back(request);
  }
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].target, "/v1.41/services/svc1/update?version=19");
  EXPECT_EQ(posts[1].target, "/v1.41/services/svc1/update?version=20");
  json spec = json::parse(posts[1].body);
  EXPECT_EQ(spec["Mode"]["Replicated"]["Replicas"], 3);
  EXPECT_EQ(spec["UpdateConfig"]["Parallelism"], 1);  // the rest of the spec is kept
  EXPECT_EQ(spec["TaskTemplate"]["ContainerSpec"]["Image"], "worker:1");
}

TEST(DockerEngineOrchestrator, SetReplicasGivesUpWithConflictAfterItsRetryPolicy) {
  FakeEngineServer server(Engine("1.41", [](const Request& request, Reply& reply) {
    if (request.method == "GET") {
      reply.Json(200, Service(7).dump());
    } else {
      reply.Json(500, R"({"message":"update out of sequence"})");
    }
  }));
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());

  Status status = engine.SetReplicas("svc1", 2);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "conflict");
  EXPECT_NE(status.error().message.find("service producer"), std::string::npos);
  EXPECT_EQ(engine.update_conflicts(), static_cast<std::uint64_t>(kNoPauseRetry.attempts));
}

TEST(DockerEngineOrchestrator, SetReplicasRefusesAGlobalServiceAndSkipsANoOp) {
  FakeEngineServer server(Engine("1.41", [](const Request& request, Reply& reply) {
    if (request.target == "/v1.41/services/node-exporter") {
      reply.Json(200, Service(2, {{"Global", json::object()}}).dump());
    } else if (request.target == "/v1.41/services/producer") {
      reply.Json(200, Service(2).dump());
    } else {
      reply.Json(500, R"({"message":"must not be called"})");
    }
  }));
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());

  Status global = engine.SetReplicas("node-exporter", 2);
  ASSERT_FALSE(global.ok());
  EXPECT_EQ(global.error().code, "invalid");
  EXPECT_TRUE(engine.SetReplicas("producer", 1).ok());  // already 1 replica
  for (const Request& request : server.requests()) EXPECT_NE(request.method, "POST");
}

TEST(DockerEngineOrchestrator, AMissingServiceIsNotFoundAndNamed) {
  FakeEngineServer server(Engine("1.41", [](const Request&, Reply& reply) {
    reply.Json(404, R"({"message":"service ghost not found"})");
  }));
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  auto service = engine.InspectService("ghost");
  ASSERT_FALSE(service.ok());
  EXPECT_EQ(service.error().code, "not_found");
  EXPECT_NE(service.error().message.find("ghost"), std::string::npos);
}

TEST(DockerEngineOrchestrator, AnUnreachableEngineIsAnIoErrorNamingTheEndpoint) {
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint("/nonexistent-dir/docker.sock"), clock,
                                  FastOptions());
  auto services = engine.ListServices();
  ASSERT_FALSE(services.ok());
  EXPECT_EQ(services.error().code, "io");
  EXPECT_NE(services.error().message.find("unix:///nonexistent-dir/docker.sock"),
            std::string::npos);
}

TEST(DockerEngineOrchestrator, UpdateImageSetsTheImageAndGetUpdateStatusReadsIt) {
  FakeEngineServer server(Engine("1.41", [](const Request& request, Reply& reply) {
    if (request.method == "GET") {
      json service = Service(4);
      service["UpdateStatus"] = {{"State", "rollback_started"}, {"Message", "task failed"}};
      reply.Json(200, service.dump());
    } else {
      reply.Json(200, "{}");
    }
  }));
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  ASSERT_TRUE(engine.UpdateImage("svc1", "worker:2@sha256:abc", {}).ok());
  auto status = engine.GetUpdateStatus("svc1");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, UpdateState::kRollbackStarted);
  EXPECT_TRUE(status->Failed());
  for (const Request& request : server.requests()) {
    if (request.method != "POST") continue;
    EXPECT_EQ(request.target, "/v1.41/services/svc1/update?version=4");
    EXPECT_EQ(json::parse(request.body)["TaskTemplate"]["ContainerSpec"]["Image"],
              "worker:2@sha256:abc");
  }
}

std::string EventLine(std::string_view action, std::string_view id, std::int64_t nano) {
  return json{{"Type", "service"},
              {"Action", action},
              {"Actor", {{"ID", id}, {"Attributes", {{"name", std::string(id) + "-name"}}}}},
              {"time", nano / 1'000'000'000},
              {"timeNano", nano}}
             .dump() +
         "\n";
}

// Collects what WatchEvents reports, and lets the test wait for it.
struct EventLog {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> entries;  // "created svc-a" / "connected" / "disconnected"

  void Add(std::string entry) {
    {
      std::lock_guard lock(mutex);
      entries.push_back(std::move(entry));
    }
    changed.notify_all();
  }
  // Blocks until `entry` was added `occurrences` times.
  void WaitFor(std::string_view entry, int occurrences = 1) {
    std::unique_lock lock(mutex);
    changed.wait(lock,
                 [&] { return std::count(entries.begin(), entries.end(), entry) >= occurrences; });
  }
  std::vector<std::string> Snapshot() {
    std::lock_guard lock(mutex);
    return entries;
  }
};

TEST(DockerEngineOrchestrator, WatchEventsResumesADroppedStreamWithoutLosingOrRepeatingEvents) {
  constexpr std::int64_t kT1 = 1'700'000'100'000'000'001;
  constexpr std::int64_t kT2 = 1'700'000'200'000'000'002;
  constexpr std::int64_t kT3 = 1'700'000'300'000'000'003;
  std::atomic<int> streams{0};
  FakeEngineServer server(Engine("1.41", [&](const Request& request, Reply& reply) {
    int stream = ++streams;
    reply.StreamHead();
    if (stream == 1) {  // two events, then the connection drops
      reply.Send(EventLine("create", "a", kT1));
      reply.Send(EventLine("update", "a", kT2).substr(0, 10));  // cut mid-line: never delivered
      return;
    }
    if (stream == 2) {  // resumed at the last delivered event, which the engine repeats
      reply.Send(EventLine("create", "a", kT1));
      reply.Send(EventLine("update", "a", kT2));
      reply.Send(EventLine("remove", "a", kT3));
    }
    reply.WaitForClientClose();
    (void)request;
  }));
  ManualClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());

  EventLog log;
  WatchOptions options;
  options.on_stream_state = [&](bool connected) {
    log.Add(connected ? "connected" : "disconnected");
  };
  std::stop_source stop;
  Status result;
  std::thread watcher([&] {
    result = engine.WatchEvents(
        options,
        [&](const ServiceEvent& event) {
          log.Add(std::string(ToString(event.kind)) + " " + event.service_name);
        },
        stop.get_token());
  });
  log.WaitFor("removed a-name");
  stop.request_stop();
  watcher.join();

  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(log.Snapshot(),
            (std::vector<std::string>{"connected", "created a-name", "disconnected", "connected",
                                      "updated a-name", "removed a-name", "disconnected"}));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);  // /version, then two streams
  EXPECT_EQ(requests[1].target, "/v1.41/events" + EventsQuery(std::nullopt));
  EXPECT_EQ(requests[2].target, "/v1.41/events" + EventsQuery(kT1));
}

TEST(DockerEngineOrchestrator, WatchEventsResumesFromTheOpeningTimeWhenNoEventCameAndStops) {
  std::atomic<int> streams{0};
  FakeEngineServer server(Engine("1.41", [&](const Request&, Reply& reply) {
    reply.StreamHead();
    if (++streams == 1) return;  // dropped before any event
    reply.WaitForClientClose();
  }));
  ManualClock clock;  // 1'700'000'000 s
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());

  EventLog log;
  WatchOptions options;
  options.on_stream_state = [&](bool connected) {
    log.Add(connected ? "connected" : "disconnected");
  };
  std::stop_source stop;
  std::thread watcher([&] {
    (void)engine.WatchEvents(
        options, [](const ServiceEvent&) {}, stop.get_token());
  });
  log.WaitFor("connected", 2);
  stop.request_stop();  // the stream is idle: the stop must wake the poll
  watcher.join();

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].target, "/v1.41/events" + EventsQuery(1'699'999'999'000'000'000));
  EXPECT_EQ(log.Snapshot().back(), "disconnected");
}

TEST(DockerEngineOrchestrator, WatchEventsWarnsOnceWhileItCannotReconnectAndOnceWhenBack) {
  std::atomic<int> streams{0};
  FakeEngineServer server(Engine("1.41", [&](const Request&, Reply& reply) {
    if (++streams <= 5) {
      reply.Json(500, R"({"message":"daemon is restarting"})");
      return;
    }
    reply.StreamHead();
    reply.WaitForClientClose();
  }));
  ManualClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  testing::CapturedLog captured;

  EventLog log;
  WatchOptions options;
  options.on_stream_state = [&](bool connected) {
    if (connected) log.Add("connected");
  };
  std::vector<std::string> errors;  // read after the watcher is joined
  options.on_stream_error = [&](const Error& error) { errors.push_back(error.message); };
  std::stop_source stop;
  std::thread watcher([&] {
    (void)engine.WatchEvents(
        options, [](const ServiceEvent&) {}, stop.get_token());
  });
  log.WaitFor("connected");
  stop.request_stop();
  watcher.join();

  const auto lines = captured.Lines("Docker event stream");
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_THAT(lines[0], ::testing::StartsWith("warning: Docker event stream unreachable: "));
  EXPECT_THAT(lines[0], ::testing::HasSubstr("HTTP 500: daemon is restarting"));
  EXPECT_EQ(lines[1], "info: Docker event stream reachable again after 0s (5 failed attempts)");
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_THAT(errors.front(), ::testing::HasSubstr("HTTP 500: daemon is restarting"));
}

std::string LogFrame(unsigned char stream, std::string_view payload) {
  std::string frame = {static_cast<char>(stream), 0, 0, 0};
  auto size = static_cast<std::uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  frame.append(payload);
  return frame;
}

// An engine with images: "labeled" (scale config label), "plain" (scale_info prints a config),
// "broken" (scale_info exits 1), "nocmd" (no scale_info executable); others are not present.
FakeEngineServer::Handler ImageEngine() {
  return Engine("1.41", [](const Request& request, Reply& reply) {
    const std::string& t = request.target;
    auto image = [&](std::string_view id, json labels) {
      reply.Json(200, json{{"Id", id}, {"Config", {{"Labels", std::move(labels)}}}}.dump());
    };
    if (t == "/v1.41/images/labeled:1/json") {
      image("sha256:labeled", {{"maiev.scale_config", R"({"min":1})"}});
    } else if (t == "/v1.41/images/127.0.0.1:5000/plain@sha256:d1/json") {
      image("sha256:plain", json::object());
    } else if (t == "/v1.41/images/broken:1/json") {
      image("sha256:broken", nullptr);
    } else if (t == "/v1.41/images/nocmd:1/json") {
      image("sha256:nocmd", nullptr);
    } else if (StartsWith(t, "/v1.41/images/")) {
      reply.Json(404, R"({"message":"No such image"})");
    } else if (t == "/v1.41/containers/create") {
      std::string image_id = json::parse(request.body)["Image"];
      reply.Json(201, json{{"Id", "c-" + image_id.substr(7)}}.dump());
    } else if (t == "/v1.41/containers/c-nocmd/start") {
      reply.Json(400, R"({"message":"exec: \"scale_info\": executable file not found in $PATH"})");
    } else if (t.ends_with("/start")) {
      reply.Json(204, "");
    } else if (t == "/v1.41/containers/c-broken/wait?condition=not-running") {
      reply.Json(200, R"({"StatusCode":1})");
    } else if (t.ends_with("/wait?condition=not-running")) {
      reply.Json(200, R"({"StatusCode":0})");
    } else if (StartsWith(t, "/v1.41/containers/c-plain/logs")) {
      reply.Send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + LogFrame(2, "reading config\n") +
                 LogFrame(1, "{\"min\":") + LogFrame(1, "2}\n"));
    } else if (t.find("/logs") != std::string::npos) {
      reply.Send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + LogFrame(2, "unknown\n"));
    } else if (request.method == "DELETE") {
      reply.Json(204, "");
    } else {
      reply.Json(500, R"({"message":"unexpected request"})");
    }
  });
}

ServiceInfo WithImage(std::string image) {
  ServiceInfo service;
  service.id = "svc1";
  service.name = "producer";
  service.image = std::move(image);
  return service;
}

int CountRequests(const FakeEngineServer& server, std::string_view method,
                  std::string_view substring) {
  int n = 0;
  for (const Request& request : server.requests()) {
    n += request.method == method && request.target.find(substring) != std::string::npos;
  }
  return n;
}

TEST(DockerEngineOrchestrator, ScaleConfigFromAServiceLabelNeedsNoEngineCall) {
  FakeEngineServer server(ImageEngine());
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  ServiceInfo service = WithImage("labeled:1");
  service.labels["maiev.scale_config"] = R"({"min":0})";
  auto source = engine.ReadScaleConfigSource(service);
  ASSERT_TRUE(source.ok() && source->has_value());
  EXPECT_EQ((*source)->origin, ScaleConfigOrigin::kServiceLabel);
  EXPECT_EQ((*source)->json, R"({"min":0})");
  EXPECT_TRUE(server.requests().empty());
}

TEST(DockerEngineOrchestrator, ScaleConfigFromAnImageLabelRunsNoContainer) {
  FakeEngineServer server(ImageEngine());
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  auto source = engine.ReadScaleConfigSource(WithImage("labeled:1"));
  ASSERT_TRUE(source.ok()) << source.error().message;
  ASSERT_TRUE(source->has_value());
  EXPECT_EQ((*source)->origin, ScaleConfigOrigin::kImageLabel);
  EXPECT_EQ((*source)->json, R"({"min":1})");
  EXPECT_EQ((*source)->image_id, "sha256:labeled");
  EXPECT_EQ(CountRequests(server, "POST", "/containers/create"), 0);
}

TEST(DockerEngineOrchestrator, ScaleInfoRunsOncePerImageAndItsContainerIsRemoved) {
  FakeEngineServer server(ImageEngine());
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  for (int i = 0; i < 2; ++i) {
    // Looked up by repo@digest once the tagged+digested reference is not found.
    auto source = engine.ReadScaleConfigSource(WithImage("127.0.0.1:5000/plain:w-1@sha256:d1"));
    ASSERT_TRUE(source.ok()) << source.error().message;
    ASSERT_TRUE(source->has_value());
    EXPECT_EQ((*source)->origin, ScaleConfigOrigin::kScaleInfoCommand);
    EXPECT_EQ((*source)->json, R"({"min":2})");  // stdout only, trimmed
    EXPECT_EQ((*source)->image_id, "sha256:plain");
  }
  EXPECT_EQ(engine.scale_info_runs(), 1u);
  EXPECT_EQ(CountRequests(server, "POST", "/containers/create"), 1);
  EXPECT_EQ(CountRequests(server, "DELETE", "/containers/c-plain?force=1"), 1);
}

TEST(DockerEngineOrchestrator, AFailingOrMissingScaleInfoMeansNoConfigAndIsCached) {
  FakeEngineServer server(ImageEngine());
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  for (const char* image : {"broken:1", "nocmd:1", "broken:1", "nocmd:1"}) {
    auto source = engine.ReadScaleConfigSource(WithImage(image));
    ASSERT_TRUE(source.ok()) << image << ": " << source.error().message;
    EXPECT_FALSE(source->has_value()) << image;
  }
  EXPECT_EQ(engine.scale_info_runs(), 2u);
  EXPECT_EQ(CountRequests(server, "DELETE", "/containers/c-"), 2);
}

TEST(DockerEngineOrchestrator, AnImageNotPresentLocallyMeansNoConfigAndIsNotCached) {
  FakeEngineServer server(ImageEngine());
  SystemClock clock;
  DockerEngineOrchestrator engine(SocketEndpoint(server.socket_path()), clock, FastOptions());
  for (int i = 0; i < 2; ++i) {
    auto source = engine.ReadScaleConfigSource(WithImage("absent:1"));
    ASSERT_TRUE(source.ok()) << source.error().message;
    EXPECT_FALSE(source->has_value());
  }
  EXPECT_EQ(CountRequests(server, "GET", "/images/absent:1/json"), 2);
  EXPECT_EQ(engine.scale_info_runs(), 0u);
}

}  // namespace
}  // namespace maiev::orchestrator
