// The auto-upgrader's routes on a free loopback port, over the real UpgradeController on a
// scripted swarm (FakeOrchestrator), a registry (FakeRegistryClient), the real store in memory
// and a manual clock. The test drives the upgrade loop with Pass(); nothing sleeps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <thread>

#include "api/http_api.hpp"
#include "control/autoscaler.hpp"
#include "control/upgrade_controller.hpp"
#include "control/upgrade_test_support.hpp"
#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "registry/fake_registry_client.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::api {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kApiToken = "api-s3cret";
constexpr const char* kWebhookToken = "hook-s3cret";
using control::upgrade_testing::Digest;
using control::upgrade_testing::kRegistry;
using control::upgrade_testing::Label;

std::string Bearer(const std::string& token) { return "Bearer " + token; }

// A registry notification event, as distribution sends it.
std::string Event(const std::string& action, const std::string& repository, const std::string& tag,
                  const std::string& media_type) {
  json event = {{"id", "e1"},
                {"action", action},
                {"target",
                 {{"mediaType", media_type},
                  {"digest", Digest('2')},
                  {"repository", repository},
                  {"url", "http://127.0.0.1:5000/v2/" + repository + "/manifests/" + Digest('2')}}},
                {"request", {{"host", "127.0.0.1:5000"}, {"method", "PUT"}}}};
  if (!tag.empty()) event["target"]["tag"] = tag;
  return event.dump();
}

constexpr const char* kManifest = "application/vnd.docker.distribution.manifest.v2+json";

// An HttpApi serving from a thread of its own until destroyed.
class RunningApi {
 public:
  RunningApi(HttpApiOptions options, control::Autoscaler& autoscaler,
             control::UpgradeController* upgrades, store::Store& store)
      : api_(std::move(options), autoscaler, upgrades, store, [] { return Readiness{}; }) {
    bound_ = api_.Bind();
    if (bound_) serving_ = std::thread([this] { api_.Serve(); });
  }
  ~RunningApi() {
    api_.Stop();
    if (serving_.joinable()) serving_.join();
  }
  RunningApi(const RunningApi&) = delete;
  RunningApi& operator=(const RunningApi&) = delete;

  bool ok() const { return bound_.ok(); }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", api_.port());
    return client.Get(path.c_str());
  }
  httplib::Result Post(const std::string& path, const std::string& authorization,
                       const std::string& body = "") {
    httplib::Client client("127.0.0.1", api_.port());
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return client.Post(path.c_str(), headers, body, "application/json");
  }

 private:
  HttpApi api_;
  Status bound_;
  std::thread serving_;
};

json Body(const httplib::Result& res) {
  return res ? json::parse(res->body, nullptr, false) : json();
}

