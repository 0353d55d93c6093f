#include "control/autoscaler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <optional>

#include "control/recording_event_sink.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/faulty_store.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::control {
namespace {

using orchestrator::FakeOrchestrator;
using orchestrator::ServiceInfo;
using orchestrator::ServiceMode;
using ::testing::ElementsAre;
using ::testing::StartsWith;

constexpr const char* kWorkerConfig = R"({
  "min": 1, "max": 4,
  "policy": {"reapply_interval": "2s"},
  "scale": {
    "resources": [{"name": "rmq", "monitorer": "monitorer_rabbitmq", "identifier": "q1"}],
    "rules": [
      {"name": "backlog", "expression": "rmq:waiting > 0"},
      {"name": "idle", "expression": "rmq:waiting == 0"}
    ],
    "scale_up": "rules:backlog",
    "scale_down": "rules:idle and rules:idle:since > \"10s\""
  }
})";

// Queue metrics set by the test; Track calls recorded.
class FakeQueues final : public monitor::QueueMetricsSource {
 public:
  void Track(std::set<std::string> queues) override { tracked = std::move(queues); }
  std::map<std::string, monitor::QueueMetrics> Snapshot(TimePoint /*now*/) const override {
    std::map<std::string, monitor::QueueMetrics> out;
    for (const auto& q : tracked) {
      auto it = metrics.find(q);
      out[q] = it == metrics.end() ? monitor::QueueMetrics{} : it->second;
    }
    return out;
  }
  void SetWaiting(const std::string& queue, double waiting) {
    monitor::QueueMetrics m;
    m.exists = true;
    m.waiting = waiting;
    m.consumers = 1;
    metrics[queue] = m;
  }

  std::set<std::string> tracked;
  std::map<std::string, monitor::QueueMetrics> metrics;
};

ServiceInfo Service(std::string id, std::string name, std::uint64_t replicas,
                    std::optional<std::string> config = kWorkerConfig,
                    ServiceMode mode = ServiceMode::kReplicated) {
  return orchestrator::LabelledService(std::move(id), std::move(name), replicas, std::move(config),
                                       mode);
}

class AutoscalerTest : public ::testing::Test {
 protected:
  AutoscalerTest() : store_(std::move(store::SqliteStore::Open(":memory:").value())) {}

  std::unique_ptr<Autoscaler> Make() {
    return std::make_unique<Autoscaler>(docker_, queues_, *store_, clock_);
  }
  // One that publishes to events_.
  std::unique_ptr<Autoscaler> MakeWithEvents() {
    return std::make_unique<Autoscaler>(docker_, queues_, *store_, clock_, &events_);
  }
  // The status of service `name`, or nullopt when the autoscaler does not know it.
  static std::optional<ServiceStatus> StatusOf(const Autoscaler& autoscaler,
                                               const std::string& name) {
    for (auto& s : autoscaler.Snapshot()) {
      if (s.name == name) return std::move(s);
    }
    return std::nullopt;
  }
  // A rule of a status; fails the test when absent.
  static RuleStatus Rule(const ServiceStatus& status, const std::string& name) {
    for (const RuleStatus& rule : status.rules) {
      if (rule.name == name) return rule;
    }
    ADD_FAILURE() << "no rule " << name;
    return {};
  }
  static bool HasRule(const ServiceStatus& status, const std::string& name) {
    for (const RuleStatus& rule : status.rules) {
      if (rule.name == name) return true;
    }
    return false;
  }
  // How long a rule had its value as of the status's latest cycle.
  static double SinceSeconds(const ServiceStatus& status, const std::string& rule) {
    return SecondsBetween(Rule(status, rule).since, status.evaluated_at.value());
  }
  // The latest metrics of a resource; nullopt when none were fresh (or the resource is absent).
  static std::optional<monitor::QueueMetrics> MetricsOf(const ServiceStatus& status,
                                                        const std::string& resource) {
    for (const ResourceStatus& r : status.resources) {
      if (r.name == resource) return r.metrics;
    }
    return std::nullopt;
  }
  // The same with its explanation as data, as the API shows one service.
  static std::optional<ServiceStatus> ExplainedStatusOf(const Autoscaler& autoscaler,
                                                        const std::string& name) {
    auto status = autoscaler.ServiceSnapshot(name);
    if (status) {
      EXPECT_EQ(status->last_reason, StatusOf(autoscaler, name)->last_reason);
      EXPECT_EQ(status->explanation["text"], status->last_reason);
    }
    return status;
  }
  static std::string StateOf(const Autoscaler& autoscaler, const std::string& name) {
    const auto status = StatusOf(autoscaler, name);
    return status ? status->state : "absent";
  }
  static const ServiceStatus* Find(const std::vector<ServiceStatus>& list,
                                   const std::string& name) {
    for (const auto& s : list) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  FakeOrchestrator docker_;
  FakeQueues queues_;
  std::unique_ptr<store::SqliteStore> store_;
  ManualClock clock_;
  testing::RecordingEventSink events_;
};

TEST_F(AutoscalerTest, DiscoverClassifiesServicesByTheirConfig) {
  docker_.PutService(Service("1", "worker", 1));
  docker_.PutService(Service("2", "plain", 1, std::nullopt));
  docker_.PutService(Service("3", "broken", 1, R"({"min": 5, "max": 2})"));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());

