#include "cli/service_tables.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "api/service_json.hpp"

namespace maiev::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kT0 = TimePoint{} + std::chrono::seconds{1'700'000'000};

control::ServiceStatus Worker() {
  control::ServiceStatus s;
  s.id = "w1";
  s.name = "worker";
  s.mode = "replicated";
  s.replicas = 6;
  s.running_tasks = 4;
  s.image = "127.0.0.1:5000/worker:1.0.0";
  s.state = control::kStateMonitored;
  s.config_origin = "service_label";
  s.config = {{"min", 1}, {"max", 6}};
  s.min = 1;
  s.max = 6;
  monitor::QueueMetrics m;
  m.waiting = 1200;
  m.latency = 13.333;
  m.consumers = 6;
  s.resources = {{"rmq", "orders", m}};
  s.rules = {{"behind", "rmq:latency > 3", true, kT0 - std::chrono::seconds{45}},
             {"idle", "rmq:waiting == 0", false, kT0 - std::chrono::seconds{600}}};
  s.scale_up_expression = "rules:behind";
  s.scale_down_expression = "rules:idle";
  s.scale_up = true;
  s.evaluated_at = kT0;
  s.last_reason = "at max 6: scale_up: rules:behind ← rmq:latency 13.3 > 3";
  return s;
}

json Decisions() {
  return {{"decisions",
           {{{"id", 2},
             {"time", "2023-11-14T22:13:20.000Z"},
             {"service", "worker"},
             {"old_replicas", 1},
             {"new_replicas", 6},
             {"direction", "up"},
             {"reason", "scale_up: rules:behind ← rmq:latency 13.3 > 3"}}}}};
}

TEST(ServiceTablesTest, TheListShowsStateReplicasBoundsMetricsRulesAndWhy) {
  const std::string text = ServicesText({Worker()});
  EXPECT_THAT(text, HasSubstr("SERVICE"));
  EXPECT_THAT(text, HasSubstr("REPLICAS"));
  EXPECT_THAT(text, HasSubstr("worker"));
  EXPECT_THAT(text, HasSubstr("monitored"));
  EXPECT_THAT(text, HasSubstr("4/6"));
  EXPECT_THAT(text, HasSubstr("1–6"));
  EXPECT_THAT(text, HasSubstr("1.2e+03"));
  EXPECT_THAT(text, HasSubstr("13.3"));
  EXPECT_THAT(text, HasSubstr("behind=T idle=F"));
  EXPECT_THAT(text, HasSubstr("  why: at max 6"));
  EXPECT_EQ(ServicesText({}),
            "no services: the swarm has none, or the daemon has not listed it yet\n");
}

TEST(ServiceTablesTest, TheListFitsANarrowTerminal) {
  // 8 columns of at least 6 and their gaps need 62.
  const std::string text = ServicesText({Worker()}, {.width = 64});
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    EXPECT_LE(Columns(text.substr(start, end - start)), 64U) << text.substr(start, end - start);
    start = end + 1;
  }
}

TEST(ServiceTablesTest, AnInvalidServiceShowsItsFirstErrorAndNoBounds) {
  control::ServiceStatus s;
  s.name = "broken";
  s.state = control::kStateInvalid;
  s.config_errors = {"max: must be at least min (1)", "second"};
  const std::string text = ServicesText({s});
  EXPECT_THAT(text, HasSubstr("  error: max: must be at least min (1)"));
  EXPECT_THAT(text, Not(HasSubstr("second")));
}

TEST(ServiceTablesTest, OneServiceShowsConfigRulesWithSinceMetricsAndDecisions) {
  const std::string text = ServiceText(Worker(), Decisions());
  EXPECT_THAT(text, HasSubstr("127.0.0.1:5000/worker:1.0.0"));
  EXPECT_THAT(text, HasSubstr("\"max\": 6"));
  EXPECT_THAT(text, HasSubstr("behind"));
  EXPECT_THAT(text, HasSubstr("2023-11-14T22:12:35Z"));  // since, 45 s before the cycle
  EXPECT_THAT(text, HasSubstr("45s"));
  EXPECT_THAT(text, HasSubstr("10m"));
  EXPECT_THAT(text, HasSubstr("rmq:latency > 3"));
  EXPECT_THAT(text, HasSubstr("scale_up"));
  EXPECT_THAT(text, HasSubstr("orders"));
  EXPECT_THAT(text, HasSubstr("why: at max 6"));
  EXPECT_THAT(text, HasSubstr("1 → 6"));
  EXPECT_THAT(ServiceText(Worker(), json::object()), HasSubstr("none recorded"));
}

TEST(ServiceTablesTest, TheTableIsWhatTheCodecReadsBack) {
  // The CLI reads the daemon's JSON back into the snapshot: the same text either way.
  auto back = api::ServiceStatusFromJson(api::ToJson(Worker()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(ServicesText({*back}), ServicesText({Worker()}));
}

TEST(ServiceTablesTest, MetricsReadAsPeopleReadThem) {
  EXPECT_EQ(MetricText(std::nullopt), "-");
  EXPECT_EQ(MetricText(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(MetricText(0.123456), "0.123");
  EXPECT_EQ(MetricText(42), "42");
}

TEST(ServiceTablesTest, EachEventTypeOnOneLine) {
  const auto line = [](const char* type, const json& data) {
    return EventLine({"9", type, data.dump()});
  };
  EXPECT_EQ(line("service", {{"service", "w"}, {"change", "paused"}}), "#9 service w paused");
  EXPECT_EQ(line("plan", {{"id", 2}, {"state", "running"}, {"reason", "new versions"}}),
            "#9 plan plan 2 running: new versions");
  EXPECT_EQ(line("step", {{"plan", 2},
                          {"index", 1},
                          {"service", "orders"},
                          {"from", "1.0.0"},
                          {"to", "2.0.0"},
                          {"state", "failed"},
                          {"error", "rolled back"}}),
            "#9 step plan 2 step 1 orders 1.0.0 → 2.0.0 failed: rolled back");
  EXPECT_EQ(line("config_error", {{"service", "w"}, {"errors", {"a: x", "b: y"}}}),
            "#9 config_error w: a: x; b: y");
  EXPECT_THAT(line("decision", Decisions()["decisions"][0]),
              HasSubstr("#9 decision 2023-11-14T22:13:20Z  worker  1 → 6  scale_up"));
  EXPECT_EQ(line("cycle", {{"time", "2023-11-14T22:13:20.000Z"},
                           {"services", 3},
                           {"decisions", 1},
                           {"duration_ms", 2.5}}),
            "#9 cycle 2023-11-14T22:13:20Z  3 services, 1 decisions, 2.5 ms");
  EXPECT_EQ(EventLine({"10", "future", "not json"}), "#10 future not json");
}

TEST(ServiceTablesTest, TopHasATitleAndTheTable) {
  const std::string text = TopText({Worker()}, "http://127.0.0.1:8080", kT0, {.width = 200});
  EXPECT_THAT(text, HasSubstr("maiev top  http://127.0.0.1:8080  2023-11-14T22:13:20Z  1 services, "
                              "1 converging  (q quits)"));
  EXPECT_THAT(text, HasSubstr("worker"));
}

}  // namespace
}  // namespace maiev::cli
