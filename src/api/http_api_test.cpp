#include "api/http_api.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "api/loopback_test_support.hpp"
#include "api/service_json.hpp"
#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "s3cret-token";
constexpr const char* kSizedConfig = R"({"min": 1, "max": 3})";

// A SqliteStore in memory whose service reads or writes can be made to fail, as a full disk or a
// broken file would.
class FailingStore final : public store::Store {
 public:
  FailingStore() : inner_(std::move(store::SqliteStore::Open(":memory:").value())) {}

  std::atomic<bool> fail_service_reads{false};
  std::atomic<bool> fail_service_writes{false};

  Status UpsertService(const store::ServiceRecord& service) override {
    if (fail_service_writes) return Fail("io", "store maiev.db: UPSERT services: disk I/O error");
    return inner_->UpsertService(service);
  }
  Result<std::optional<store::ServiceRecord>> FindService(std::string_view name) override {
    if (fail_service_reads) return Fail("io", "store maiev.db: SELECT services: disk I/O error");
    return inner_->FindService(name);
  }
  Result<std::vector<store::ServiceRecord>> ListServices() override {
    return inner_->ListServices();
  }
  Status DeleteService(std::string_view name) override { return inner_->DeleteService(name); }
  Result<store::RuleHistory> LoadRuleHistory(std::string_view service) override {
    return inner_->LoadRuleHistory(service);
  }
  Status SaveRuleHistories(const store::RuleHistories& by_service) override {
    return inner_->SaveRuleHistories(by_service);
  }
  Result<std::int64_t> AppendDecision(const store::DecisionRecord& decision) override {
    return inner_->AppendDecision(decision);
  }
  Result<std::vector<store::DecisionRecord>> RecentDecisions(
      std::size_t limit, std::optional<std::string_view> service) override {
    return inner_->RecentDecisions(limit, service);
  }
  Result<std::vector<store::DecisionRecord>> QueryDecisions(
      const store::DecisionQuery& query) override {
    return inner_->QueryDecisions(query);
  }
  Result<std::int64_t> CreatePlan(const store::UpgradePlan& plan) override {
    return inner_->CreatePlan(plan);
  }
  Result<store::UpgradePlan> LoadPlan(std::int64_t id) override { return inner_->LoadPlan(id); }
  Result<std::vector<store::UpgradePlan>> ListPlans(std::size_t limit) override {
    return inner_->ListPlans(limit);
  }
  Result<std::vector<store::UpgradePlan>> UnfinishedPlans() override {
    return inner_->UnfinishedPlans();
  }
  Result<std::map<store::RunState, std::size_t>> CountPlansByState() override {
    return inner_->CountPlansByState();
  }
  Status SetPlanState(std::int64_t id, store::RunState state, std::string_view reason,
                      TimePoint at) override {
    return inner_->SetPlanState(id, state, reason, at);
  }
  Status SetStepState(std::int64_t plan_id, int index, store::RunState state, TimePoint at,
                      std::string_view error) override {
    return inner_->SetStepState(plan_id, index, state, at, error);
  }

 private:
  std::unique_ptr<store::SqliteStore> inner_;
};