  const auto status = autoscaler->Snapshot();
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(Find(status, "worker")->state, "monitored");
  EXPECT_EQ(Find(status, "plain")->state, "unconfigured");
  const ServiceStatus* broken = Find(status, "broken");
  EXPECT_EQ(broken->state, "invalid");
  ASSERT_FALSE(broken->config_errors.empty());
  EXPECT_THAT(broken->config_errors.front(), ::testing::HasSubstr("min (5) > max (2)"));
  EXPECT_EQ(queues_.tracked, std::set<std::string>{"q1"});
}

TEST_F(AutoscalerTest, ScalesUpOnBacklogAndRecordsTheDecision) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 50);

  autoscaler->RunCycle();

  EXPECT_EQ(docker_.replica_calls(), (std::vector<FakeOrchestrator::ReplicaCall>{{"1", 2}}));
  auto decisions = store_->RecentDecisions(10);
  ASSERT_TRUE(decisions.ok());
  ASSERT_EQ(decisions->size(), 1u);
  EXPECT_EQ(decisions->front().service, "worker");
  EXPECT_EQ(decisions->front().old_replicas, 1);
  EXPECT_EQ(decisions->front().new_replicas, 2);
  EXPECT_THAT(decisions->front().rule_values_json, ::testing::HasSubstr("backlog"));
  EXPECT_THAT(decisions->front().metrics_json, ::testing::HasSubstr("\"waiting\":50"));
}

TEST_F(AutoscalerTest, ReappliesWhileTheTriggerHoldsButNotFasterThanTheInterval) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 50);

  autoscaler->RunCycle();  // 1 → 2
  clock_.Advance(Duration{1.0});
  autoscaler->RunCycle();  // too soon
  clock_.Advance(Duration{1.5});
  autoscaler->RunCycle();  // 2 → 3
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(Duration{3.0});
    autoscaler->RunCycle();
  }
  const auto calls = docker_.replica_calls();
  ASSERT_EQ(calls.size(), 3u);  // 2, 3, 4 and then held at max
  EXPECT_EQ(calls[1].replicas, 3u);
  EXPECT_EQ(calls[2].replicas, 4u);
}

TEST_F(AutoscalerTest, NeverTouchesServicesWithoutValidConfigOrInGlobalMode) {
  docker_.PutService(Service("2", "plain", 1, std::nullopt));
  docker_.PutService(Service("3", "broken", 1, R"({"min": "x"})"));
  docker_.PutService(Service("4", "agent", 0, kWorkerConfig, ServiceMode::kGlobal));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 50);
  for (int i = 0; i < 5; ++i) {
    autoscaler->RunCycle();
    clock_.Advance(Duration{5.0});
  }
  EXPECT_TRUE(docker_.replica_calls().empty());
  const auto status = autoscaler->Snapshot();
  EXPECT_THAT(Find(status, "agent")->last_reason, ::testing::HasSubstr("global"));
}

TEST_F(AutoscalerTest, NeverScalesDownWhileMetricsAreMissing) {
  docker_.PutService(Service("1", "worker", 3));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  for (int i = 0; i < 20; ++i) {  // no metrics at all for q1
    autoscaler->RunCycle();
    clock_.Advance(Duration{5.0});
  }
  EXPECT_TRUE(docker_.replica_calls().empty());
}

TEST_F(AutoscalerTest, ScalesDownOnceTheQueueHasBeenIdleLongEnough) {
  docker_.PutService(Service("1", "worker", 3));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 0);
  autoscaler->RunCycle();
  EXPECT_TRUE(docker_.replica_calls().empty());  // idle since 0 s
  clock_.Advance(Duration{11.0});
  autoscaler->RunCycle();
  EXPECT_EQ(docker_.replica_calls(), (std::vector<FakeOrchestrator::ReplicaCall>{{"1", 2}}));
}

TEST_F(AutoscalerTest, RuleSinceIsKeptWhileMetricsAreMissing) {
  docker_.PutService(Service("1", "worker", 3));
  queues_.SetWaiting("q1", 0);
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  autoscaler->RunCycle();  // idle becomes true now
  queues_.metrics.erase("q1");
  clock_.Advance(Duration{6.0});
  autoscaler->RunCycle();  // no metrics: rules are not evaluated on missing data
  queues_.SetWaiting("q1", 0);
  clock_.Advance(Duration{6.0});
  autoscaler->RunCycle();
  const auto worker = StatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  EXPECT_DOUBLE_EQ(SinceSeconds(*worker, "idle"), 12.0);
  EXPECT_EQ(docker_.replica_calls(), (std::vector<FakeOrchestrator::ReplicaCall>{{"1", 2}}));
}

