// The autoscaler's routes of HttpApi: services (list, show, config, scale, pause/resume,
// history), rule tests, decisions, and the services' lines of /metrics.
#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "api/decision_json.hpp"
#include "api/http_api.hpp"
#include "api/http_replies.hpp"
#include "api/request_bodies.hpp"
#include "api/service_json.hpp"
#include "common/time_format.hpp"
#include "rules/expression.hpp"

namespace maiev::api {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultDecisionLimit = 50;
constexpr std::size_t kMaxDecisionLimit = 1000;
constexpr int kDefaultHistoryMinutes = 15;
constexpr int kMaxHistoryMinutes = 60;

const std::set<std::string, std::less<>> kStates = {
    control::kStateMonitored, control::kStateSized, control::kStateInvalid,
    control::kStateUnconfigured, control::kStatePaused};

std::string Joined(const std::set<std::string, std::less<>>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A time bound of the decisions' query: an RFC 3339 time, or a duration back from now ("1h").
Result<TimePoint> TimeParam(const httplib::Request& req, const char* name, TimePoint now) {
  const std::string text = req.get_param_value(name);
  if (auto t = ParseRfc3339(text); t.ok()) return *t;
  if (auto seconds = rules::ParseDuration(text); seconds.ok()) {
    return now - std::chrono::duration_cast<TimePoint::duration>(Duration{*seconds});
  }
  return Fail("invalid", std::string(name) + ": expected an RFC 3339 time (" +
                             std::string(kRfc3339Form) + ") or a duration back from now (\"1h\", " +
                             "\"15m\"), got '" + text + "'");
}

Result<std::int64_t> PositiveInteger(const std::string& text, const std::string& what) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) {
    return Fail("invalid", what + ": expected a positive integer, got '" + text + "'");
  }
  return v;
}

}  // namespace

void HttpApi::ListServices(const httplib::Request& req, httplib::Response& res) {
  std::optional<std::string> state;
  if (req.has_param("state")) {
    state = req.get_param_value("state");
    if (!kStates.contains(*state)) {
      return ReplyError(res, 400, "invalid",
                        "state: expected one of " + Joined(kStates) + ", got '" + *state + "'");
    }
  }
  const std::string prefix = req.get_param_value("prefix");
  // Joined from each item's text: the same JSON as building one document, without the cost.
  std::string body = R"({"services":[)";
  bool first = true;
  for (const ListedService& s : *ServiceList()) {
    if (state && s.state != *state) continue;
    if (!s.name.starts_with(prefix)) continue;
    if (!first) body += ',';
    body += s.json;
    first = false;
  }
  body += "]}";
  res.status = 200;
  res.set_content(body, "application/json");
}

std::shared_ptr<const std::vector<HttpApi::ListedService>> HttpApi::ServiceList() {
  const std::lock_guard lock(list_mutex_);
  if (list_ && list_generation_ == autoscaler_.generation()) return list_;
  std::uint64_t generation = 0;
  auto list = std::make_shared<std::vector<ListedService>>();
  // The list carries each explanation's text; the data is built per service on request.
  for (const auto& s : autoscaler_.Snapshot(generation)) {
    list->push_back({s.name, s.state, ToJson(s).dump()});
  }
  list_generation_ = generation;
  list_ = std::move(list);
  return list_;
}

void HttpApi::ShowService(const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.matches[1];
  if (auto s = autoscaler_.ServiceSnapshot(name)) return Reply(res, 200, ToJson(*s));
  ReplyError(res, 404, "not_found", "no service named '" + name + "'");
}

void HttpApi::SetServiceConfig(const httplib::Request& req, httplib::Response& res) {
  auto status = autoscaler_.SetConfig(req.matches[1], req.body);
  if (!status.ok()) return ReplyFailure(req, res, status.error());
  Reply(res, 200, ToJson(*status));
}

void HttpApi::UnsetServiceConfig(const httplib::Request& req, httplib::Response& res) {
  auto status = autoscaler_.UnsetConfig(req.matches[1]);
  if (!status.ok()) return ReplyFailure(req, res, status.error());
  Reply(res, 200, ToJson(*status));
}

void HttpApi::ScaleService(const httplib::Request& req, httplib::Response& res) {
  auto body = ParseScaleRequest(req.body);
  if (!body.ok()) return ReplyFailure(req, res, body.error());
  auto scaled = autoscaler_.Scale(req.matches[1], body->replicas, body->force);
  if (!scaled.ok()) return ReplyFailure(req, res, scaled.error());
  Reply(res, 200, ToJson(*scaled));
}

