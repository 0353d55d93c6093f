#include "api/upgrade_views.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "upgrade/test_support.hpp"

namespace maiev::api {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using upgrade::testing::Image;
using upgrade::testing::Service;

const TimePoint kT0 = TimePoint{} + std::chrono::seconds{1'700'000'000};

// a runs 1.0.0 with 1.5.0, 2.0.0 and 3.0.0 newer, 3.0.0 requiring what nothing provides; p runs
// 1.0.0 under update_policy patch, so its 1.1.0 is held back by policy; x runs `edge` (no version);
// y's image reference could not be read.
control::UpgradeCheck Check() {
  control::UpgradeCheck check;
  check.at = kT0;
  check.gathered.services = {
      Service("a", Image("1.0.0", {{"a:rpc", 1}}),
              {Image("1.5.0"), Image("3.0.0", {}, {"nothing:here > 0"}), Image("2.0.0")}),
      Service("p", Image("1.0.0"), {Image("1.1.0")},
              {upgrade::UpdateMode::kAuto, upgrade::UpdatePolicy::kPatch}),
  };
  check.gathered.services[1].newer[0].digest.clear();  // held back by policy: never read
  upgrade::WatchedService x;
  x.name = "x";
  x.image = versions::ParseImageRef("127.0.0.1:5000/x:edge").value();
  check.gathered.services.push_back(x);
  check.gathered.notes["a"] = "registry 127.0.0.1:5000: 3.1.0: connection reset";
  check.gathered.notes["y"] = "`Bad:Ref`: invalid reference";
  check.catalog = upgrade::AssembleCatalog(check.gathered.services);
  check.decision = upgrade::Decide(check.catalog);
  return check;
}

TEST(CatalogToJson, BeforeTheFirstCheckHasNoTimeAndNoServices) {
  const json out = CatalogToJson(std::nullopt);
  EXPECT_TRUE(out["checked_at"].is_null());
  EXPECT_TRUE(out["outcome"].is_null());
  EXPECT_EQ(out["services"], json::array());
  EXPECT_EQ(out["unversioned"], json::array());
}

TEST(CatalogToJson, ListsEachServicesVersionsNewestFirstWithTheirState) {
  const json out = CatalogToJson(Check());
  EXPECT_EQ(out["checked_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(out["outcome"], "ok");
  EXPECT_TRUE(out["error"].is_null());
  ASSERT_EQ(out["services"].size(), 3U);
  const json& a = out["services"][0];
  EXPECT_EQ(a["name"], "a");
  EXPECT_EQ(a["image"], "127.0.0.1:5000/a:1.0.0");
  EXPECT_EQ(a["update"], "auto");
  EXPECT_EQ(a["running"], "1.0.0");
  EXPECT_EQ(a["target"], "2.0.0");
  EXPECT_EQ(a["note"], "registry 127.0.0.1:5000: 3.1.0: connection reset");
  std::vector<std::pair<std::string, std::string>> states;
  for (const json& v : a["versions"]) {
    states.emplace_back(v["version"].get<std::string>(), v["state"].get<std::string>());
  }
  EXPECT_EQ(states, (std::vector<std::pair<std::string, std::string>>{{"3.0.0", "held_back"},
                                                                      {"2.0.0", "target"},
                                                                      {"1.5.0", "candidate"},
                                                                      {"1.0.0", "running"}}));
  const json& held = a["versions"][0];
  EXPECT_EQ(held["tag"], "3.0.0");
  EXPECT_EQ(held["require"], json::array({"nothing:here > 0"}));
  EXPECT_THAT(held["reason"].get<std::string>(), HasSubstr("held back: requires"));
  EXPECT_EQ(a["versions"][3]["provide"], json({{"a:rpc", 1.0}}));
  EXPECT_TRUE(a["versions"][3]["reason"].is_null());
}

TEST(CatalogToJson, SaysWhichVersionsPolicyHoldsBackAndWhichServicesHaveNoVersion) {
  const json out = CatalogToJson(Check());
  const json& p = out["services"][1];
  EXPECT_EQ(p["update_policy"], "patch");
  EXPECT_EQ(p["target"], "1.0.0");
  EXPECT_TRUE(p["note"].is_null());
  ASSERT_EQ(p["versions"].size(), 2U);
  EXPECT_EQ(p["versions"][0]["state"], "held_back");
  EXPECT_TRUE(p["versions"][0]["digest"].is_null());
  EXPECT_EQ(p["versions"][0]["reason"],
            "held back: maiev.update_policy=patch takes releases of 1.0.x only");

  const json& x = out["services"][2];
  EXPECT_TRUE(x["running"].is_null());
  EXPECT_TRUE(x["target"].is_null());
  EXPECT_EQ(out["unversioned"],
            json::array({{{"service", "x"},
                          {"reason", "runs 127.0.0.1:5000/x:edge, which names no known version"}},
                         {{"service", "y"}, {"reason", "`Bad:Ref`: invalid reference"}}}));
}

TEST(CatalogToJson, ASwarmThatCouldNotBeListedIsTheError) {
  control::UpgradeCheck check;
  check.at = kT0;
  check.error = "Docker Engine at unix:///run/docker.sock: refused";
  const json out = CatalogToJson(check);
  EXPECT_EQ(out["error"], check.error);
  EXPECT_EQ(out["services"], json::array());
}

TEST(DecisionToJson, CarriesTheTargetThePinnedStepsAndWhatIsHeldBack) {
  const json out = DecisionToJson(Check().decision);
  EXPECT_EQ(out["outcome"], "ok");
  EXPECT_TRUE(out["message"].is_null());
  EXPECT_EQ(out["target"], json({{"a", "2.0.0"}, {"p", "1.0.0"}}));
  ASSERT_EQ(out["steps"].size(), 1U);
  EXPECT_EQ(out["steps"][0]["service"], "a");
  EXPECT_EQ(out["steps"][0]["from"], "1.0.0");
  EXPECT_EQ(out["steps"][0]["to"], "2.0.0");
  EXPECT_THAT(out["steps"][0]["image"].get<std::string>(),
              HasSubstr("127.0.0.1:5000/a:2.0.0@sha256:"));
  ASSERT_EQ(out["held_back"].size(), 2U);
  EXPECT_EQ(out["held_back"][0]["service"], "p");  // the catalog's exclusions come first
  EXPECT_EQ(out["held_back"][1]["version"], "3.0.0");
  EXPECT_EQ(out["needs_approval"], json::array());
}

TEST(DecisionToJson, AFailureHasItsMessageAndReasonsAndNoTarget) {
  upgrade::UpgradeDecision failed;
  failed.outcome = "no_solution";
  failed.message = "no consistent phase";
  failed.reasons = {"b 1.0.0: requires `a:rpc >= 2`, but a provides at most 1"};
  const json out = DecisionToJson(failed);
  EXPECT_EQ(out["outcome"], "no_solution");
  EXPECT_EQ(out["message"], "no consistent phase");
  EXPECT_EQ(out["reasons"], json::array({failed.reasons[0]}));
  EXPECT_EQ(out["target"], json::object());
  EXPECT_EQ(out["steps"], json::array());
}

TEST(ResolveToJson, IsTheDecisionWithItsTimeAndNotes) {
  const json out = ResolveToJson(Check());
  EXPECT_EQ(out["checked_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(out["outcome"], "ok");
  EXPECT_EQ(out["notes"]["y"], "`Bad:Ref`: invalid reference");
}

TEST(PlanToJson, WritesEmptyFieldsAsNull) {
  store::UpgradePlan plan;
  plan.id = 4;
  plan.created = kT0;
  plan.updated = kT0 + std::chrono::milliseconds{1500};
  plan.state = store::RunState::kFailed;
  plan.reason = "plan 4 step 1 (b (new) → 1.0.0) failed: rolled back";
  store::UpgradeStep step;
  step.service = "b";
  step.to_version = "1.0.0";
  step.image = "127.0.0.1:5000/b:1.0.0@sha256:ab";
  step.state = store::RunState::kFailed;
  step.error = "Swarm rolled the update back";
  step.started = kT0 + std::chrono::seconds{1};
  plan.steps = {step, step};
  plan.steps[1].index = 1;
  plan.steps[1].from_version = "1.0.0";
  plan.steps[1].to_version = "1.1.0";
  plan.steps[1].error.clear();
  plan.steps[1].started.reset();
  plan.steps[1].state = store::RunState::kAborted;
  const json out = PlanToJson(plan);
  EXPECT_EQ(out["id"], 4);
  EXPECT_EQ(out["state"], "failed");
  EXPECT_EQ(out["created"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(out["updated"], "2023-11-14T22:13:21.500Z");
  ASSERT_EQ(out["steps"].size(), 2U);
  EXPECT_TRUE(out["steps"][0]["from"].is_null());
  EXPECT_EQ(out["steps"][0]["error"], "Swarm rolled the update back");
  EXPECT_EQ(out["steps"][0]["started"], "2023-11-14T22:13:21.000Z");
  EXPECT_EQ(out["steps"][1]["index"], 1);
  EXPECT_EQ(out["steps"][1]["from"], "1.0.0");
  EXPECT_EQ(out["steps"][1]["state"], "aborted");
  EXPECT_TRUE(out["steps"][1]["error"].is_null());
  EXPECT_TRUE(out["steps"][1]["started"].is_null());
}

TEST(UpgradePrometheusText, WritesEveryPlanStateAndEachCounter) {
  UpgradeMetrics metrics;
  metrics.plans = std::map<store::RunState, std::size_t>{{store::RunState::kDone, 3}};
  control::UpgradeCounters counters;
  counters.checks = 7;
  counters.check_failures = 1;
  counters.registry_requests = 42;
  counters.plans_created = 4;
  counters.steps_started = 5;
  counters.steps_done = 3;
  counters.steps_failed = 1;
  counters.steps_aborted = 1;
  metrics.counters = counters;
  metrics.registry_webhooks = {6, 2, 1};
  const std::string text = UpgradePrometheusText(metrics);
  for (const char* line : {
           "# TYPE maiev_upgrade_plans gauge\n",
           "maiev_upgrade_plans{state=\"pending\"} 0\n",
           "maiev_upgrade_plans{state=\"done\"} 3\n",
           "maiev_upgrade_plans_created_total 4\n",
           "# TYPE maiev_upgrade_steps_total counter\n",
           "maiev_upgrade_steps_total{result=\"started\"} 5\n",
           "maiev_upgrade_steps_total{result=\"done\"} 3\n",
           "maiev_upgrade_steps_total{result=\"failed\"} 1\n",
           "maiev_upgrade_steps_total{result=\"aborted\"} 1\n",
           "maiev_upgrade_checks_total 7\n",
           "maiev_upgrade_check_failures_total 1\n",
           "maiev_registry_requests_total 42\n",
           "maiev_webhook_events_total{source=\"registry\",result=\"accepted\"} 6\n",
           "maiev_webhook_events_total{source=\"registry\",result=\"ignored\"} 2\n",
           "maiev_webhook_events_total{source=\"registry\",result=\"rejected\"} 1\n",
           "maiev_webhook_events_total{source=\"dockerhub\",result=\"accepted\"} 0\n",
       }) {
    EXPECT_THAT(text, HasSubstr(line));
  }
}

TEST(UpgradePrometheusText, LeavesOutWhatIsNotKnown) {
  UpgradeMetrics metrics;
  metrics.plans = Fail("io", "disk I/O error");
  const std::string text = UpgradePrometheusText(metrics);
  EXPECT_THAT(text, Not(HasSubstr("maiev_upgrade_plans")));
  EXPECT_THAT(text, Not(HasSubstr("maiev_upgrade_checks_total")));
  EXPECT_THAT(
      text, HasSubstr("maiev_webhook_events_total{source=\"dockerhub\",result=\"rejected\"} 0\n"));
}

}  // namespace
}  // namespace maiev::api