// A full disk: the service is still scaled, and what the store could not take (the decision,
// the rules' new states) waits in memory and is written once it can, in order.
TEST_F(AutoscalerTest, AStoreThatCannotBeWrittenDelaysDecisionsAndRuleHistoryWithoutLosingThem) {
  store::FaultyStore disk(*store_);
  docker_.PutService(Service("1", "worker", 1));
  queues_.SetWaiting("q1", 0);
  Autoscaler autoscaler(docker_, queues_, disk, clock_);
  ASSERT_TRUE(autoscaler.Discover().ok());
  autoscaler.RunCycle();  // idle since now, stored
  const TimePoint idle_since = clock_.Now();

  disk.SetDiskFull(true);
  clock_.Advance(Duration{1.0});
  queues_.SetWaiting("q1", 50);
  autoscaler.RunCycle();  // backlog: 1 → 2, not recorded yet
  clock_.Advance(Duration{3.0});
  autoscaler.RunCycle();  // still backlog: 2 → 3 after the reapply interval
  EXPECT_EQ(docker_.replica_calls(),
            (std::vector<FakeOrchestrator::ReplicaCall>{{"1", 2}, {"1", 3}}));
  EXPECT_GT(disk.refused_writes(), 0);
  EXPECT_EQ(autoscaler.unrecorded_decisions().waiting, 2U);
  auto stored = store_->RecentDecisions(10);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
  auto history = store_->LoadRuleHistory("worker");
  ASSERT_TRUE(history.ok());
  EXPECT_FALSE(history->at("backlog").value);  // the store's view lags
  EXPECT_EQ(history->at("idle").since, idle_since);

  disk.SetDiskFull(false);
  clock_.Advance(Duration{1.0});
  autoscaler.RunCycle();
  EXPECT_EQ(autoscaler.unrecorded_decisions().waiting, 0U);
  EXPECT_EQ(autoscaler.unrecorded_decisions().delayed, 2U);
  EXPECT_EQ(autoscaler.unrecorded_decisions().dropped, 0U);
  stored = store_->RecentDecisions(10);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2U);
  EXPECT_EQ((*stored)[0].new_replicas, 3);  // newest first, with the times they were decided
  EXPECT_EQ((*stored)[1].new_replicas, 2);
  EXPECT_EQ((*stored)[1].time, idle_since + std::chrono::seconds{1});
  history = store_->LoadRuleHistory("worker");
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->at("backlog").value);
  EXPECT_EQ(history->at("backlog").since, idle_since + std::chrono::seconds{1});
  EXPECT_FALSE(history->at("idle").value);
}

// Counts the writes that reach the store.
class CountingStore final : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  int writes = 0;

 private:
  Status Before(Access access) override {
    if (access == Access::kWrite) ++writes;
    return {};
  }
};

// A load that ends everywhere flips every service's rules in one cycle: their new states are
// stored in one transaction, not one per service (10,000 commits took 0.4 s of a cycle).
TEST_F(AutoscalerTest, RuleStatesChangedInOneCycleAreStoredInOneWrite) {
  CountingStore counting(*store_);
  for (int i = 1; i <= 3; ++i) {
    docker_.PutService(Service(std::to_string(i), "worker-" + std::to_string(i), 4));  // at max
  }
  queues_.SetWaiting("q1", 0);
  Autoscaler autoscaler(docker_, queues_, counting, clock_);
  ASSERT_TRUE(autoscaler.Discover().ok());
  const int before = counting.writes;
  autoscaler.RunCycle();  // every rule evaluated for the first time
  EXPECT_EQ(counting.writes - before, 1);

  clock_.Advance(Duration{1.0});
  autoscaler.RunCycle();  // nothing changed: nothing written
  EXPECT_EQ(counting.writes - before, 1);

  clock_.Advance(Duration{1.0});
  queues_.SetWaiting("q1", 50);  // backlog everywhere; at max, so no decision is written
  autoscaler.RunCycle();
  EXPECT_EQ(counting.writes - before, 2);
  EXPECT_TRUE(docker_.replica_calls().empty());
  for (int i = 1; i <= 3; ++i) {
    auto history = store_->LoadRuleHistory("worker-" + std::to_string(i));
    ASSERT_TRUE(history.ok());
    EXPECT_TRUE(history->at("backlog").value);
    EXPECT_EQ(history->at("backlog").since, clock_.Now());
    EXPECT_FALSE(history->at("idle").value);
  }
}