void HttpApi::SetPaused(const httplib::Request& req, httplib::Response& res, bool paused) {
  const std::string name = req.matches[1];
  Status st = autoscaler_.SetPaused(name, paused);
  if (!st.ok()) return ReplyFailure(req, res, st.error());
  Reply(res, 200, {{"service", name}, {"paused", paused}});
}

void HttpApi::PauseService(const httplib::Request& req, httplib::Response& res) {
  SetPaused(req, res, true);
}

void HttpApi::ResumeService(const httplib::Request& req, httplib::Response& res) {
  SetPaused(req, res, false);
}

void HttpApi::ServiceHistory(const httplib::Request& req, httplib::Response& res) {
  int minutes = kDefaultHistoryMinutes;
  if (req.has_param("minutes")) {
    auto given = PositiveInteger(req.get_param_value("minutes"), "minutes");
    if (!given.ok() || *given > kMaxHistoryMinutes) {
      return ReplyError(res, 400, "invalid",
                        "minutes: expected an integer from 1 to " +
                            std::to_string(kMaxHistoryMinutes) + ", got '" +
                            req.get_param_value("minutes") + "'");
    }
    minutes = static_cast<int>(*given);
  }
  const std::string name = req.matches[1];
  auto history = autoscaler_.History(name, Duration{60.0 * minutes});
  if (!history) return ReplyError(res, 404, "not_found", "no service named '" + name + "'");
  Reply(res, 200, ToJson(*history));
}

void HttpApi::TestRule(const httplib::Request& req, httplib::Response& res) {
  auto body = ParseRuleTestRequest(req.body);
  if (!body.ok()) return ReplyFailure(req, res, body.error());
  auto test = autoscaler_.TestRule(body->service, body->expression);
  if (!test.ok()) return ReplyFailure(req, res, test.error());
  Reply(res, 200, ToJson(*test));
}

void HttpApi::ListDecisions(const httplib::Request& req, httplib::Response& res) {
  store::DecisionQuery query;
  auto limit = QueryLimit(req, kDefaultDecisionLimit, kMaxDecisionLimit);
  if (!limit.ok()) return ReplyFailure(req, res, limit.error());
  query.limit = *limit;
  if (req.has_param("service")) query.service = req.get_param_value("service");
  static const SystemClock kSystemClock;
  const TimePoint now = (options_.clock != nullptr ? *options_.clock : kSystemClock).Now();
  for (const char* bound : {"since", "until"}) {
    if (!req.has_param(bound)) continue;
    auto t = TimeParam(req, bound, now);
    if (!t.ok()) return ReplyFailure(req, res, t.error());
    (std::string_view(bound) == "since" ? query.since : query.until) = *t;
  }
  if (req.has_param("direction")) {
    const std::string direction = req.get_param_value("direction");
    if (direction == "up") {
      query.direction = store::DecisionQuery::Direction::kUp;
    } else if (direction == "down") {
      query.direction = store::DecisionQuery::Direction::kDown;
    } else if (direction == "none") {
      query.direction = store::DecisionQuery::Direction::kNone;
    } else {
      return ReplyError(res, 400, "invalid",
                        "direction: expected up, down or none, got '" + direction + "'");
    }
  }
  if (req.has_param("cursor")) {
    auto cursor = PositiveInteger(req.get_param_value("cursor"), "cursor");
    if (!cursor.ok()) return ReplyFailure(req, res, cursor.error());
    query.before_id = *cursor;
  }
  auto decisions = store_.QueryDecisions(query);
  if (!decisions.ok()) return ReplyFailure(req, res, decisions.error());
  json list = json::array();
  for (const auto& d : *decisions) list.push_back(ToJson(d));
  // A full page may have a next one: it starts after the last id given.
  const json next =
      decisions->size() == query.limit && !decisions->empty() ? json(decisions->back().id) : json();
  Reply(res, 200, {{"decisions", list}, {"next_cursor", next}});
}