// The API on a free loopback port, serving from a thread of its own, over one known service
// named "worker" (state "sized" until paused).
class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docker_.PutService(testing::Worker(kSizedConfig));
    ASSERT_TRUE(autoscaler_.Discover().ok());
    HttpApiOptions options;
    options.port = 0;
    options.api_token = kToken;
    options.clock = &clock_;
    api_ = std::make_unique<HttpApi>(options, autoscaler_, nullptr, store_,
                                     [this] { return Current(); });
    ASSERT_TRUE(api_->Bind().ok());
    // Bound and listening: requests made before the thread accepts wait in the backlog.
    serving_ = std::thread([this] { api_->Serve(); });
  }
  void TearDown() override {
    if (api_) api_->Stop();
    if (serving_.joinable()) serving_.join();
  }

  httplib::Result Post(const std::string& path, const std::string& authorization) {
    httplib::Client client("127.0.0.1", api_->port());
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    return client.Post(path.c_str(), headers, "", "application/json");
  }
  // Any method, with a JSON body and the API token unless `token` is false.
  httplib::Result Send(const std::string& method, const std::string& path,
                       const std::string& body = "", bool token = true) {
    httplib::Client client("127.0.0.1", api_->port());
    httplib::Headers headers;
    if (token) headers.emplace("Authorization", std::string("Bearer ") + kToken);
    if (method == "PUT") return client.Put(path.c_str(), headers, body, "application/json");
    if (method == "DELETE") return client.Delete(path.c_str(), headers, body, "application/json");
    if (method == "PATCH") return client.Patch(path.c_str(), headers, body, "application/json");
    if (method == "GET") return client.Get(path.c_str(), headers);
    return client.Post(path.c_str(), headers, body, "application/json");
  }
  static nlohmann::json Body(const httplib::Result& res) {
    return nlohmann::json::parse(res->body, nullptr, false);
  }
  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", api_->port());
    return client.Get(path.c_str());
  }
  // What the fixture's readiness source answers; set by the test before its requests.
  Readiness Current() {
    std::lock_guard lock(readiness_mutex_);
    return readiness_;
  }
  void SetReadiness(Readiness readiness) {
    std::lock_guard lock(readiness_mutex_);
    readiness_ = std::move(readiness);
  }

  std::string StateOfWorker() {
    auto res = Get("/api/v1/services/worker");
    if (!res || res->status != 200) return "unavailable";
    return nlohmann::json::parse(res->body).value("state", "");
  }

  orchestrator::FakeOrchestrator docker_;
  monitor::FakeQueueMetricsSource queues_;
  FailingStore store_;
  ManualClock clock_;
  control::Autoscaler autoscaler_{docker_, queues_, store_, clock_};
  std::mutex readiness_mutex_;
  Readiness readiness_;  // guarded by readiness_mutex_
  std::unique_ptr<HttpApi> api_;
  std::thread serving_;
};

TEST_F(HttpApiTest, ReadyzIs503NamingWhatItWaitsForUntilEverythingIsReachable) {
  using State = ComponentReadiness::State;
  SetReadiness({{ComponentReadiness::Of(
                     "docker", "unix:///run/docker.sock", State::kUnreachable,
                     "Docker Engine at unix:///run/docker.sock: No such file or directory"),
                 ComponentReadiness::Of("rabbitmq_amqp", "mq:5672 vhost /", State::kReachable)}});
  auto waiting = Get("/readyz");
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->status, 503);
  EXPECT_EQ(waiting->get_header_value("Content-Type"), "application/json");
  const auto body = nlohmann::json::parse(waiting->body);
  EXPECT_EQ(body["ready"], false);
  EXPECT_EQ(body["waiting_for"], nlohmann::json::array({"docker"}));
  EXPECT_EQ(body["components"][0]["error"],
            "Docker Engine at unix:///run/docker.sock: No such file or directory");
  auto metrics = Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("\nmaiev_ready 0\n"));
  EXPECT_THAT(metrics->body, HasSubstr("maiev_component_ready{component=\"docker\"} 0\n"));
  EXPECT_THAT(metrics->body, HasSubstr("maiev_component_ready{component=\"rabbitmq_amqp\"} 1\n"));
  EXPECT_THAT(metrics->body, Not(HasSubstr("No such file")));

  SetReadiness({{ComponentReadiness::Of("docker", "unix:///run/docker.sock", State::kReachable),
                 ComponentReadiness::Of("rabbitmq_amqp", "mq:5672 vhost /", State::kReachable)}});
  auto ready = Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(nlohmann::json::parse(ready->body)["ready"], true);
  EXPECT_THAT(Get("/metrics")->body, HasSubstr("\nmaiev_ready 1\n"));
}

TEST_F(HttpApiTest, PausesAndResumesAKnownService) {
  auto paused = Post("/api/v1/services/worker/pause", std::string("Bearer ") + kToken);
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->status, 200);
  EXPECT_EQ(StateOfWorker(), "paused");
  auto resumed = Post("/api/v1/services/worker/resume", std::string("Bearer ") + kToken);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, 200);
  EXPECT_EQ(StateOfWorker(), "sized");
}