TEST_F(AutoscalerTest, RefreshTaskCountsUpdatesRunningTasks) {
  ServiceInfo worker = Service("1", "worker", 3);
  worker.running_tasks = 1;
  docker_.PutService(worker);
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  worker.running_tasks = 3;
  docker_.PutService(worker);
  ASSERT_TRUE(autoscaler->RefreshTaskCounts().ok());
  const auto status = StatusOf(*autoscaler, "worker");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->running_tasks, std::optional<std::uint64_t>(3));
}

TEST_F(AutoscalerTest, RuleSinceSurvivesARestart) {
  docker_.PutService(Service("1", "worker", 3));
  queues_.SetWaiting("q1", 0);
  {
    auto first = Make();
    ASSERT_TRUE(first->Discover().ok());
    first->RunCycle();  // idle becomes true now
  }
  clock_.Advance(Duration{11.0});
  auto second = Make();  // a new process reading the same store
  ASSERT_TRUE(second->Discover().ok());
  second->RunCycle();
  EXPECT_EQ(docker_.replica_calls(), (std::vector<FakeOrchestrator::ReplicaCall>{{"1", 2}}));
  const auto worker = StatusOf(*second, "worker");
  ASSERT_TRUE(worker);
  EXPECT_DOUBLE_EQ(SinceSeconds(*worker, "idle"), 11.0);
}

TEST_F(AutoscalerTest, ARefreshedConfigKeepsTheStatesOfTheRulesItStillHas) {
  docker_.PutService(Service("1", "worker", 3));
  queues_.SetWaiting("q1", 0);
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  autoscaler->RunCycle();  // idle becomes true now
  clock_.Advance(Duration{5.0});
  std::string changed = kWorkerConfig;
  changed.replace(changed.find("\"max\": 4"), 8, "\"max\": 5");
  for (std::size_t at; (at = changed.find("backlog")) != std::string::npos;) {
    changed.replace(at, 7, "busy");
  }
  docker_.PutService(Service("1", "worker", 3, changed));
  ASSERT_TRUE(autoscaler->Refresh("1").ok());
  clock_.Advance(Duration{6.0});
  autoscaler->RunCycle();

  EXPECT_EQ(docker_.replica_calls(), (std::vector<FakeOrchestrator::ReplicaCall>{{"1", 2}}));
  const auto worker = StatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->max, 5);
  EXPECT_DOUBLE_EQ(SinceSeconds(*worker, "idle"), 11.0);
  EXPECT_FALSE(Rule(*worker, "busy").value);
  EXPECT_FALSE(HasRule(*worker, "backlog"));
  const auto rmq = MetricsOf(*worker, "rmq");
  ASSERT_TRUE(rmq);
  EXPECT_EQ(rmq->waiting, 0.0);
  EXPECT_EQ(rmq->exists, true);
  EXPECT_FALSE(rmq->latency);  // missing metrics stay missing
}

TEST_F(AutoscalerTest, SnapshotShowsAnInfiniteLatencyAndTheRateWindow) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  monitor::QueueMetrics stuck;
  stuck.exists = true;
  stuck.waiting = 40;
  stuck.consumers = 2;
  stuck.exec_rate = 0;
  stuck.latency = std::numeric_limits<double>::infinity();
  stuck.stalled = true;
  stuck.rate_window = 20.5;
  queues_.metrics["q1"] = stuck;
  autoscaler->RunCycle();
  const auto worker = StatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  const auto rmq = MetricsOf(*worker, "rmq");
  ASSERT_TRUE(rmq);
  EXPECT_EQ(rmq->latency, std::numeric_limits<double>::infinity());
  EXPECT_EQ(rmq->stalled, true);
  EXPECT_EQ(rmq->rate_window, 20.5);
  // As the API and the decision records write them.
  const nlohmann::json json = monitor::MetricsToJson(*rmq);
  EXPECT_EQ(json["latency"], "inf");
  EXPECT_EQ(json["rate_window"], 20.5);
  EXPECT_EQ(monitor::MetricsFromJson(json).value(), *rmq);
}

TEST_F(AutoscalerTest, SnapshotShowsAResourceWithoutMetricsAsNull) {
  docker_.PutService(Service("1", "worker", 3));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  const auto before = StatusOf(*autoscaler, "worker");
  ASSERT_TRUE(before);
  ASSERT_EQ(before->resources.size(), 1u);
  EXPECT_EQ(before->resources[0].queue, "q1");
  EXPECT_FALSE(before->resources[0].metrics);  // no cycle yet
  EXPECT_FALSE(before->evaluated_at);
  autoscaler->RunCycle();  // q1 has no sample
  const auto worker = StatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  EXPECT_FALSE(MetricsOf(*worker, "rmq"));
  EXPECT_TRUE(worker->rules.empty());  // never evaluated, nothing stored
  EXPECT_TRUE(docker_.replica_calls().empty());
}