class UpgradeRoutesTest : public ::testing::Test {
 protected:
  UpgradeRoutesTest() : store_(std::move(store::SqliteStore::Open(":memory:").value())) {
    clock_.Set(TimePoint{} + std::chrono::seconds{1'700'000'000});
    upgrades_ = std::make_unique<control::UpgradeController>(
        swarm_,
        [this](std::string_view host) -> registry::RegistryClient* {
          return host == kRegistry ? &registry_ : nullptr;
        },
        *store_, clock_, control::UpgradeOptions{});
  }

  HttpApiOptions Options(const std::string& webhook_token = kWebhookToken) {
    HttpApiOptions options;
    options.port = 0;
    options.api_token = kApiToken;
    options.webhook_token = webhook_token;
    return options;
  }

  RunningApi& Api() {
    if (!api_) {
      api_ = std::make_unique<RunningApi>(Options(), autoscaler_, upgrades_.get(), *store_);
      EXPECT_TRUE(api_->ok());
    }
    return *api_;
  }

  // A service running repo `name` at `tag` (pinned), 2 replicas all on that image.
  void RunService(const std::string& name, const std::string& tag, char digest,
                  std::map<std::string, std::string> labels = {}) {
    swarm_.PutService(
        control::upgrade_testing::PinnedService(name, tag, digest, std::move(labels)));
  }

  void Push(const std::string& name, const std::string& tag, char digest,
            const std::string& label = "") {
    control::upgrade_testing::PushImage(registry_, name, tag, digest, label);
  }

  // a runs 1.0.0 and may go to 2.0.0; c runs 1.0.0 and its 2.0.0 requires what nothing provides.
  void TwoServices(std::map<std::string, std::string> labels_of_a = {}) {
    RunService("a", "1.0.0", '1', std::move(labels_of_a));
    Push("a", "1.0.0", '1');
    Push("a", "2.0.0", '2');
    RunService("c", "1.0.0", '3');
    Push("c", "1.0.0", '3');
    Push("c", "2.0.0", '4', Label("", R"("nothing:here > 0")"));
  }

  std::size_t Hints() const { return upgrades_->counters().hints; }

  orchestrator::FakeOrchestrator docker_;  // the autoscaler's, empty
  monitor::FakeQueueMetricsSource queues_;
  ManualClock clock_;
  orchestrator::FakeOrchestrator swarm_;
  registry::FakeRegistryClient registry_;
  std::unique_ptr<store::SqliteStore> store_;
  control::Autoscaler autoscaler_{docker_, queues_, *store_, clock_};
  std::unique_ptr<control::UpgradeController> upgrades_;
  std::unique_ptr<RunningApi> api_;
};

// --- webhooks ----------------------------------------------------------------------------------

TEST_F(UpgradeRoutesTest, WebhooksWithoutAConfiguredTokenAreForbiddenNamingTheFlag) {
  RunningApi api(Options(""), autoscaler_, upgrades_.get(), *store_);
  ASSERT_TRUE(api.ok());
  const std::string envelope = "{\"events\": [" + Event("push", "a", "2.0.0", kManifest) + "]}";
  for (const char* path : {"/api/v1/webhooks/registry", "/api/v1/webhooks/dockerhub"}) {
    auto res = api.Post(path, "", envelope);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 403) << path;
    EXPECT_THAT(Body(res).value("message", ""), HasSubstr("--webhook-token")) << path;
    // Not even the API token opens them.
    EXPECT_EQ(api.Post(path, Bearer(kApiToken), envelope)->status, 403) << path;
  }
  EXPECT_EQ(Hints(), 0U);
  EXPECT_THAT(api.Get("/metrics")->body,
              HasSubstr("maiev_webhook_events_total{source=\"registry\",result=\"rejected\"} 2\n"));
}

TEST_F(UpgradeRoutesTest, WebhooksWithoutTheirTokenAreUnauthorized) {
  const std::string envelope = "{\"events\": [" + Event("push", "a", "2.0.0", kManifest) + "]}";
  const std::string wrong = std::string(kWebhookToken) + "x";
  for (const std::string& authorization :
       {std::string(), Bearer(kApiToken), Bearer(wrong), std::string(kWebhookToken),
        "bearer " + std::string(kWebhookToken)}) {
    auto res = Api().Post("/api/v1/webhooks/registry", authorization, envelope);
    ASSERT_TRUE(res) << authorization;
    EXPECT_EQ(res->status, 401) << authorization;
    EXPECT_THAT(Body(res).value("message", ""), HasSubstr("webhook token")) << authorization;
  }
  EXPECT_EQ(Api().Post("/api/v1/webhooks/dockerhub?token=" + wrong, "", "{}")->status, 401);
  EXPECT_EQ(Hints(), 0U);
}

TEST_F(UpgradeRoutesTest, AMalformedEnvelopeIs400NamingThePathAndHintsNothing) {
  const std::string bad_repository = R"({"events": [{"action": "pull"}, {"action": "push",
      "target": {"mediaType": ")" + std::string(kManifest) +
                                     R"(", "tag": "2.0.0", "repository": 7}}]})";
  auto res = Api().Post("/api/v1/webhooks/registry", Bearer(kWebhookToken), bad_repository);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(Body(res).value("error", ""), "invalid");
  EXPECT_THAT(Body(res).value("message", ""), HasSubstr("events[1].target.repository"));

  auto not_json = Api().Post("/api/v1/webhooks/registry", Bearer(kWebhookToken), "{\"events\": [");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  EXPECT_THAT(Body(not_json).value("message", ""), HasSubstr("is not JSON"));
  EXPECT_EQ(Hints(), 0U);
  EXPECT_THAT(Api().Get("/metrics")->body,
              HasSubstr("maiev_webhook_events_total{source=\"registry\",result=\"rejected\"} 2\n"));
}