TEST_F(HttpApiTest, TheListIsNeverStaleAfterAChange) {
  // The list is kept as text between changes; every change shows in the next answer.
  const auto state_in_list = [this] {
    auto res = Get("/api/v1/services");
    const auto body = nlohmann::json::parse(res->body);
    return body["services"][0]["state"].get<std::string>();
  };
  EXPECT_EQ(state_in_list(), "sized");
  EXPECT_EQ(state_in_list(), "sized");
  ASSERT_TRUE(autoscaler_.SetPaused("worker", true).ok());
  EXPECT_EQ(state_in_list(), "paused");
  ASSERT_TRUE(autoscaler_.SetPaused("worker", false).ok());
  EXPECT_EQ(state_in_list(), "sized");
  orchestrator::ServiceInfo added = orchestrator::LabelledService("a1", "added", 2);
  docker_.PutService(added);
  ASSERT_TRUE(autoscaler_.Refresh("a1").ok());
  const auto listed = nlohmann::json::parse(Get("/api/v1/services")->body);
  EXPECT_EQ(listed["services"].size(), 2U);
  const auto generation = autoscaler_.generation();
  autoscaler_.RunCycle();
  EXPECT_GT(autoscaler_.generation(), generation);
}

TEST_F(HttpApiTest, PauseOfAnUnknownServiceIsNotFound) {
  auto res = Post("/api/v1/services/nobody/pause", std::string("Bearer ") + kToken);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr("no service named 'nobody'"));
}

TEST_F(HttpApiTest, PauseTheStoreCannotWriteIsAServerErrorAndChangesNothing) {
  store_.fail_service_writes = true;
  auto res = Post("/api/v1/services/worker/pause", std::string("Bearer ") + kToken);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  const auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body.value("error", ""), "io");
  EXPECT_THAT(body.value("message", ""), HasSubstr("disk I/O error"));
  EXPECT_EQ(StateOfWorker(), "sized");
}

TEST_F(HttpApiTest, ResumeTheStoreCannotReadIsAServerError) {
  store_.fail_service_reads = true;
  auto res = Post("/api/v1/services/worker/resume", std::string("Bearer ") + kToken);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_THAT(res->body, HasSubstr("SELECT services: disk I/O error"));
}

TEST_F(HttpApiTest, MutationsNeedExactlyTheBearerToken) {
  const std::string token = kToken;
  std::string last_char_wrong = token;
  last_char_wrong.back() = 'X';
  const std::vector<std::string> refused = {"",
                                            "Bearer",
                                            "Bearer ",
                                            "Bearer " + token.substr(0, token.size() - 1),
                                            "Bearer " + token + "x",
                                            "Bearer " + last_char_wrong,
                                            "bearer " + token,
                                            token};
  for (const std::string& authorization : refused) {
    auto res = Post("/api/v1/services/worker/pause", authorization);
    ASSERT_TRUE(res) << authorization;
    EXPECT_EQ(res->status, 401) << authorization;
  }
  EXPECT_EQ(StateOfWorker(), "sized");
}

TEST_F(HttpApiTest, BindingAPortInUseFailsNamingTheAddressAndTheReason) {
  HttpApiOptions options;
  options.port = api_->port();  // bound by the fixture
  HttpApi second(options, autoscaler_, nullptr, store_, [this] { return Current(); });
  const Status bound = second.Bind();
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.error().code, "io");
  EXPECT_THAT(bound.error().message,
              HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(api_->port())));
  EXPECT_THAT(bound.error().message, HasSubstr("Address already in use"));
}

HttpApiOptions LoopbackOptions() {
  HttpApiOptions options;
  options.port = 0;
  options.api_token = kToken;
  return options;
}