TEST_F(AutoscalerTest, PausedServicesAreEvaluatedButNotScaled) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  ASSERT_TRUE(autoscaler->SetPaused("worker", true).ok());
  queues_.SetWaiting("q1", 50);
  autoscaler->RunCycle();
  EXPECT_TRUE(docker_.replica_calls().empty());
  EXPECT_EQ(StateOf(*autoscaler, "worker"), "paused");
  EXPECT_FALSE(autoscaler->SetPaused("nope", true).ok());

  ASSERT_TRUE(autoscaler->SetPaused("worker", false).ok());
  autoscaler->RunCycle();
  EXPECT_EQ(docker_.replica_calls().size(), 1u);
}

TEST_F(AutoscalerTest, AFailedScaleRequestIsRetriedNextCycle) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 50);
  docker_.FailNextCall(Error{"io", "engine unreachable"});
  autoscaler->RunCycle();
  const auto status = autoscaler->Snapshot();
  EXPECT_THAT(Find(status, "worker")->last_reason, ::testing::HasSubstr("engine unreachable"));
  autoscaler->RunCycle();
  EXPECT_EQ(docker_.replica_calls(), (std::vector<FakeOrchestrator::ReplicaCall>{{"1", 2}}));
}

TEST_F(AutoscalerTest, ADecisionIsLoggedAndRecordedWithWhyItsTriggerFired) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 50);
  autoscaler->RunCycle();

  auto decisions = store_->RecentDecisions(1);
  ASSERT_TRUE(decisions.ok());
  ASSERT_EQ(decisions->size(), 1u);
  const store::DecisionRecord& d = decisions->front();
  EXPECT_EQ(d.reason, "1 → 2: scale_up: rules:backlog ← rmq:waiting 50 > 0");
  const auto json = nlohmann::json::parse(d.explanation_json);
  EXPECT_EQ(json["text"], d.reason);
  EXPECT_EQ(json["decision"]["kind"], "scaled");
  EXPECT_EQ(json["decision"]["trigger"], "scale_up");
  EXPECT_EQ(json["decision"]["from"], 1);
  EXPECT_EQ(json["decision"]["to"], 2);
  EXPECT_EQ(json["rules"]["scale_up"]["terms"][0]["operand"]["rule"], "backlog");
  const auto& leaf = json["rules"]["rules"]["backlog"]["terms"][0];
  EXPECT_EQ(leaf["lhs"]["text"], "rmq:waiting");
  EXPECT_EQ(leaf["lhs"]["value"], 50);
  EXPECT_EQ(StatusOf(*autoscaler, "worker")->last_reason, d.reason);
}

TEST_F(AutoscalerTest, StatusExplainsHoldsToo) {
  docker_.PutService(Service("1", "worker", 4));  // at max
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 50);
  autoscaler->RunCycle();
  auto worker = ExplainedStatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->last_reason, "at max 4: scale_up: rules:backlog ← rmq:waiting 50 > 0");
  EXPECT_EQ(worker->explanation["decision"]["kind"], "at_max");
  EXPECT_EQ(worker->explanation["decision"]["max"], 4);
  EXPECT_TRUE(docker_.replica_calls().empty());
  EXPECT_TRUE(store_->RecentDecisions(10)->empty());  // holds are not recorded

  queues_.SetWaiting("q1", 0);  // idle, but not for long enough
  clock_.Advance(Duration{1.0});
  autoscaler->RunCycle();
  worker = ExplainedStatusOf(*autoscaler, "worker");
  EXPECT_EQ(worker->last_reason,
            "no trigger: scale_up false: rules:backlog false ← rmq:waiting 0 > 0 is false; "
            "scale_down false: rules:idle:since 0s > 10s is false");
}

TEST_F(AutoscalerTest, StatusExplainsAReapplyWait) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 50);
  autoscaler->RunCycle();  // 1 → 2
  clock_.Advance(Duration{0.5});
  autoscaler->RunCycle();
  const auto worker = ExplainedStatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->last_reason, "re-apply in 1.5 s: scale_up: rules:backlog ← rmq:waiting 50 > 0");
  EXPECT_DOUBLE_EQ(worker->explanation["decision"]["seconds_left"].get<double>(), 1.5);
}

TEST_F(AutoscalerTest, StatusSaysWhichMetricsAreMissingAndHowStale) {
  docker_.PutService(Service("1", "worker", 2));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  autoscaler->RunCycle();  // q1 never sampled
  EXPECT_EQ(ExplainedStatusOf(*autoscaler, "worker")->last_reason,
            "metrics missing: rmq no sample yet");

  monitor::QueueMetrics stale;  // every metric missing, the newest sample 16 s old
  stale.newest_sample_at = clock_.Now() - std::chrono::seconds{16};
  queues_.metrics["q1"] = stale;
  autoscaler->RunCycle();
  const auto worker = ExplainedStatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->last_reason, "metrics missing: rmq stale 16 s");
  EXPECT_EQ(worker->explanation["decision"]["kind"], "metrics_missing");
  EXPECT_EQ(worker->explanation["decision"]["missing"][0]["resource"], "rmq");
  EXPECT_DOUBLE_EQ(worker->explanation["decision"]["missing"][0]["stale_seconds"].get<double>(),
                   16.0);
  EXPECT_TRUE(worker->explanation["rules"].is_null());  // rules are not evaluated
}

