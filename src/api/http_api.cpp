#include "api/http_api.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

#include "api/http_replies.hpp"
#include "api/listen_address.hpp"
#include "api/service_json.hpp"
#include "api/web_assets.hpp"

namespace maiev::api {
namespace {

// No route takes a large body (the largest, a registry's notification envelope or a scale
// config, is a few KiB): anything bigger is refused (413) before a handler runs.
constexpr std::size_t kMaxRequestBodyBytes = 1 << 20;

constexpr std::array<const char*, 5> kMethods = {"GET", "POST", "PUT", "DELETE", "PATCH"};

// cpp-httplib serves each open connection on a thread of its pool, and an event stream keeps its
// thread for as long as it is open: the default pool (8 threads on a small host) would let 8
// streams starve every other request. So the pool has a thread for each stream the hub allows,
// and these for the rest.
constexpr std::size_t kRequestThreads = 8;

}  // namespace

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
  if (error.code == "conflict") return 409;
  if (error.code == "unavailable") return 503;
  return 500;
}

HttpApi::HttpApi(HttpApiOptions options, control::Autoscaler& autoscaler,
                 control::UpgradeController* upgrades, store::Store& store,
                 ReadinessSource readiness)
    : options_(std::move(options)),
      autoscaler_(autoscaler),
      upgrades_(upgrades),
      store_(store),
      readiness_(std::move(readiness)),
      own_events_(options_.events == nullptr ? std::make_unique<EventHub>() : nullptr),
      events_(options_.events != nullptr ? options_.events : own_events_.get()),
      server_(options_.tls_cert.empty()
                  ? std::make_unique<httplib::Server>()
                  : std::make_unique<httplib::SSLServer>(options_.tls_cert.c_str(),
                                                         options_.tls_key.c_str())) {
  server_->new_task_queue = [] {
    return new httplib::ThreadPool(kMaxEventClients + kRequestThreads);
  };
  // httplib's default sets SO_REUSEPORT, with which a second maiev on the same port binds too
  // and the kernel splits the requests between both; SO_REUSEADDR alone only allows a restart
  // while old connections linger.
  server_->set_socket_options([](socket_t socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Answers go out as headers then body: without TCP_NODELAY, Nagle's algorithm holds the body
  // until the client's delayed ACK of the headers, 40 ms on every answer of a kept-alive
  // connection (bench/api_bench.cpp measured it). Accepted sockets inherit it.
  server_->set_tcp_nodelay(true);
  server_->set_payload_max_length(kMaxRequestBodyBytes);
  // cpp-httplib answers a client that accepts brotli (every browser) with brotli at its slowest
  // quality: 0.85 s for the list of 1,000 services, against 6 ms in gzip. Only gzip is offered.
  server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    // The request is httplib's own, non-const object, handed out as const.
    auto& headers = const_cast<httplib::Request&>(req).headers;  // NOLINT
    if (auto it = headers.find("Accept-Encoding"); it != headers.end()) {
      it->second = WithoutCoding(it->second, "br");
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  Routes();
}

HttpApi::~HttpApi() { Stop(); }

Status HttpApi::Bind() {
  const ListenAddress address{options_.host, options_.port};
  if (!server_->is_valid()) {
    return Fail("config", "cannot serve HTTPS: the certificate --tls-cert '" + options_.tls_cert +
                              "' or the key --tls-key '" + options_.tls_key +
                              "' cannot be read, is not PEM, or they do not match");
  }
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
  // The streams' threads wait on their subscriptions: ended first, so the pool can be joined.
  events_->CloseSubscriptions();
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

const std::vector<HttpApi::Route>& HttpApi::RouteTable() {
  using A = Access;
  static const std::vector<Route> kRoutes = {
      {"GET", "/healthz", "/healthz", A::kOpen, "Liveness: 200 while the process serves",
       &HttpApi::Healthz},
      {"GET", "/readyz", "/readyz", A::kOpen,
       "Readiness: 503 naming the components maiev waits for", &HttpApi::Readyz},
      {"GET", "/metrics", "/metrics", A::kRead, "Prometheus metrics", &HttpApi::Metrics},
      {"GET", "/api/v1/openapi\\.json", "/api/v1/openapi.json", A::kRead, "This document",
       &HttpApi::OpenApi},
      {"GET", "/api/v1/leader", "/api/v1/leader", A::kRead,
       "Which instance leads (acts on the swarm), and this one's id", &HttpApi::Leader},
      {"GET", "/api/v1/services", "/api/v1/services", A::kRead,
       "Every service (filters: state, prefix)", &HttpApi::ListServices},
      {"GET", R"(/api/v1/services/([^/]+))", "/api/v1/services/{name}", A::kRead,
       "One service: status, config, rules, metrics, why", &HttpApi::ShowService},
      {"PUT", R"(/api/v1/services/([^/]+)/config)", "/api/v1/services/{name}/config", A::kMutation,
       "Sets the scale config (wins over labels)", &HttpApi::SetServiceConfig},
      {"DELETE", R"(/api/v1/services/([^/]+)/config)", "/api/v1/services/{name}/config",
       A::kMutation, "Returns to the config of the labels", &HttpApi::UnsetServiceConfig},
      {"POST", R"(/api/v1/services/([^/]+)/scale)", "/api/v1/services/{name}/scale", A::kMutation,
       "Sets the replicas and pauses autoscaling", &HttpApi::ScaleService},
      {"POST", R"(/api/v1/services/([^/]+)/pause)", "/api/v1/services/{name}/pause", A::kMutation,
       "Pauses autoscaling", &HttpApi::PauseService},
      {"POST", R"(/api/v1/services/([^/]+)/resume)", "/api/v1/services/{name}/resume", A::kMutation,
       "Resumes autoscaling", &HttpApi::ResumeService},
      {"GET", R"(/api/v1/services/([^/]+)/history)", "/api/v1/services/{name}/history", A::kRead,
       "Per-cycle samples of the last minutes", &HttpApi::ServiceHistory},
      {"POST", "/api/v1/rules/test", "/api/v1/rules/test", A::kRead,
       "Evaluates an expression against a service's live metrics", &HttpApi::TestRule},
      {"GET", "/api/v1/decisions", "/api/v1/decisions", A::kRead,
       "Scaling decisions, newest first (filters, cursor)", &HttpApi::ListDecisions},
      {"GET", "/api/v1/catalog", "/api/v1/catalog", A::kRead,
       "The upgrade catalog: versions running, found, targeted", &HttpApi::ShowCatalog},
      {"GET", "/api/v1/plans", "/api/v1/plans", A::kRead, "Upgrade plans, newest first",
       &HttpApi::ListPlans},
      {"POST", "/api/v1/plans/resolve", "/api/v1/plans/resolve", A::kMutation,
       "The plan maiev would make now (dry run)", &HttpApi::ResolvePlan},
      {"GET", R"(/api/v1/plans/([^/]+))", "/api/v1/plans/{id}", A::kRead, "One upgrade plan",
       &HttpApi::ShowPlan},
      {"POST", R"(/api/v1/plans/([^/]+)/approve)", "/api/v1/plans/{id}/approve", A::kMutation,
       "Approves a pending plan", &HttpApi::ApprovePlan},
      {"POST", R"(/api/v1/plans/([^/]+)/abort)", "/api/v1/plans/{id}/abort", A::kMutation,
       "Aborts a pending or running plan", &HttpApi::AbortPlan},
      {"POST", "/api/v1/webhooks/registry", "/api/v1/webhooks/registry", A::kWebhook,
       "A registry's notification envelope (push hints)", &HttpApi::RegistryWebhook},
      {"POST", "/api/v1/webhooks/dockerhub", "/api/v1/webhooks/dockerhub", A::kWebhook,
       "A Docker Hub webhook (push hint)", &HttpApi::DockerHubWebhook},
      {"GET", "/api/v1/events", "/api/v1/events", A::kRead,
       "Live events (Server-Sent Events): decisions, services, plans, steps, cycles",
       &HttpApi::StreamEvents},
      {"GET", "/", "/", A::kOpen, "The web page (docs/WEB.md)", &HttpApi::WebPage},
      {"GET", "/index\\.html", "/index.html", A::kOpen, "The web page", &HttpApi::WebPage},
      {"GET", R"(/assets/([^/]+))", "/assets/{file}", A::kOpen,
       "A file of the web page (script, style sheet)", &HttpApi::WebAssetFile},
  };
  return kRoutes;
}

void HttpApi::Routes() {
  std::map<std::string, std::set<std::string>> methods_of;  // pattern → methods
  for (const Route& route : RouteTable()) {
    methods_of[route.pattern].insert(route.method);
    httplib::Server::Handler handler = [this, &route](const httplib::Request& req,
                                                      httplib::Response& res) {
      const bool allowed = [&] {
        switch (route.access) {
          case Access::kOpen:
            return true;
          case Access::kRead:
            return ReadAuthorized(req, res);
          case Access::kMutation:
            return Authorized(req, res) && Leading(res);
          case Access::kWebhook:  // the handler checks the token (to count refusals), then this
            return true;          // instance's leadership
        }
        return false;
      }();
      if (allowed) (this->*route.handler)(req, res);
      CountRequest(route.path, res.status);
    };
    Register(route.method, route.pattern, std::move(handler));
  }
  // A known path asked with another method: 405 naming those it takes.
  for (const auto& [pattern, methods] : methods_of) {
    std::string allow;
    for (const std::string& m : methods) allow += (allow.empty() ? "" : ", ") + m;
    if (methods.contains("GET")) allow += ", HEAD";
    for (const char* method : kMethods) {
      if (methods.contains(method)) continue;
      httplib::Server::Handler refuse = [this, allow](const httplib::Request& req,
                                                      httplib::Response& res) {
        res.set_header("Allow", allow);
        ReplyError(res, 405, "method_not_allowed",
                   req.method + " " + req.path + " is not a route; it takes " + allow);
        CountRequest("unmatched", res.status);
      };
      Register(method, pattern, std::move(refuse));
    }
  }
  // What cpp-httplib answers by itself (no route, a body over the bound, a bad request) gets the
  // API's error shape too; answers of the handlers keep theirs.
  server_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      ReplyError(res, 404, "not_found",
                 "no route " + req.method + " " + req.path + " (see GET /api/v1/openapi.json)");
    } else if (res.status == 413) {
      ReplyError(res, 413, "too_large",
                 "the request body is over " + std::to_string(kMaxRequestBodyBytes) + " bytes");
    } else {
      ReplyError(res, res.status, "bad_request", "the request could not be read");
    }
    CountRequest("unmatched", res.status);
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

void HttpApi::Register(std::string_view method, const std::string& pattern,
                       httplib::Server::Handler handler) {
  if (method == "GET") {
    server_->Get(pattern, std::move(handler));
  } else if (method == "POST") {
    server_->Post(pattern, std::move(handler));
  } else if (method == "PUT") {
    server_->Put(pattern, std::move(handler));
  } else if (method == "DELETE") {
    server_->Delete(pattern, std::move(handler));
  } else if (method == "PATCH") {
    server_->Patch(pattern, std::move(handler));
  }
}

void HttpApi::CountRequest(const char* path, int status) {
  std::lock_guard lock(requests_mutex_);
  ++requests_[{path, status}];
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

bool HttpApi::ReadAuthorized(const httplib::Request& req, httplib::Response& res) const {
  if (options_.read_token.empty()) return true;
  const std::string given = req.get_header_value("Authorization");
  if (ConstantTimeEquals(given, "Bearer " + options_.read_token) ||
      (!options_.api_token.empty() && ConstantTimeEquals(given, "Bearer " + options_.api_token))) {
    return true;
  }
  if (req.path == "/api/v1/events" && req.has_param("token")) {
    const std::string token = req.get_param_value("token");
    if (ConstantTimeEquals(token, options_.read_token) ||
        (!options_.api_token.empty() && ConstantTimeEquals(token, options_.api_token))) {
      return true;
    }
  }
  ReplyError(res, 401, "unauthorized",
             "reads need the header 'Authorization: Bearer <read token>' (maiev serve has "
             "--read-token)");
  return false;
}

bool HttpApi::Leading(httplib::Response& res) const {
  if (!options_.leadership) return true;
  const control::LeaderStatus status = options_.leadership();
  if (status.leading) return true;
  ReplyError(res, 503, "not_leader",
             "this maiev (" + status.self + ") is a standby and changes nothing; the leader is " +
                 (status.leader.empty() ? std::string("not known yet") : status.leader) +
                 ": send changes to it (GET /api/v1/leader)");
  return false;
}

void HttpApi::Leader(const httplib::Request&, httplib::Response& res) {
  control::LeaderStatus status;
  if (options_.leadership) {
    status = options_.leadership();
  } else {
    status.leading = true;  // no lease: this instance is the only one
  }
  Reply(res, 200, ToJson(status));
}

void HttpApi::Healthz(const httplib::Request&, httplib::Response& res) {
  res.set_content("ok\n", "text/plain");
}

void HttpApi::Readyz(const httplib::Request&, httplib::Response& res) {
  // 503 until every component is reachable, naming those it waits for and why.
  const Readiness readiness = readiness_();
  Reply(res, readiness.ready() ? 200 : 503, ToJson(readiness));
}

void HttpApi::Metrics(const httplib::Request&, httplib::Response& res) {
  res.set_content(
      ServiceMetricsText() + ApiMetricsText() + UpgradeMetricsText() + events_->MetricsText(),
      "text/plain; version=0.0.4");
}

void HttpApi::OpenApi(const httplib::Request&, httplib::Response& res) {
  static const nlohmann::json kDocument = OpenApiDocument();
  Reply(res, 200, kDocument);
}

std::string HttpApi::ApiMetricsText() {
  std::ostringstream out;
  out << "# HELP maiev_leading 1 while this instance holds the lease and acts on the swarm.\n"
         "# TYPE maiev_leading gauge\n"
      << "maiev_leading " << (!options_.leadership || options_.leadership().leading ? 1 : 0)
      << "\n";
  out << "# HELP maiev_api_requests_total API answers by route and HTTP status.\n"
         "# TYPE maiev_api_requests_total counter\n";
  std::lock_guard lock(requests_mutex_);
  for (const auto& [key, count] : requests_) {
    out << "maiev_api_requests_total{route=\"" << PrometheusLabel(key.first) << "\",code=\""
        << key.second << "\"} " << count << "\n";
  }
  return out.str();
}

}  // namespace maiev::api