// A stop that comes before or while the serving thread starts still ends it (a hang here is
// the failure: httplib's own stop() is a no-op until its loop runs).
TEST_F(HttpApiTest, StopEndsServeWhicheverComesFirst) {
  for (int round = 0; round < 20; ++round) {
    HttpApi api(LoopbackOptions(), autoscaler_, nullptr, store_, [this] { return Current(); });
    ASSERT_TRUE(api.Bind().ok());
    std::thread serving([&api] { api.Serve(); });
    api.Stop();
    serving.join();
  }
  HttpApi stopped_first(LoopbackOptions(), autoscaler_, nullptr, store_,
                        [this] { return Current(); });
  ASSERT_TRUE(stopped_first.Bind().ok());
  stopped_first.Stop();
  stopped_first.Serve();  // returns at once
}

TEST(ConstantTimeEquals, IsEqualityOfBytes) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("token", "token"));
  EXPECT_FALSE(ConstantTimeEquals("token", ""));
  EXPECT_FALSE(ConstantTimeEquals("", "token"));
  EXPECT_FALSE(ConstantTimeEquals("Token", "token"));
  EXPECT_FALSE(ConstantTimeEquals("tokeN", "token"));
  EXPECT_FALSE(ConstantTimeEquals("toke", "token"));
  EXPECT_FALSE(ConstantTimeEquals("tokens", "token"));
  // A repetition of the secret is not the secret.
  EXPECT_FALSE(ConstantTimeEquals("tokentoken", "token"));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("tok\0n", 5), "token"));
}

TEST(HttpStatusFor, SeparatesClientErrorsFromServerFailures) {
  EXPECT_EQ(HttpStatusFor(Error{"not_found", "no service"}), 404);
  EXPECT_EQ(HttpStatusFor(Error{"invalid", "bad limit"}), 400);
  EXPECT_EQ(HttpStatusFor(Error{"io", "disk I/O error"}), 500);
  EXPECT_EQ(HttpStatusFor(Error{"conflict", "global service"}), 409);
  EXPECT_EQ(HttpStatusFor(Error{"unavailable", "no swarm"}), 503);
}

TEST_F(HttpApiTest, ServicesAreFilteredByStateAndPrefix) {
  orchestrator::ServiceInfo other;
  other.id = "o1";
  other.name = "other";
  other.replicas = 1;
  docker_.PutService(other);
  ASSERT_TRUE(autoscaler_.Discover().ok());
  const auto names = [&](const std::string& query) {
    std::vector<std::string> out;
    auto res = Get("/api/v1/services" + query);
    EXPECT_EQ(res->status, 200);
    const nlohmann::json body = Body(res);
    for (const auto& s : body["services"]) out.push_back(s["name"]);
    return out;
  };
  EXPECT_EQ(names(""), (std::vector<std::string>{"other", "worker"}));
  EXPECT_EQ(names("?state=sized"), std::vector<std::string>{"worker"});
  EXPECT_EQ(names("?state=unconfigured"), std::vector<std::string>{"other"});
  EXPECT_EQ(names("?prefix=wor"), std::vector<std::string>{"worker"});
  auto bad = Get("/api/v1/services?state=sleepy");
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(Body(bad)["message"].get<std::string>(), HasSubstr("state: expected one of"));
}

TEST_F(HttpApiTest, AServiceReadsBackThroughTheCodecTheCliUses) {
  auto res = Get("/api/v1/services/worker");
  ASSERT_EQ(res->status, 200);
  auto status = ServiceStatusFromJson(Body(res));
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status->name, "worker");
  EXPECT_EQ(status->max, 3);
  EXPECT_EQ(status->config["max"], 3);
  EXPECT_EQ(ToJson(*status), Body(res));
  EXPECT_FALSE(ServiceStatusFromJson(nlohmann::json{{"replicas", "three"}}).ok());
}

