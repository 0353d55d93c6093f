#include "daemon/http_api.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>

namespace maiev::daemon {
namespace {

constexpr std::size_t kDefaultDecisionLimit = 50;
constexpr std::size_t kMaxDecisionLimit = 1000;

std::string Iso8601(TimePoint t) {
  const std::time_t secs = WallClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(millis));
  return out;
}

void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void ReplyError(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  Reply(res, status, {{"error", code}, {"message", message}});
}

nlohmann::json ToJson(const store::DecisionRecord& d) {
  return {{"id", d.id},
          {"time", Iso8601(d.time)},
          {"service", d.service},
          {"old_replicas", d.old_replicas},
          {"new_replicas", d.new_replicas},
          {"reason", d.reason},
          {"rules", nlohmann::json::parse(d.rule_values_json, nullptr, false)},
          {"metrics", nlohmann::json::parse(d.metrics_json, nullptr, false)},
          // Decisions recorded before explanations were kept have none.
          {"explanation", d.explanation_json.empty()
                              ? nlohmann::json()
                              : nlohmann::json::parse(d.explanation_json, nullptr, false)}};
}

std::string PrometheusLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

nlohmann::json ToJson(const ServiceStatus& s) {
  nlohmann::json j = {{"id", s.id},
                      {"name", s.name},
                      {"mode", s.mode},
                      {"replicas", s.replicas},
                      {"image", s.image},
                      {"state", s.state},
                      {"config_origin", s.config_origin},
                      {"config_errors", s.config_errors},
                      {"min", s.min},
                      {"max", s.max},
                      {"metrics", s.metrics},
                      {"rules", s.rules},
                      {"scale_up", s.scale_up},
                      {"scale_down", s.scale_down},
                      {"last_reason", s.last_reason},
                      {"explanation", s.explanation}};
  j["running_tasks"] = s.running_tasks ? nlohmann::json(*s.running_tasks) : nlohmann::json();
  j["last_change"] = s.last_change ? nlohmann::json(Iso8601(*s.last_change)) : nlohmann::json();
  return j;
}

HttpApi::HttpApi(HttpApiOptions options, Autoscaler& autoscaler, store::Store& store)
    : options_(std::move(options)),
      autoscaler_(autoscaler),
      store_(store),
      server_(std::make_unique<httplib::Server>()) {
  Routes();
}

HttpApi::~HttpApi() { Stop(); }

Status HttpApi::Bind() {
  if (options_.port == 0) {
    const int port = server_->bind_to_any_port(options_.host);
    if (port < 0) return Fail("io", "cannot bind the API on " + options_.host);
    options_.port = port;
    return {};
  }
  if (!server_->bind_to_port(options_.host, options_.port)) {
    return Fail("io", "cannot bind the API on " + options_.host + ":" +
                          std::to_string(options_.port) + " (in use?)");
  }
  return {};
}

void HttpApi::Serve() { server_->listen_after_bind(); }

void HttpApi::Stop() {
  if (server_) server_->stop();
}

void HttpApi::Routes() {
  auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
    const std::string expected = "Bearer " + options_.api_token;
    if (options_.api_token.empty() || req.get_header_value("Authorization") != expected) {
      ReplyError(res, 401, "unauthorized",
                 "this request needs the header 'Authorization: Bearer <api token>'");
      return false;
    }
    return true;
  };

  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    res.status = ready_ ? 200 : 503;
    res.set_content(ready_ ? "ready\n" : "starting\n", "text/plain");
  });

  server_->Get("/api/v1/services", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json list = nlohmann::json::array();
    // The list carries each explanation's text; the data is built per service on request.
    for (const auto& s : autoscaler_.Snapshot()) list.push_back(ToJson(s));
    Reply(res, 200, {{"services", list}});
  });
  server_->Get(R"(/api/v1/services/([^/]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 const std::string name = req.matches[1];
                 if (auto s = autoscaler_.ServiceSnapshot(name)) return Reply(res, 200, ToJson(*s));
                 ReplyError(res, 404, "not_found", "no service named '" + name + "'");
               });
  server_->Post(R"(/api/v1/services/([^/]+)/(pause|resume))",
                [this, authorized](const httplib::Request& req, httplib::Response& res) {
                  if (!authorized(req, res)) return;
                  const std::string name = req.matches[1];
                  const bool pause = req.matches[2] == "pause";
                  Status st = autoscaler_.SetPaused(name, pause);
                  if (!st.ok()) return ReplyError(res, 404, st.error().code, st.error().message);
                  Reply(res, 200, {{"service", name}, {"paused", pause}});
                });

  server_->Get("/api/v1/decisions", [this](const httplib::Request& req, httplib::Response& res) {
    std::size_t limit = kDefaultDecisionLimit;
    if (req.has_param("limit")) {
      const std::string text = req.get_param_value("limit");
      char* end = nullptr;
      const unsigned long v = std::strtoul(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || v == 0 || v > kMaxDecisionLimit) {
        return ReplyError(res, 400, "invalid",
                          "limit: expected an integer from 1 to " +
                              std::to_string(kMaxDecisionLimit) + ", got '" + text + "'");
      }
      limit = v;
    }
    std::optional<std::string> service;
    if (req.has_param("service")) service = req.get_param_value("service");
    auto decisions = store_.RecentDecisions(
        limit, service ? std::optional<std::string_view>(*service) : std::nullopt);
    if (!decisions.ok()) return ReplyError(res, 500, "io", decisions.error().message);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : *decisions) list.push_back(ToJson(d));
    Reply(res, 200, {{"decisions", list}});
  });

  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::ostringstream out;
    out << "# HELP maiev_service_replicas Desired replicas of a Swarm service as maiev knows it.\n"
           "# TYPE maiev_service_replicas gauge\n";
    const auto services = autoscaler_.Snapshot();
    for (const auto& s : services) {
      out << "maiev_service_replicas{service=\"" << PrometheusLabel(s.name) << "\"} " << s.replicas
          << "\n";
    }
    out << "# HELP maiev_rule_value Current value of a scaling rule (1 true, 0 false).\n"
           "# TYPE maiev_rule_value gauge\n";
    for (const auto& s : services) {
      for (const auto& [rule, state] : s.rules.items()) {
        out << "maiev_rule_value{service=\"" << PrometheusLabel(s.name) << "\",rule=\""
            << PrometheusLabel(rule) << "\"} " << (state.value("value", false) ? 1 : 0) << "\n";
      }
    }
    out << "# HELP maiev_ready 1 once maiev has discovered the swarm's services.\n"
           "# TYPE maiev_ready gauge\nmaiev_ready "
        << (ready_ ? 1 : 0) << "\n";
    res.set_content(out.str(), "text/plain; version=0.0.4");
  });

  server_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        }
        spdlog::error("API {} {}: {}", req.method, req.path, what);
        ReplyError(res, 500, "internal", what);
      });
}

}  // namespace maiev::daemon
