#include "orchestrator/fake_orchestrator.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace maiev::orchestrator {
namespace {

ServiceInfo Replicated(std::string id, std::string name, std::uint64_t replicas) {
  ServiceInfo service;
  service.id = std::move(id);
  service.name = std::move(name);
  service.replicas = replicas;
  service.running_tasks = replicas;
  service.image = "worker:1";
  return service;
}

TEST(FakeOrchestrator, ListsAndInspectsServicesByIdOrName) {
  FakeOrchestrator fake;
  fake.PutService(Replicated("b", "consumer", 1));
  fake.PutService(Replicated("a", "producer", 2));
  auto services = fake.ListServices();
  ASSERT_TRUE(services.ok());
  ASSERT_EQ(services->size(), 2u);
  EXPECT_EQ((*services)[0].name, "producer");  // ordered by id
  auto by_name = fake.InspectService("consumer");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->id, "b");
  auto missing = fake.InspectService("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_found");
}

TEST(FakeOrchestrator, RecordsSetReplicasAndAppliesIt) {
  FakeOrchestrator fake;
  fake.PutService(Replicated("a", "producer", 2));
  ASSERT_TRUE(fake.SetReplicas("producer", 3).ok());
  EXPECT_EQ(fake.replica_calls(), (std::vector<FakeOrchestrator::ReplicaCall>{{"producer", 3}}));
  auto service = fake.InspectService("a");
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->replicas, 3u);
  EXPECT_EQ(service->running_tasks, 3u);
  EXPECT_EQ(service->version, 1u);
}

TEST(FakeOrchestrator, RefusesToScaleAGlobalServiceAndRecordsNothing) {
  FakeOrchestrator fake;
  ServiceInfo global = Replicated("g", "node-exporter", 0);
  global.mode = ServiceMode::kGlobal;
  fake.PutService(global);
  Status status = fake.SetReplicas("g", 2);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "invalid");
  EXPECT_TRUE(fake.replica_calls().empty());
}

TEST(FakeOrchestrator, FailNextCallFailsExactlyOneCall) {
  FakeOrchestrator fake;
  fake.PutService(Replicated("a", "producer", 1));
  fake.FailNextCall(Error{"io", "engine down"});
  Status failed = fake.SetReplicas("a", 2);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "io");
  EXPECT_TRUE(fake.replica_calls().empty());
  EXPECT_TRUE(fake.SetReplicas("a", 2).ok());
}

TEST(FakeOrchestrator, UpdateImageStartsAnUpdateThatTheTestSettles) {
  FakeOrchestrator fake;
  fake.PutService(Replicated("a", "producer", 1));
  ASSERT_TRUE(fake.UpdateImage("a", "worker:2@sha256:ff", {{"maiev.upgrade.step", "{}"}}).ok());
  EXPECT_EQ(fake.image_calls(),
            (std::vector<FakeOrchestrator::ImageCall>{{"a", "worker:2@sha256:ff"}}));
  auto updating = fake.GetUpdateStatus("a");
  ASSERT_TRUE(updating.ok());
  EXPECT_EQ(updating->state, UpdateState::kUpdating);
  fake.SetUpdateState("a", UpdateState::kCompleted);
  EXPECT_EQ(fake.GetUpdateStatus("a")->state, UpdateState::kCompleted);
  EXPECT_EQ(fake.InspectService("a")->image, "worker:2@sha256:ff");
  EXPECT_EQ(fake.InspectService("a")->labels.at("maiev.upgrade.step"), "{}");
}

TEST(FakeOrchestrator, ScaleConfigPrefersTheServiceLabelThenWhatTheTestSet) {
  FakeOrchestrator fake;
  ServiceInfo service = Replicated("a", "producer", 1);
  auto none = fake.ReadScaleConfigSource(service);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  fake.SetScaleConfig("a", ScaleConfigSource{"{\"min\":1}", ScaleConfigOrigin::kImageLabel, "i"});
  auto from_image = fake.ReadScaleConfigSource(service);
  ASSERT_TRUE(from_image.ok() && from_image->has_value());
  EXPECT_EQ((*from_image)->origin, ScaleConfigOrigin::kImageLabel);

  service.labels[std::string(kScaleConfigLabel)] = "{\"min\":0}";
  auto from_label = fake.ReadScaleConfigSource(service);
  ASSERT_TRUE(from_label.ok() && from_label->has_value());
  EXPECT_EQ((*from_label)->origin, ScaleConfigOrigin::kServiceLabel);
  EXPECT_EQ((*from_label)->json, "{\"min\":0}");
}

TEST(FakeOrchestrator, WatchEventsDeliversInjectedEventsInOrderUntilStopped) {
  FakeOrchestrator fake;
  ServiceEvent created;
  created.kind = ServiceEventKind::kCreated;
  created.service_id = "a";
  ServiceEvent removed = created;
  removed.kind = ServiceEventKind::kRemoved;
  fake.InjectEvent(created);  // queued before anyone watches: still delivered

  std::mutex mutex;
  std::condition_variable seen_two;
  std::vector<ServiceEventKind> seen;  // guarded by mutex
  std::vector<bool> states;            // written by the watcher only; read after join
  std::stop_source stop;
  WatchOptions options;
  options.on_stream_state = [&](bool connected) { states.push_back(connected); };
  std::thread watcher([&] {
    Status status = fake.WatchEvents(
        options,
        [&](const ServiceEvent& event) {
          std::lock_guard lock(mutex);
          seen.push_back(event.kind);
          seen_two.notify_all();
        },
        stop.get_token());
    EXPECT_TRUE(status.ok());
  });
  fake.InjectEvent(removed);
  {
    std::unique_lock lock(mutex);
    seen_two.wait(lock, [&] { return seen.size() == 2; });
  }
  stop.request_stop();
  watcher.join();
  EXPECT_EQ(seen, (std::vector<ServiceEventKind>{ServiceEventKind::kCreated,
                                                 ServiceEventKind::kRemoved}));
  EXPECT_EQ(states, (std::vector<bool>{true, false}));
  EXPECT_EQ(fake.pending_events(), 0u);
}

}  // namespace
}  // namespace maiev::orchestrator