TEST_F(HttpApiTest, AConfigIsSetValidatedAndUnsetThroughTheApi) {
  EXPECT_EQ(Send("PUT", "/api/v1/services/worker/config", R"({"min": 1, "max": 8})", false)->status,
            401);
  auto bad = Send("PUT", "/api/v1/services/worker/config", R"({"min": 1, "max": "eight"})");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Body(bad)["error"], "invalid");
  EXPECT_THAT(Body(bad)["message"].get<std::string>(), HasSubstr("max"));
  auto set = Send("PUT", "/api/v1/services/worker/config", R"({"min": 1, "max": 8})");
  ASSERT_EQ(set->status, 200);
  EXPECT_EQ(Body(set)["config_origin"], "api");
  EXPECT_EQ(Body(Get("/api/v1/services/worker"))["max"], 8);
  EXPECT_EQ(Send("PUT", "/api/v1/services/nobody/config", R"({"min": 1, "max": 8})")->status, 404);
  auto unset = Send("DELETE", "/api/v1/services/worker/config");
  ASSERT_EQ(unset->status, 200);
  EXPECT_EQ(Body(unset)["config_origin"], "service_label");
  EXPECT_EQ(Body(unset)["max"], 3);
}

TEST_F(HttpApiTest, ScaleChecksItsBodyAndTheBoundsThenPauses) {
  const std::string path = "/api/v1/services/worker/scale";
  EXPECT_EQ(Send("POST", path, R"({"replicas": 2})", false)->status, 401);
  for (const char* body : {"", "[]", R"({"replicas": "2"})", R"({"replicas": 2, "extra": 1})",
                           R"({"replicas": 2, "force": "yes"})", R"({"replicas": -1})"}) {
    auto res = Send("POST", path, body);
    EXPECT_EQ(res->status, 400) << body;
    EXPECT_THAT(Body(res)["message"].get<std::string>(), HasSubstr("body")) << body;
  }
  auto outside = Send("POST", path, R"({"replicas": 5})");
  EXPECT_EQ(outside->status, 400);
  EXPECT_THAT(Body(outside)["message"].get<std::string>(), HasSubstr("force"));
  auto scaled = Send("POST", path, R"({"replicas": 5, "force": true})");
  ASSERT_EQ(scaled->status, 200);
  EXPECT_EQ(
      Body(scaled),
      (nlohmann::json{{"service", "worker"}, {"previous", 1}, {"replicas", 5}, {"paused", true}}));
  EXPECT_EQ(StateOfWorker(), "paused");
  EXPECT_EQ(docker_.replica_calls(),
            (std::vector<orchestrator::FakeOrchestrator::ReplicaCall>{{"w1", 5}}));
  auto decisions = Get("/api/v1/decisions?service=worker&direction=up");
  ASSERT_EQ(decisions->status, 200);
  ASSERT_EQ(Body(decisions)["decisions"].size(), 1u);
  EXPECT_EQ(Body(decisions)["decisions"][0]["direction"], "up");
}

TEST_F(HttpApiTest, DecisionsPageWithACursorAndRefuseBadFilters) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Send("POST", "/api/v1/services/worker/scale",
                   nlohmann::json{{"replicas", 1 + (i % 2)}}.dump())
                  ->status,
              200);
  }
  auto first = Get("/api/v1/decisions?limit=2");
  ASSERT_EQ(first->status, 200);
  ASSERT_EQ(Body(first)["decisions"].size(), 2u);
  const auto cursor = Body(first)["next_cursor"];
  ASSERT_TRUE(cursor.is_number());
  std::vector<std::int64_t> ids;
  const nlohmann::json first_page = Body(first);
  for (const auto& d : first_page["decisions"]) ids.push_back(d["id"]);
  const nlohmann::json second_page = Body(Get("/api/v1/decisions?limit=2&cursor=" + cursor.dump()));
  ASSERT_EQ(second_page["decisions"].size(), 2u);
  for (const auto& d : second_page["decisions"]) {
    EXPECT_LT(d["id"].get<std::int64_t>(), ids.back());
  }
  EXPECT_EQ(Body(Get("/api/v1/decisions?direction=down"))["decisions"].size(), 2u);
  EXPECT_EQ(Body(Get("/api/v1/decisions?since=1h"))["decisions"].size(), 5u);
  EXPECT_EQ(Body(Get("/api/v1/decisions?until=2000-01-01T00:00:00Z"))["decisions"].size(), 0u);
  // %FF: a byte that is not UTF-8, quoted by the message; the answer is still the 400 meant.
  for (const char* query : {"direction=sideways", "since=yesterday", "cursor=-3", "limit=0",
                            "since=%FF", "direction=%FF%FE", "limit=%C3"}) {
    auto res = Get(std::string("/api/v1/decisions?") + query);
    EXPECT_EQ(res->status, 400) << query;
    EXPECT_EQ(Body(res)["error"], "invalid") << query;
  }
}