TEST_F(AutoscalerTest, PausedServiceSaysWhatItWouldDo) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  ASSERT_TRUE(autoscaler->SetPaused("worker", true).ok());
  queues_.SetWaiting("q1", 50);
  autoscaler->RunCycle();
  const auto worker = ExplainedStatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->last_reason,
            "paused: would be 1 → 2: scale_up: rules:backlog ← rmq:waiting 50 > 0");
  EXPECT_EQ(worker->explanation["decision"]["paused"], true);
  EXPECT_TRUE(docker_.replica_calls().empty());
}

TEST_F(AutoscalerTest, AFailedScaleRequestIsRecordedWithItsExplanation) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 50);
  docker_.FailNextCall(Error{"io", "engine unreachable"});
  autoscaler->RunCycle();
  const auto decisions = store_->RecentDecisions(1);
  ASSERT_EQ(decisions->size(), 1u);
  EXPECT_EQ(decisions->front().new_replicas, 1);
  EXPECT_EQ(decisions->front().reason,
            "failed to scale (engine unreachable): 1 → 2: scale_up: rules:backlog ← rmq:waiting "
            "50 > 0");
  EXPECT_EQ(nlohmann::json::parse(decisions->front().explanation_json)["error"],
            "engine unreachable");
  const auto worker = ExplainedStatusOf(*autoscaler, "worker");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->last_reason, decisions->front().reason);
  EXPECT_EQ(worker->explanation["error"], "engine unreachable");
}

TEST_F(AutoscalerTest, RemovedServicesAreForgotten) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  autoscaler->Remove("1");
  EXPECT_TRUE(autoscaler->Snapshot().empty());
  EXPECT_TRUE(queues_.tracked.empty());
}

TEST_F(AutoscalerTest, AConfigSetThroughTheApiWinsOverTheLabelsUntilUnset) {
  docker_.PutService(Service("1", "worker", 3));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  auto set = autoscaler->SetConfig("worker", R"({"min": 2, "max": 9})");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->config_origin, "api");
  EXPECT_EQ(set->state, kStateSized);
  EXPECT_EQ(set->max, 9);

  // Kept by the store: a new process reads it again, and a label change does not undo it.
  auto second = Make();
  ASSERT_TRUE(second->Discover().ok());
  EXPECT_EQ(StatusOf(*second, "worker")->config_origin, "api");
  EXPECT_EQ(StatusOf(*second, "worker")->max, 9);

  auto unset = second->UnsetConfig("worker");
  ASSERT_TRUE(unset.ok()) << unset.error().message;
  EXPECT_EQ(unset->config_origin, "service_label");
  EXPECT_EQ(unset->max, 4);
  EXPECT_EQ(unset->state, kStateMonitored);
}

TEST_F(AutoscalerTest, AnInvalidConfigFromTheApiChangesNothingAndSaysWhere) {
  docker_.PutService(Service("1", "worker", 3));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  auto set = autoscaler->SetConfig("worker", R"({"min": 5, "max": 2})");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, "invalid");
  EXPECT_THAT(set.error().message, ::testing::HasSubstr("max"));
  EXPECT_FALSE(autoscaler->SetConfig("worker", "{not json").ok());
  EXPECT_EQ(autoscaler->SetConfig("nobody", R"({"min": 1, "max": 2})").error().code, "not_found");
  EXPECT_EQ(StatusOf(*autoscaler, "worker")->config_origin, "service_label");
  EXPECT_EQ(StatusOf(*autoscaler, "worker")->max, 4);
}