TEST_F(UpgradeRoutesTest, APushEnvelopeIsAcceptedAndHintsTheControllerForEachTaggedPush) {
  const std::string envelope = "{\"events\": [" + Event("push", "a", "2.0.0", kManifest) + "," +
                               Event("pull", "a", "2.0.0", kManifest) + "," +
                               Event("push", "a", "", kManifest) + "," +  // pushed by digest only
                               Event("push", "a", "", "application/octet-stream") + "]}";
  auto res = Api().Post("/api/v1/webhooks/registry", Bearer(kWebhookToken), envelope);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(Body(res), json({{"accepted", 1}, {"ignored", 3}}));
  EXPECT_EQ(Hints(), 1U);
  // The same delivery again (a registry retries): accepted again, a hint is idempotent.
  EXPECT_EQ(Api().Post("/api/v1/webhooks/registry", Bearer(kWebhookToken), envelope)->status, 202);
  EXPECT_EQ(Hints(), 2U);
  // The token may come as a query parameter instead.
  auto by_query =
      Api().Post(std::string("/api/v1/webhooks/registry?token=") + kWebhookToken, "", envelope);
  ASSERT_TRUE(by_query);
  EXPECT_EQ(by_query->status, 202);
  EXPECT_EQ(Hints(), 3U);
  const std::string metrics = Api().Get("/metrics")->body;
  EXPECT_THAT(metrics,
              HasSubstr("maiev_webhook_events_total{source=\"registry\",result=\"accepted\"} 3\n"));
  EXPECT_THAT(metrics,
              HasSubstr("maiev_webhook_events_total{source=\"registry\",result=\"ignored\"} 9\n"));
}

TEST_F(UpgradeRoutesTest, ADockerHubPayloadIsAcceptedAndAMalformedOneIs400) {
  const std::string payload =
      R"({"push_data": {"tag": "2.0.0", "pusher": "someone"}, "repository": {"repo_name":
          "someone/a", "namespace": "someone", "name": "a"}})";
  auto res = Api().Post("/api/v1/webhooks/dockerhub", Bearer(kWebhookToken), payload);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(Body(res), json({{"accepted", 1}, {"ignored", 0}}));
  EXPECT_EQ(Hints(), 1U);

  auto bad = Api().Post("/api/v1/webhooks/dockerhub", Bearer(kWebhookToken),
                        R"({"push_data": {"tag": "-x"}, "repository": {"repo_name": "a"}})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(Body(bad).value("message", ""), HasSubstr("push_data.tag"));
  EXPECT_EQ(Hints(), 1U);
  const std::string metrics = Api().Get("/metrics")->body;
  EXPECT_THAT(
      metrics,
      HasSubstr("maiev_webhook_events_total{source=\"dockerhub\",result=\"accepted\"} 1\n"));
  EXPECT_THAT(
      metrics,
      HasSubstr("maiev_webhook_events_total{source=\"dockerhub\",result=\"rejected\"} 1\n"));
}

// --- catalog -----------------------------------------------------------------------------------

TEST_F(UpgradeRoutesTest, TheCatalogBeforeTheFirstCheckSaysSo) {
  auto res = Api().Get("/api/v1/catalog");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const json body = Body(res);
  EXPECT_TRUE(body["checked_at"].is_null());
  EXPECT_EQ(body["services"], json::array());
}