TEST_F(HttpApiTest, RuleTestAndHistoryAnswerForKnownServicesOnly) {
  auto test =
      Send("POST", "/api/v1/rules/test", R"({"service": "worker", "expression": "true"})", false);
  EXPECT_EQ(test->status, 409);  // a sized service has no rules
  EXPECT_EQ(
      Send("POST", "/api/v1/rules/test", R"({"service": "nobody", "expression": "true"})")->status,
      404);
  EXPECT_EQ(Send("POST", "/api/v1/rules/test", R"({"service": "worker"})")->status, 400);
  auto history = Get("/api/v1/services/worker/history?minutes=5");
  ASSERT_EQ(history->status, 200);
  EXPECT_EQ(Body(history)["service"], "worker");
  EXPECT_EQ(Get("/api/v1/services/worker/history?minutes=0")->status, 400);
  EXPECT_EQ(Get("/api/v1/services/worker/history?minutes=61")->status, 400);
  EXPECT_EQ(Get("/api/v1/services/nobody/history")->status, 404);
}

TEST_F(HttpApiTest, UnknownRoutesWrongMethodsAndLargeBodiesGetTheErrorShape) {
  auto missing = Get("/api/v1/nothing");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Body(missing)["error"], "not_found");
  EXPECT_THAT(Body(missing)["message"].get<std::string>(), HasSubstr("GET /api/v1/nothing"));
  auto wrong = Send("DELETE", "/api/v1/services");
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "GET, HEAD");
  EXPECT_EQ(Body(wrong)["error"], "method_not_allowed");
  EXPECT_EQ(Send("GET", "/api/v1/services/worker/scale")->get_header_value("Allow"), "POST");
  auto large = Send("PUT", "/api/v1/services/worker/config", std::string(2 << 20, ' '));
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 413);
  EXPECT_EQ(Body(large)["error"], "too_large");
  auto metrics = Get("/metrics");
  EXPECT_THAT(metrics->body,
              HasSubstr("maiev_api_requests_total{route=\"unmatched\",code=\"405\"}"));
  EXPECT_THAT(metrics->body, HasSubstr("maiev_cycle_duration_seconds_count"));
}

TEST_F(HttpApiTest, EveryDocumentedRouteAnswersAndEveryRouteIsDocumented) {
  auto res = Get("/api/v1/openapi.json");
  ASSERT_EQ(res->status, 200);
  const auto doc = Body(res);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  std::size_t operations = 0;
  for (const auto& [path, methods] : doc["paths"].items()) {
    for (const auto& [method, operation] : methods.items()) {
      ++operations;
      std::string concrete = path;
      for (const auto& [param, value] :
           {std::pair{"{name}", "worker"}, {"{id}", "1"}, {"{file}", "index.html"}}) {
        if (auto at = concrete.find(param); at != std::string::npos) {
          concrete.replace(at, std::string(param).size(), value);
        }
      }
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (path == "/api/v1/events") {
        // A stream does not end: its status, then the client hangs up.
        httplib::Client client("127.0.0.1", api_->port());
        int status = 0;
        client.Get(
            concrete,
            [&status](const httplib::Response& r) {
              status = r.status;
              return false;
            },
            [](const char*, std::size_t) { return false; });
        EXPECT_EQ(status, 200);
        continue;
      }
      auto answer = Send(upper, concrete, "{}", false);
      ASSERT_TRUE(answer) << upper << " " << concrete;
      // Routed: whatever it answers, it is not "no such route" nor "wrong method".
      EXPECT_NE(answer->status, 405) << upper << " " << concrete;
      if (answer->status == 404) {
        EXPECT_THAT(answer->body, Not(HasSubstr("no route"))) << upper << " " << concrete;
      }
    }
  }
  EXPECT_GE(operations, 26u);
  // And the other way: a path the server answers is documented.
  for (const char* path :
       {"/api/v1/services", "/api/v1/services/{name}/scale", "/api/v1/rules/test",
        "/api/v1/decisions", "/api/v1/plans/{id}/abort", "/metrics"}) {
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  }
  EXPECT_TRUE(doc["paths"]["/api/v1/services/{name}/scale"]["post"].contains("security"));
}