TEST_F(AutoscalerTest, AnOperatorsScaleStaysWithinBoundsUnlessForcedAndPausesAutoscaling) {
  docker_.PutService(Service("1", "worker", 3));
  docker_.PutService(Service("2", "agent", 1, kWorkerConfig, ServiceMode::kGlobal));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  EXPECT_EQ(autoscaler->Scale("worker", 7, false).error().code, "invalid");
  EXPECT_EQ(autoscaler->Scale("agent", 2, false).error().code, "conflict");
  EXPECT_EQ(autoscaler->Scale("nobody", 2, false).error().code, "not_found");
  EXPECT_TRUE(docker_.replica_calls().empty());

  auto scaled = autoscaler->Scale("worker", 4, false);
  ASSERT_TRUE(scaled.ok()) << scaled.error().message;
  EXPECT_EQ(scaled->from, 3);
  EXPECT_EQ(scaled->to, 4);
  EXPECT_EQ(StatusOf(*autoscaler, "worker")->state, kStatePaused);
  ASSERT_TRUE(autoscaler->Scale("worker", 7, true).ok());
  EXPECT_EQ(docker_.replica_calls(),
            (std::vector<FakeOrchestrator::ReplicaCall>{{"1", 4}, {"1", 7}}));

  // The pause holds: an idle queue does not bring it back down.
  queues_.SetWaiting("q1", 0);
  clock_.Advance(Duration{60.0});
  autoscaler->RunCycle();
  clock_.Advance(Duration{60.0});
  autoscaler->RunCycle();
  EXPECT_EQ(docker_.replica_calls().size(), 2u);
  auto decisions = store_->RecentDecisions(5, "worker");
  ASSERT_TRUE(decisions.ok());
  ASSERT_EQ(decisions->size(), 2u);
  EXPECT_THAT(decisions->front().reason, ::testing::HasSubstr("set by an operator"));
  EXPECT_EQ(decisions->front().new_replicas, 7);
}

TEST_F(AutoscalerTest, ARuleTestReadsTheLatestMetricsAndSaysWhereAnExpressionIsWrong) {
  docker_.PutService(Service("1", "worker", 3));
  docker_.PutService(Service("2", "plain", 1, std::nullopt));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  queues_.SetWaiting("q1", 12);
  autoscaler->RunCycle();
  auto yes = autoscaler->TestRule("worker", "rmq:waiting > 10 and rules:backlog");
  ASSERT_TRUE(yes.ok()) << yes.error().message;
  EXPECT_TRUE(yes->explanation.scale_up.value);
  auto no = autoscaler->TestRule("worker", "rmq:waiting > 100");
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->explanation.scale_up.value);
  auto bad = autoscaler->TestRule("worker", "rmq:waitng > 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid");
  EXPECT_THAT(bad.error().message, ::testing::HasSubstr("col 1"));
  EXPECT_EQ(autoscaler->TestRule("plain", "true").error().code, "conflict");
  EXPECT_EQ(autoscaler->TestRule("nobody", "true").error().code, "not_found");
}

TEST_F(AutoscalerTest, HistoryKeepsOneSamplePerCycleWithinItsBound) {
  docker_.PutService(Service("1", "worker", 3));
  auto autoscaler = Make();
  ASSERT_TRUE(autoscaler->Discover().ok());
  EXPECT_FALSE(autoscaler->History("nobody", Duration{60.0}));
  for (std::size_t i = 0; i < kHistoryCapacity + 10; ++i) {
    queues_.SetWaiting("q1", static_cast<double>(i));
    autoscaler->RunCycle();
    clock_.Advance(Duration{1.0});
  }
  auto all = autoscaler->History("worker", Duration{1e6});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->resources, std::vector<std::string>{"rmq"});
  ASSERT_EQ(all->samples.size(), kHistoryCapacity);  // the oldest were dropped
  ASSERT_TRUE(all->samples.back().resources.at(0));
  EXPECT_EQ(all->samples.back().resources[0]->waiting, kHistoryCapacity + 9.0);
  auto recent = autoscaler->History("worker", Duration{5.0});
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->samples.size(), 5u);
}

TEST_F(AutoscalerTest, DiscoveryPublishesServicesAddedRemovedAndTheirConfigErrors) {
  docker_.PutService(Service("1", "worker", 1));
  docker_.PutService(Service("3", "broken", 1, R"({"min": 5, "max": 2})"));
  auto autoscaler = MakeWithEvents();
  ASSERT_TRUE(autoscaler->Discover().ok());
  const auto lines = events_.TakeLines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "service worker added");
  EXPECT_EQ(lines[1], "service broken added");
  EXPECT_THAT(lines[2], StartsWith("config_error broken: "));
  EXPECT_THAT(lines[2], ::testing::HasSubstr("min (5) > max (2)"));

  // Nothing changed: a re-listing publishes nothing.
  ASSERT_TRUE(autoscaler->Discover().ok());
  EXPECT_TRUE(events_.TakeLines().empty());

  docker_.RemoveService("3");
  ASSERT_TRUE(autoscaler->Discover().ok());
  EXPECT_THAT(events_.TakeLines(), ElementsAre("service broken removed"));
}