TEST_F(UpgradeRoutesTest, TheCatalogSaysWhyANewerVersionIsHeldBack) {
  TwoServices({{"maiev.update", "approve"}});
  upgrades_->Pass();
  auto res = Api().Get("/api/v1/catalog");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const json body = Body(res);
  EXPECT_EQ(body["checked_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(body["outcome"], "ok");
  EXPECT_EQ(body["needs_approval"], json::array({"a"}));
  ASSERT_EQ(body["services"].size(), 2U);
  const json& a = body["services"][0];
  EXPECT_EQ(a["name"], "a");
  EXPECT_EQ(a["update"], "approve");
  EXPECT_EQ(a["update_policy"], "all");
  EXPECT_EQ(a["running"], "1.0.0");
  EXPECT_EQ(a["target"], "2.0.0");
  ASSERT_EQ(a["versions"].size(), 2U);
  EXPECT_EQ(a["versions"][0]["version"], "2.0.0");
  EXPECT_EQ(a["versions"][0]["state"], "target");
  EXPECT_EQ(a["versions"][0]["digest"], Digest('2'));
  EXPECT_EQ(a["versions"][1]["state"], "running");

  const json& c = body["services"][1];
  EXPECT_EQ(c["target"], "1.0.0");
  ASSERT_EQ(c["versions"].size(), 2U);
  EXPECT_EQ(c["versions"][0]["state"], "held_back");
  EXPECT_EQ(c["versions"][0]["require"], json::array({"nothing:here > 0"}));
  EXPECT_EQ(c["versions"][0]["reason"],
            "held back: requires `nothing:here > 0`, but no candidate version provides "
            "`nothing:here`");
}

// --- plans -------------------------------------------------------------------------------------

TEST_F(UpgradeRoutesTest, PlansAreListedNewestFirstAndShownById) {
  TwoServices();
  upgrades_->Pass();  // check → a plan, running
  auto list = Api().Get("/api/v1/plans");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  const json plans = Body(list)["plans"];
  ASSERT_EQ(plans.size(), 1U);
  const json& plan = plans[0];
  EXPECT_EQ(plan["state"], "running");
  EXPECT_EQ(plan["created"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(plan["reason"], "new versions: a 1.0.0 → 2.0.0");
  ASSERT_EQ(plan["steps"].size(), 1U);
  EXPECT_EQ(plan["steps"][0]["service"], "a");
  EXPECT_EQ(plan["steps"][0]["from"], "1.0.0");
  EXPECT_EQ(plan["steps"][0]["to"], "2.0.0");
  EXPECT_EQ(plan["steps"][0]["image"], std::string(kRegistry) + "/a:2.0.0@" + Digest('2'));
  EXPECT_TRUE(plan["steps"][0]["error"].is_null());

  const std::string id = std::to_string(plan["id"].get<std::int64_t>());
  auto shown = Api().Get("/api/v1/plans/" + id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  EXPECT_EQ(Body(shown), plan);

  auto unknown = Api().Get("/api/v1/plans/999");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Body(unknown).value("message", ""), "no upgrade plan 999");
  auto not_an_id = Api().Get("/api/v1/plans/first");
  ASSERT_TRUE(not_an_id);
  EXPECT_EQ(not_an_id->status, 400);
  EXPECT_THAT(Body(not_an_id).value("message", ""), HasSubstr("got 'first'"));
  EXPECT_EQ(Api().Get("/api/v1/plans?limit=0")->status, 400);
}

TEST_F(UpgradeRoutesTest, ResolveIsADryRunThatNeedsTheApiToken) {
  TwoServices();
  auto refused = Api().Post("/api/v1/plans/resolve", "");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);

  auto res = Api().Post("/api/v1/plans/resolve", Bearer(kApiToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const json body = Body(res);
  EXPECT_EQ(body["outcome"], "ok");
  EXPECT_EQ(body["target"], json({{"a", "2.0.0"}, {"c", "1.0.0"}}));
  ASSERT_EQ(body["steps"].size(), 1U);
  EXPECT_EQ(body["steps"][0],
            json({{"service", "a"},
                  {"from", "1.0.0"},
                  {"to", "2.0.0"},
                  {"image", std::string(kRegistry) + "/a:2.0.0@" + Digest('2')}}));
  ASSERT_EQ(body["held_back"].size(), 1U);
  EXPECT_EQ(body["held_back"][0]["service"], "c");
  EXPECT_EQ(body["held_back"][0]["version"], "2.0.0");
  EXPECT_THAT(body["held_back"][0]["reason"].get<std::string>(), HasSubstr("nothing:here"));
  // Nothing was executed nor planned.
  EXPECT_TRUE(store_->ListPlans(10)->empty());
  EXPECT_TRUE(swarm_.image_calls().empty());
}

TEST_F(UpgradeRoutesTest, ResolveWhenTheSwarmCannotBeListedIs503) {
  swarm_.FailNextCall({"unavailable", "Docker Engine at unix:///run/docker.sock: refused"});
  auto res = Api().Post("/api/v1/plans/resolve", Bearer(kApiToken));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_THAT(Body(res).value("message", ""), HasSubstr("refused"));
}

TEST_F(UpgradeRoutesTest, ApproveAndAbortNeedTheTokenAndAPlanInTheRightState) {
  TwoServices({{"maiev.update", "approve"}});
  upgrades_->Pass();
  auto plans = store_->ListPlans(10);
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 1U);
  const std::string id = std::to_string(plans->front().id);
  ASSERT_EQ(plans->front().state, store::RunState::kPending);

  EXPECT_EQ(Api().Post("/api/v1/plans/" + id + "/approve", "")->status, 401);
  EXPECT_EQ(Api().Post("/api/v1/plans/" + id + "/approve", Bearer(kWebhookToken))->status, 401);
  EXPECT_EQ(store_->LoadPlan(plans->front().id)->state, store::RunState::kPending);

  auto approved = Api().Post("/api/v1/plans/" + id + "/approve", Bearer(kApiToken));
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->status, 200);
  EXPECT_EQ(Body(approved)["state"], "running");
  auto again = Api().Post("/api/v1/plans/" + id + "/approve", Bearer(kApiToken));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(Body(again).value("error", ""), "conflict");
  EXPECT_THAT(Body(again).value("message", ""), HasSubstr("only a pending plan can be approved"));

  EXPECT_EQ(Api().Post("/api/v1/plans/" + id + "/abort", "")->status, 401);
  auto unknown = Api().Post("/api/v1/plans/999/abort", Bearer(kApiToken));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Body(unknown).value("message", ""), "no upgrade plan 999");
  auto aborted = Api().Post("/api/v1/plans/" + id + "/abort", Bearer(kApiToken));
  ASSERT_TRUE(aborted);
  EXPECT_EQ(aborted->status, 200);
  EXPECT_EQ(Body(aborted)["state"], "aborted");
  EXPECT_THAT(Body(aborted)["reason"].get<std::string>(), HasSubstr("aborted by an operator"));
  EXPECT_EQ(Api().Post("/api/v1/plans/" + id + "/abort", Bearer(kApiToken))->status, 409);
}

TEST_F(UpgradeRoutesTest, WithoutTheUpgradeControllerItsRoutesAre503AndPlansAreStillRead) {
  RunningApi api(Options(), autoscaler_, nullptr, *store_);
  ASSERT_TRUE(api.ok());
  auto catalog = api.Get("/api/v1/catalog");
  ASSERT_TRUE(catalog);
  EXPECT_EQ(catalog->status, 503);
  EXPECT_EQ(Body(catalog).value("message", ""), "the upgrade controller is not running");
  EXPECT_EQ(api.Post("/api/v1/plans/resolve", Bearer(kApiToken))->status, 503);
  EXPECT_EQ(api.Post("/api/v1/plans/1/approve", Bearer(kApiToken))->status, 503);
  EXPECT_EQ(
      api.Post("/api/v1/webhooks/registry", Bearer(kWebhookToken), "{\"events\": []}")->status,
      503);
  auto plans = api.Get("/api/v1/plans");
  ASSERT_TRUE(plans);
  EXPECT_EQ(plans->status, 200);
  EXPECT_EQ(Body(plans), json({{"plans", json::array()}}));
}

// --- metrics -----------------------------------------------------------------------------------

TEST_F(UpgradeRoutesTest, MetricsCountPlansStepsChecksAndRegistryRequests) {
  TwoServices();
  upgrades_->Pass();  // check → a plan, running
  upgrades_->Pass();  // its first step started
  const std::string metrics = Api().Get("/metrics")->body;
  EXPECT_THAT(metrics, HasSubstr("maiev_upgrade_plans{state=\"running\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("maiev_upgrade_plans{state=\"done\"} 0\n"));
  EXPECT_THAT(metrics, HasSubstr("maiev_upgrade_plans_created_total 1\n"));
  EXPECT_THAT(metrics, HasSubstr("maiev_upgrade_steps_total{result=\"started\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("maiev_upgrade_steps_total{result=\"failed\"} 0\n"));
  EXPECT_THAT(metrics, HasSubstr("maiev_upgrade_checks_total 1\n"));
  EXPECT_THAT(metrics, HasSubstr("maiev_upgrade_check_failures_total 0\n"));
  const std::string requests =
      "maiev_registry_requests_total " + std::to_string(upgrades_->counters().registry_requests);
  EXPECT_GT(upgrades_->counters().registry_requests, 0U);
  EXPECT_THAT(metrics, HasSubstr(requests + "\n"));
  // The autoscaler's lines are still there.
  EXPECT_THAT(metrics, HasSubstr("\nmaiev_ready "));
}

}  // namespace
}  // namespace maiev::api