// Each documented operation, with its path's parameters filled in, in upper-case method form.
struct Operation {
  std::string method;
  std::string path;
  nlohmann::json spec;
};
std::vector<Operation> Operations(const nlohmann::json& doc) {
  std::vector<Operation> out;
  for (const auto& [path, methods] : doc["paths"].items()) {
    for (const auto& [method, spec] : methods.items()) {
      std::string concrete = path;
      for (const auto& [param, value] : {std::pair{"{name}", "worker"}, {"{id}", "1"}}) {
        if (auto at = concrete.find(param); at != std::string::npos) {
          concrete.replace(at, std::string(param).size(), value);
        }
      }
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.push_back({upper, concrete, spec});
    }
  }
  return out;
}

TEST_F(HttpApiTest, EverySecuredRouteRefusesAMissingOrWrongTokenAndChangesNothing) {
  const auto doc = Body(Get("/api/v1/openapi.json"));
  std::size_t secured = 0;
  for (const Operation& op : Operations(doc)) {
    if (!op.spec.contains("security")) continue;
    ++secured;
    const std::string scheme = op.spec["security"][0].begin().key();
    for (const std::string& authorization :
         {std::string(), std::string("Bearer wrong-") + kToken, std::string(kToken)}) {
      httplib::Client client("127.0.0.1", api_->port());
      httplib::Headers headers;
      if (!authorization.empty()) headers.emplace("Authorization", authorization);
      httplib::Result res =
          op.method == "PUT"      ? client.Put(op.path.c_str(), headers, "{}", "application/json")
          : op.method == "DELETE" ? client.Delete(op.path.c_str(), headers, "", "application/json")
                                  : client.Post(op.path.c_str(), headers, "{}", "application/json");
      ASSERT_TRUE(res) << op.method << " " << op.path;
      // Webhooks without a configured token answer 403: no token can be right.
      const int expected = scheme == "webhookToken" ? 403 : 401;
      EXPECT_EQ(res->status, expected) << op.method << " " << op.path << " " << authorization;
      const auto body = Body(res);
      EXPECT_TRUE(body.contains("error") && body.contains("message"))
          << op.method << " " << op.path << ": " << res->body;
    }
  }
  EXPECT_GE(secured, 8U);
  // Nothing was changed by any of them.
  EXPECT_EQ(StateOfWorker(), "sized");
  EXPECT_EQ(docker_.InspectService("w1")->replicas, 1U);
}

TEST_F(HttpApiTest, EveryRouteWithABodyRefusesMalformedJsonAndOversizedBodiesInTheErrorShape) {
  const auto doc = Body(Get("/api/v1/openapi.json"));
  const std::string huge(2 * 1024 * 1024, ' ');
  std::size_t with_body = 0;
  for (const Operation& op : Operations(doc)) {
    if (!op.spec.contains("requestBody")) continue;
    if (op.path.find("webhooks") != std::string::npos) continue;  // refused before the body
    ++with_body;
    auto malformed = Send(op.method, op.path, "{\"replicas\": ");
    ASSERT_TRUE(malformed);
    EXPECT_EQ(malformed->status, 400) << op.method << " " << op.path;
    EXPECT_EQ(Body(malformed).value("error", ""), "invalid") << malformed->body;
    auto oversized = Send(op.method, op.path, "[" + huge + "]");
    ASSERT_TRUE(oversized);
    EXPECT_EQ(oversized->status, 413) << op.method << " " << op.path;
    EXPECT_EQ(Body(oversized).value("error", ""), "too_large") << oversized->body;
  }
  EXPECT_GE(with_body, 2U);
  EXPECT_EQ(StateOfWorker(), "sized");
}

}  // namespace
}  // namespace maiev::api