TEST_F(AutoscalerTest, ARefreshPublishesOnlyWhatChangedTheConfig) {
  docker_.PutService(Service("1", "worker", 1));
  auto autoscaler = MakeWithEvents();
  ASSERT_TRUE(autoscaler->Discover().ok());
  events_.Take();

  // A new image with the same config: nothing to tell.
  docker_.EditService("1", [](ServiceInfo& s) { s.image = "worker:2"; });
  ASSERT_TRUE(autoscaler->Refresh("1").ok());
  EXPECT_TRUE(events_.TakeLines().empty());

  docker_.EditService("1", [](ServiceInfo& s) {
    s.labels[std::string(orchestrator::kScaleConfigLabel)] = R"({"min": 1, "max": 2})";
  });
  ASSERT_TRUE(autoscaler->Refresh("1").ok());
  EXPECT_THAT(events_.TakeLines(), ElementsAre("service worker config_changed"));

  docker_.EditService("1", [](ServiceInfo& s) {
    s.labels[std::string(orchestrator::kScaleConfigLabel)] = "{not json";
  });
  ASSERT_TRUE(autoscaler->Refresh("1").ok());
  const auto lines = events_.TakeLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "service worker config_changed");
  EXPECT_THAT(lines[1], StartsWith("config_error worker: "));

  docker_.PutService(Service("2", "late", 1));
  ASSERT_TRUE(autoscaler->Refresh("2").ok());
  EXPECT_THAT(events_.TakeLines(), ElementsAre("service late added"));
  autoscaler->Remove("late");
  autoscaler->Remove("late");  // unknown by now: nothing
  EXPECT_THAT(events_.TakeLines(), ElementsAre("service late removed"));
}

TEST_F(AutoscalerTest, PauseResumeAndConfigsOfTheApiArePublishedWhenTheyChangeSomething) {
  docker_.PutService(Service("1", "worker", 3));
  auto autoscaler = MakeWithEvents();
  ASSERT_TRUE(autoscaler->Discover().ok());
  events_.Take();

  ASSERT_TRUE(autoscaler->SetPaused("worker", true).ok());
  ASSERT_TRUE(autoscaler->SetPaused("worker", true).ok());  // already paused
  ASSERT_TRUE(autoscaler->SetPaused("worker", false).ok());
  EXPECT_FALSE(autoscaler->SetPaused("nobody", true).ok());
  EXPECT_THAT(events_.TakeLines(), ElementsAre("service worker paused", "service worker resumed"));

  ASSERT_TRUE(autoscaler->SetConfig("worker", R"({"min": 2, "max": 9})").ok());
  ASSERT_FALSE(autoscaler->SetConfig("worker", R"({"min": 5, "max": 2})").ok());  // refused
  ASSERT_TRUE(autoscaler->UnsetConfig("worker").ok());
  ASSERT_TRUE(autoscaler->UnsetConfig("worker").ok());  // nothing to unset
  EXPECT_THAT(events_.TakeLines(),
              ElementsAre("service worker config_changed", "service worker config_changed"));
}

TEST_F(AutoscalerTest, ACycleScalingPublishesTheDecisionAsStoredThenTheCycle) {
  docker_.PutService(Service("1", "worker", 1));
  docker_.PutService(Service("2", "plain", 1, std::nullopt));
  auto autoscaler = MakeWithEvents();
  ASSERT_TRUE(autoscaler->Discover().ok());
  events_.Take();

  queues_.SetWaiting("q1", 50);
  clock_.Advance(Duration{5.0});
  autoscaler->RunCycle();
  auto events = events_.Take();
  ASSERT_EQ(events.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<DecisionEvent>(events[0]));
  const store::DecisionRecord& decision = std::get<DecisionEvent>(events[0]).decision;
  EXPECT_EQ(decision, store_->RecentDecisions(1)->front());  // with the store's id
  EXPECT_EQ(testing::Describe(events[0]), "decision worker 1 -> 2 #1");
  ASSERT_TRUE(std::holds_alternative<CycleEvent>(events[1]));
  const CycleEvent& cycle = std::get<CycleEvent>(events[1]);
  EXPECT_EQ(cycle.time, clock_.Now());
  EXPECT_EQ(cycle.services, 1u);  // the unconfigured service is not evaluated
  EXPECT_EQ(cycle.decisions, 1u);
  EXPECT_GE(cycle.duration_ms, 0.0);

  // A hold publishes the cycle only.
  autoscaler->RunCycle();
  EXPECT_THAT(events_.TakeLines(), ElementsAre("cycle services=1 decisions=0"));
}

TEST_F(AutoscalerTest, AnOperatorsScalePublishesThePauseThenTheDecision) {
  docker_.PutService(Service("1", "worker", 3));
  auto autoscaler = MakeWithEvents();
  ASSERT_TRUE(autoscaler->Discover().ok());
  events_.Take();
  ASSERT_TRUE(autoscaler->Scale("worker", 4, false).ok());
  ASSERT_TRUE(autoscaler->Scale("worker", 2, false).ok());  // paused already
  EXPECT_FALSE(autoscaler->Scale("worker", 99, false).ok());
  EXPECT_THAT(events_.TakeLines(), ElementsAre("service worker paused", "decision worker 3 -> 4 #1",
                                               "decision worker 4 -> 2 #2"));
}

}  // namespace
}  // namespace maiev::control
