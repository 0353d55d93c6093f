#include "api/service_json.hpp"

#include <cmath>
#include <limits>

#include "common/time_format.hpp"

namespace maiev::api {
namespace {

using nlohmann::json;

json TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? json(FormatUtcMillis(*t)) : json();
}

// A number as rules::Value::ToJson writes one: JSON has no infinity, so "inf" / "-inf".
json Number(const std::optional<double>& v) {
  if (!v) return nullptr;
  if (std::isinf(*v)) return *v > 0 ? "inf" : "-inf";
  if (std::isnan(*v)) return nullptr;
  return *v;
}

// Reading members back, each failure naming where it is.
class Reader {
 public:
  Reader(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  Status Check() const {
    if (object_.is_object()) return {};
    return Fail("invalid", where_ + ": expected an object, got " + object_.dump());
  }
  const json* Member(const char* name) const {
    auto it = object_.find(name);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  Unexpected<Error> Wrong(const char* name, const char* expected) const {
    return Fail("invalid", where_ + "." + name + ": expected " + expected + ", got " +
                               object_.at(name).dump());
  }
  Status String(const char* name, std::string& out) const {
    const json* v = Member(name);
    if (v == nullptr) return {};
    if (!v->is_string()) return Wrong(name, "a string");
    out = v->get<std::string>();
    return {};
  }
  Status Bool(const char* name, bool& out) const {
    const json* v = Member(name);
    if (v == nullptr) return {};
    if (!v->is_boolean()) return Wrong(name, "true or false");
    out = v->get<bool>();
    return {};
  }
  template <typename Int>
  Status Integer(const char* name, Int& out) const {
    const json* v = Member(name);
    if (v == nullptr) return {};
    if (!v->is_number_integer()) return Wrong(name, "an integer");
    out = v->get<Int>();
    return {};
  }
  template <typename Int>
  Status Integer(const char* name, std::optional<Int>& out) const {
    const json* v = Member(name);
    if (v == nullptr) return {};
    if (!v->is_number_integer()) return Wrong(name, "an integer");
    out = v->get<Int>();
    return {};
  }
  Status OptionalNumber(const char* name, std::optional<double>& out) const {
    const json* v = Member(name);
    if (v == nullptr) return {};
    if (v->is_number()) {
      out = v->get<double>();
      return {};
    }
    if (v->is_string() && (*v == "inf" || *v == "-inf")) {
      out = (*v == "inf" ? 1 : -1) * std::numeric_limits<double>::infinity();
      return {};
    }
    return Wrong(name, "a number or \"inf\"");
  }
  Status Time(const char* name, std::optional<TimePoint>& out) const {
    const json* v = Member(name);
    if (v == nullptr) return {};
    if (!v->is_string()) return Wrong(name, "an RFC 3339 time");
    auto t = ParseRfc3339(v->get<std::string>());
    if (!t.ok()) return Fail("invalid", where_ + "." + name + ": " + t.error().message);
    out = *t;
    return {};
  }

 private:
  const json& object_;
  std::string where_;
};

#define MAIEV_TRY(expr)                                                 \
  do {                                                                  \
    if (Status st_ = (expr); !st_.ok()) return Unexpected{st_.error()}; \
  } while (false)

}  // namespace

json ToJson(const control::ServiceStatus& s) {
  json resources = json::array();
  json metrics = json::object();
  for (const control::ResourceStatus& r : s.resources) {
    resources.push_back({{"name", r.name}, {"queue", r.queue}});
    metrics[r.name] = r.metrics ? monitor::MetricsToJson(*r.metrics) : json();
  }
  json rules = json::object();
  for (const control::RuleStatus& r : s.rules) {
    const double since_seconds =
        s.evaluated_at ? std::max(0.0, SecondsBetween(r.since, *s.evaluated_at)) : 0.0;
    rules[r.name] = {{"value", r.value},
                     {"since", FormatUtcMillis(r.since)},
                     {"since_seconds", since_seconds},
                     {"expression", r.expression}};
  }
  json j = {
      {"id", s.id},
      {"name", s.name},
      {"mode", s.mode},
      {"replicas", s.replicas},
      {"running_tasks", s.running_tasks ? json(*s.running_tasks) : json()},
      {"image", s.image},
      {"state", s.state},
      {"paused", s.paused},
      {"config_origin", s.config_origin},
      {"config_errors", s.config_errors},
      {"min", s.min},
      {"max", s.max},
      {"resources", std::move(resources)},
      {"metrics", std::move(metrics)},
      {"rules", std::move(rules)},
      {"triggers", {{"scale_up", s.scale_up_expression}, {"scale_down", s.scale_down_expression}}},
      {"scale_up", s.scale_up},
      {"scale_down", s.scale_down},
      {"evaluated_at", TimeOrNull(s.evaluated_at)},
      {"last_reason", s.last_reason},
      {"explanation", s.explanation},
      {"last_change", TimeOrNull(s.last_change)}};
  if (!s.config.is_null()) j["config"] = s.config;
  return j;
}

Result<control::ServiceStatus> ServiceStatusFromJson(const json& j) {
  const Reader in(j, "service");
  MAIEV_TRY(in.Check());
  control::ServiceStatus s;
  MAIEV_TRY(in.String("id", s.id));
  MAIEV_TRY(in.String("name", s.name));
  MAIEV_TRY(in.String("mode", s.mode));
  MAIEV_TRY(in.Integer("replicas", s.replicas));
  MAIEV_TRY(in.Integer("running_tasks", s.running_tasks));
  MAIEV_TRY(in.String("image", s.image));
  MAIEV_TRY(in.String("state", s.state));
  MAIEV_TRY(in.Bool("paused", s.paused));
  MAIEV_TRY(in.String("config_origin", s.config_origin));
  if (const json* errors = in.Member("config_errors")) {
    if (!errors->is_array()) return in.Wrong("config_errors", "a list of strings");
    for (const json& e : *errors) {
      if (!e.is_string()) return in.Wrong("config_errors", "a list of strings");
      s.config_errors.push_back(e.get<std::string>());
    }
  }
  MAIEV_TRY(in.Integer("min", s.min));
  MAIEV_TRY(in.Integer("max", s.max));
  const json* metrics = in.Member("metrics");
  if (metrics != nullptr && !metrics->is_object()) return in.Wrong("metrics", "an object");
  if (const json* resources = in.Member("resources")) {
    if (!resources->is_array()) return in.Wrong("resources", "a list");
    for (std::size_t i = 0; i < resources->size(); ++i) {
      const Reader r((*resources)[i], "service.resources[" + std::to_string(i) + "]");
      MAIEV_TRY(r.Check());
      control::ResourceStatus resource;
      MAIEV_TRY(r.String("name", resource.name));
      MAIEV_TRY(r.String("queue", resource.queue));
      if (metrics != nullptr) {
        auto it = metrics->find(resource.name);
        if (it != metrics->end() && !it->is_null()) {
          auto parsed = monitor::MetricsFromJson(*it);
          if (!parsed.ok()) return Fail("invalid", "service." + parsed.error().message);
          resource.metrics = *parsed;
        }
      }
      s.resources.push_back(std::move(resource));
    }
  }
  if (const json* rules = in.Member("rules")) {
    if (!rules->is_object()) return in.Wrong("rules", "an object");
    for (const auto& [name, state] : rules->items()) {
      const Reader r(state, "service.rules." + name);
      MAIEV_TRY(r.Check());
      control::RuleStatus rule;
      rule.name = name;
      MAIEV_TRY(r.Bool("value", rule.value));
      MAIEV_TRY(r.String("expression", rule.expression));
      std::optional<TimePoint> since;
      MAIEV_TRY(r.Time("since", since));
      if (since) rule.since = *since;
      s.rules.push_back(std::move(rule));
    }
  }
  if (const json* triggers = in.Member("triggers")) {
    const Reader t(*triggers, "service.triggers");
    MAIEV_TRY(t.Check());
    MAIEV_TRY(t.String("scale_up", s.scale_up_expression));
    MAIEV_TRY(t.String("scale_down", s.scale_down_expression));
  }
  MAIEV_TRY(in.Bool("scale_up", s.scale_up));
  MAIEV_TRY(in.Bool("scale_down", s.scale_down));
  MAIEV_TRY(in.Time("evaluated_at", s.evaluated_at));
  MAIEV_TRY(in.String("last_reason", s.last_reason));
  if (const json* explanation = in.Member("explanation")) s.explanation = *explanation;
  MAIEV_TRY(in.Time("last_change", s.last_change));
  if (const json* config = in.Member("config")) s.config = *config;
  return s;
}

json ToJson(const control::ServiceHistory& history) {
  json samples = json::array();
  for (const control::HistorySample& sample : history.samples) {
    json metrics = json::object();
    for (std::size_t r = 0; r < history.resources.size(); ++r) {
      const bool has = r < sample.resources.size() && sample.resources[r];
      if (!has) {
        metrics[history.resources[r]] = nullptr;
        continue;
      }
      const control::ResourceSample& m = *sample.resources[r];
      metrics[history.resources[r]] = {{"waiting", Number(m.waiting)},
                                       {"latency", Number(m.latency)},
                                       {"consumers", Number(m.consumers)},
                                       {"call_rate", Number(m.call_rate)},
                                       {"exec_rate", Number(m.exec_rate)}};
    }
    samples.push_back(
        {{"time", FormatUtcMillis(sample.time)},
         {"replicas", sample.replicas},
         {"running_tasks", sample.running_tasks ? json(*sample.running_tasks) : json()},
         {"metrics", std::move(metrics)},
         {"scale_up", sample.scale_up},
         {"scale_down", sample.scale_down}});
  }
  return {{"service", history.service},
          {"resources", history.resources},
          {"samples", std::move(samples)}};
}

json ToJson(const control::LeaderStatus& status) {
  return {{"leading", status.leading},
          {"leader", status.leader},
          {"self", status.self},
          {"lease_expires", TimeOrNull(status.lease_expires)},
          {"transitions", status.transitions},
          {"error", status.error}};
}

Result<control::LeaderStatus> LeaderStatusFromJson(const json& j) {
  const Reader in(j, "leader");
  MAIEV_TRY(in.Check());
  control::LeaderStatus status;
  MAIEV_TRY(in.Bool("leading", status.leading));
  MAIEV_TRY(in.String("leader", status.leader));
  MAIEV_TRY(in.String("self", status.self));
  MAIEV_TRY(in.Time("lease_expires", status.lease_expires));
  MAIEV_TRY(in.Integer("transitions", status.transitions));
  MAIEV_TRY(in.String("error", status.error));
  return status;
}

Result<control::ServiceHistory> ServiceHistoryFromJson(const json& j) {
  const Reader in(j, "history");
  MAIEV_TRY(in.Check());
  control::ServiceHistory history;
  MAIEV_TRY(in.String("service", history.service));
  if (const json* resources = in.Member("resources")) {
    if (!resources->is_array()) return in.Wrong("resources", "a list of names");
    for (const json& r : *resources) {
      if (!r.is_string()) return in.Wrong("resources", "a list of names");
      history.resources.push_back(r.get<std::string>());
    }
  }
  const json* samples = in.Member("samples");
  if (samples == nullptr) return history;
  if (!samples->is_array()) return in.Wrong("samples", "a list");
  for (std::size_t i = 0; i < samples->size(); ++i) {
    const std::string where = "history.samples[" + std::to_string(i) + "]";
    const Reader s((*samples)[i], where);
    MAIEV_TRY(s.Check());
    control::HistorySample sample;
    std::optional<TimePoint> time;
    MAIEV_TRY(s.Time("time", time));
    if (!time) return Fail("invalid", where + ".time: missing");
    sample.time = *time;
    MAIEV_TRY(s.Integer("replicas", sample.replicas));
    MAIEV_TRY(s.Integer("running_tasks", sample.running_tasks));
    MAIEV_TRY(s.Bool("scale_up", sample.scale_up));
    MAIEV_TRY(s.Bool("scale_down", sample.scale_down));
    const json* metrics = s.Member("metrics");
    for (const std::string& name : history.resources) {
      const json* m = nullptr;
      if (metrics != nullptr && metrics->is_object()) {
        auto it = metrics->find(name);
        if (it != metrics->end() && !it->is_null()) m = &*it;
      }
      if (m == nullptr) {
        sample.resources.emplace_back();
        continue;
      }
      const Reader r(*m, where + ".metrics." + name);
      MAIEV_TRY(r.Check());
      control::ResourceSample values;
      MAIEV_TRY(r.OptionalNumber("waiting", values.waiting));
      MAIEV_TRY(r.OptionalNumber("latency", values.latency));
      MAIEV_TRY(r.OptionalNumber("consumers", values.consumers));
      MAIEV_TRY(r.OptionalNumber("call_rate", values.call_rate));
      MAIEV_TRY(r.OptionalNumber("exec_rate", values.exec_rate));
      sample.resources.emplace_back(values);
    }
    history.samples.push_back(std::move(sample));
  }
  return history;
}

json ToJson(const control::RuleTest& test) {
  json explained = test.explanation.ToJson();
  return {{"service", test.service},
          {"expression", test.expression},
          {"time", FormatUtcMillis(test.at)},
          {"value", test.explanation.scale_up.value},
          {"terms", explained["scale_up"]},
          {"rules", explained["rules"]},
          {"text", test.explanation.TermsText(test.explanation.scale_up)}};
}

json ToJson(const control::ManualScale& scale) {
  return {{"service", scale.service},
          {"previous", scale.from},
          {"replicas", scale.to},
          {"paused", true}};
}

}  // namespace maiev::api
