#include "api/http_api.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "api/http_replies.hpp"
#include "api/listen_address.hpp"
#include "common/time_format.hpp"

namespace maiev::api {
namespace {

constexpr std::size_t kDefaultDecisionLimit = 50;
constexpr std::size_t kMaxDecisionLimit = 1000;
// No route takes a large body (the largest, a registry's notification envelope, is a few KiB):
// anything bigger is refused (413) before a handler runs.
constexpr std::size_t kMaxRequestBodyBytes = 1 << 20;

nlohmann::json ToJson(const store::DecisionRecord& d) {
  return {{"id", d.id},
          {"time", FormatUtcMillis(d.time)},
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

// The Prometheus exposition of /metrics.
std::string PrometheusText(const std::vector<control::ServiceStatus>& services,
                           const Readiness& readiness) {
  std::ostringstream out;
  out << "# HELP maiev_service_replicas Desired replicas of a Swarm service as maiev knows it.\n"
         "# TYPE maiev_service_replicas gauge\n";
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

}  // namespace

nlohmann::json ToJson(const control::ServiceStatus& s) {
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
  j["last_change"] =
      s.last_change ? nlohmann::json(FormatUtcMillis(*s.last_change)) : nlohmann::json();
  return j;
}

bool ConstantTimeEquals(std::string_view given, std::string_view secret) {
  // volatile: the compiler may not stop at the first difference.
  volatile unsigned char differs = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    const char expected = secret.empty() ? '\0' : secret[i % secret.size()];
    differs = differs | static_cast<unsigned char>(given[i] ^ expected);
  }
  return differs == 0;
}

int HttpStatusFor(const Error& error) {
  if (error.code == "not_found") return 404;
  if (error.code == "invalid") return 400;
  return 500;
}

int PlanHttpStatusFor(const Error& error) {
  if (error.code == "conflict") return 409;
  if (error.code == "unavailable") return 503;
  return HttpStatusFor(error);
}

HttpApi::HttpApi(HttpApiOptions options, control::Autoscaler& autoscaler,
                 control::UpgradeController* upgrades, store::Store& store,
                 ReadinessSource readiness)
    : options_(std::move(options)),
      autoscaler_(autoscaler),
      upgrades_(upgrades),
      store_(store),
      readiness_(std::move(readiness)),
      server_(std::make_unique<httplib::Server>()) {
  // httplib's default sets SO_REUSEPORT, with which a second maiev on the same port binds too
  // and the kernel splits the requests between both; SO_REUSEADDR alone only allows a restart
  // while old connections linger.
  server_->set_socket_options([](socket_t socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_payload_max_length(kMaxRequestBodyBytes);
  Routes();
}

HttpApi::~HttpApi() { Stop(); }

Status HttpApi::Bind() {
  const ListenAddress address{options_.host, options_.port};
  errno = 0;
  const int port = options_.port == 0
                       ? server_->bind_to_any_port(options_.host)
                       : (server_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port < 0) {
    // httplib keeps the failed bind's errno (closing the socket does not change it).
    const int error = errno;
    return Fail("io", "cannot listen on " + address.ToString() + " for the API: " +
                          (error != 0 ? std::strerror(error) : "the address cannot be bound"));
  }
  options_.port = port;
  return {};
}

void HttpApi::Serve() {
  {
    std::lock_guard lock(serve_mutex_);
    if (serve_state_ != ServeState::kIdle) return;
    serve_state_ = ServeState::kServing;
  }
  server_->listen_after_bind();
}

void HttpApi::Stop() {
  {
    std::lock_guard lock(serve_mutex_);
    const ServeState was = serve_state_;
    serve_state_ = ServeState::kStopped;
    if (was != ServeState::kServing) return;  // nothing listens, nor will
  }
  // httplib's stop() is a no-op until its loop has started, which Serve is about to do: wait for
  // it, or the loop would never end.
  while (!server_->is_running()) std::this_thread::yield();
  server_->stop();
}

void HttpApi::Routes() {
  RouteProbes();
  RouteServices();
  RouteDecisions();
  RouteCatalog();
  RoutePlans();
  RouteWebhooks();
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

bool HttpApi::Authorized(const httplib::Request& req, httplib::Response& res) const {
  const std::string expected = "Bearer " + options_.api_token;
  if (!options_.api_token.empty() &&
      ConstantTimeEquals(req.get_header_value("Authorization"), expected)) {
    return true;
  }
  ReplyError(res, 401, "unauthorized",
             "this request needs the header 'Authorization: Bearer <api token>'");
  return false;
}

void HttpApi::RouteProbes() {
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  // 503 until every component is reachable, naming those it waits for and why.
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const Readiness readiness = readiness_();
    Reply(res, readiness.ready() ? 200 : 503, ToJson(readiness));
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(PrometheusText(autoscaler_.Snapshot(), readiness_()) + UpgradeMetricsText(),
                    "text/plain; version=0.0.4");
  });
}

void HttpApi::RouteServices() {
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
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (!Authorized(req, res)) return;
                  const std::string name = req.matches[1];
                  const bool pause = req.matches[2] == "pause";
                  Status st = autoscaler_.SetPaused(name, pause);
                  if (!st.ok()) return ReplyFailure(req, res, st.error());
                  Reply(res, 200, {{"service", name}, {"paused", pause}});
                });
}

void HttpApi::RouteDecisions() {
  server_->Get("/api/v1/decisions", [this](const httplib::Request& req, httplib::Response& res) {
    auto limit = QueryLimit(req, kDefaultDecisionLimit, kMaxDecisionLimit);
    if (!limit.ok()) return ReplyFailure(req, res, limit.error());
    std::optional<std::string> service;
    if (req.has_param("service")) service = req.get_param_value("service");
    auto decisions = store_.RecentDecisions(
        *limit, service ? std::optional<std::string_view>(*service) : std::nullopt);
    if (!decisions.ok()) return ReplyFailure(req, res, decisions.error());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : *decisions) list.push_back(ToJson(d));
    Reply(res, 200, {{"decisions", list}});
  });
}

}  // namespace maiev::api