std::string HttpApi::ServiceMetricsText() {
  const std::vector<control::ServiceStatus> services = autoscaler_.Snapshot();
  const Readiness readiness = readiness_();
  std::ostringstream out;
  out << "# HELP maiev_service_replicas Desired replicas of a Swarm service as maiev knows it.\n"
         "# TYPE maiev_service_replicas gauge\n";
  for (const auto& s : services) {
    out << "maiev_service_replicas{service=\"" << PrometheusLabel(s.name) << "\"} " << s.replicas
        << "\n";
  }
  out << "# HELP maiev_service_running_tasks Running tasks of a Swarm service.\n"
         "# TYPE maiev_service_running_tasks gauge\n";
  for (const auto& s : services) {
    if (!s.running_tasks) continue;
    out << "maiev_service_running_tasks{service=\"" << PrometheusLabel(s.name) << "\"} "
        << *s.running_tasks << "\n";
  }
  out << "# HELP maiev_service_paused 1 while autoscaling of the service is paused.\n"
         "# TYPE maiev_service_paused gauge\n";
  for (const auto& s : services) {
    out << "maiev_service_paused{service=\"" << PrometheusLabel(s.name) << "\"} "
        << (s.paused ? 1 : 0) << "\n";
  }
  out << "# HELP maiev_rule_value Current value of a scaling rule (1 true, 0 false).\n"
         "# TYPE maiev_rule_value gauge\n";
  for (const auto& s : services) {
    for (const auto& rule : s.rules) {
      out << "maiev_rule_value{service=\"" << PrometheusLabel(s.name) << "\",rule=\""
          << PrometheusLabel(rule.name) << "\"} " << (rule.value ? 1 : 0) << "\n";
    }
  }
  // A queue's metrics, once per queue however many services read it; a missing metric has no
  // line (Prometheus reads that as absent, not 0).
  struct QueueGauge {
    const char* name;
    const char* help;
    std::optional<double> monitor::QueueMetrics::*member;
  };
  static constexpr std::array<QueueGauge, 3> kQueueGauges = {{
      {"maiev_queue_waiting", "Messages ready in a monitored queue.",
       &monitor::QueueMetrics::waiting},
      {"maiev_queue_latency_seconds",
       "Seconds to drain a monitored queue at its current rate (+Inf: nothing drains it).",
       &monitor::QueueMetrics::latency},
      {"maiev_queue_consumers", "Consumers of a monitored queue.",
       &monitor::QueueMetrics::consumers},
  }};
  std::map<std::string, monitor::QueueMetrics> queues;
  for (const auto& s : services) {
    for (const auto& r : s.resources) {
      if (r.metrics) queues.emplace(r.queue, *r.metrics);
    }
  }
  for (const QueueGauge& gauge : kQueueGauges) {
    out << "# HELP " << gauge.name << " " << gauge.help << "\n# TYPE " << gauge.name << " gauge\n";
    for (const auto& [queue, metrics] : queues) {
      const std::optional<double>& value = metrics.*gauge.member;
      if (!value) continue;
      out << gauge.name << "{queue=\"" << PrometheusLabel(queue) << "\"} ";
      if (std::isinf(*value)) {
        out << (*value > 0 ? "+Inf" : "-Inf");
      } else {
        out << *value;
      }
      out << "\n";
    }
  }
  const control::Autoscaler::CycleStats stats = autoscaler_.cycle_stats();
  out << "# HELP maiev_decisions_total Scaling changes the autoscaler made, by direction "
         "(failed: the orchestrator refused).\n"
         "# TYPE maiev_decisions_total counter\n"
      << "maiev_decisions_total{direction=\"up\"} " << stats.scaled_up << "\n"
      << "maiev_decisions_total{direction=\"down\"} " << stats.scaled_down << "\n"
      << "maiev_decisions_total{direction=\"failed\"} " << stats.failed << "\n";
  out << "# HELP maiev_cycle_duration_seconds How long an autoscaling cycle took.\n"
         "# TYPE maiev_cycle_duration_seconds histogram\n";
  for (std::size_t i = 0; i < stats.kBuckets.size(); ++i) {
    out << "maiev_cycle_duration_seconds_bucket{le=\"" << stats.kBuckets[i] << "\"} "
        << stats.in_bucket[i] << "\n";
  }
  out << "maiev_cycle_duration_seconds_bucket{le=\"+Inf\"} " << stats.cycles << "\n"
      << "maiev_cycle_duration_seconds_sum " << stats.seconds << "\n"
      << "maiev_cycle_duration_seconds_count " << stats.cycles << "\n";
  out << "# HELP maiev_ready 1 while every component maiev needs is reachable (as /readyz).\n"
         "# TYPE maiev_ready gauge\nmaiev_ready "
      << (readiness.ready() ? 1 : 0) << "\n";
  out << "# HELP maiev_component_ready 1 while the component is reachable.\n"
         "# TYPE maiev_component_ready gauge\n";
  for (const auto& c : readiness.components) {
    out << "maiev_component_ready{component=\"" << PrometheusLabel(c.name) << "\"} "
        << (c.ready() ? 1 : 0) << "\n";
  }
  return out.str();
}

}  // namespace maiev::api
