// The REST API of `maiev serve` (SPEC §6), JSON under /api/v1, plus /healthz, /readyz and the
// Prometheus /metrics. Mutations (every POST but the webhooks) need `Authorization: Bearer <api
// token>`; the registry webhooks need their own token (docs/OPERATIONS.md, "The API").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/event_hub.hpp"
#include "api/readiness.hpp"
#include "api/upgrade_views.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "control/autoscaler.hpp"
#include "control/upgrade_controller.hpp"
#include "store/store.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace maiev::api {

struct HttpApiOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_token;  // empty: mutations are refused (there is no unauthenticated write)
  // `--webhook-token`: what registries send as `Authorization: Bearer …` or `?token=`; empty:
  // webhooks are refused. Distinct from api_token, so a registry cannot approve a plan.
  std::string webhook_token;
  // `--tls-cert`, `--tls-key`: PEM files; both set: the API is served over HTTPS only.
  std::string tls_cert;
  std::string tls_key;
  // `--read-token`: when set, every read but the probes (/healthz, /readyz) and the page's own
  // files needs `Authorization: Bearer` with it (or with the API token); the event stream also
  // takes `?token=`, since a browser's EventSource sends no header. Empty: reads are open.
  std::string read_token;
  // Whether this instance leads (GET /api/v1/leader); a standby refuses mutations and webhooks
  // with 503 "not_leader". Empty: this instance always leads (no lease).
  std::function<control::LeaderStatus()> leadership;
  // What "now" is for relative times of queries (`since=1h`); nullptr: the system clock.
  const Clock* clock = nullptr;
  // What GET /api/v1/events streams (not owned; it must outlive the API); nullptr: a hub of the
  // API's own, to which nothing publishes. How long a silent stream waits before a keepalive.
  EventHub* events = nullptr;
  std::chrono::milliseconds event_keepalive = kEventKeepalive;
};

// What /readyz, /metrics and `maiev status` show of the components; called from API threads, so
// it must be thread-safe. Its error texts must carry no credential.
using ReadinessSource = std::function<Readiness()>;

// Serves on its own threads (cpp-httplib's pool). Thread-safe: handlers only call thread-safe
// Autoscaler, UpgradeController and Store methods and `readiness`; the webhook counters are
// guarded by webhook_mutex_.
class HttpApi {
 public:
  // `upgrades` may be null (the upgrade loop is not running): its routes then answer 503, and
  // the plans are still read from the store.
  HttpApi(HttpApiOptions options, control::Autoscaler& autoscaler,
          control::UpgradeController* upgrades, store::Store& store, ReadinessSource readiness);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds the port (a free one for port 0); error "io" with the address and the system's reason
  // when it cannot.
  Status Bind();
  // Serves until Stop(); returns at once when Stop() came first. REQUIRES: Bind() succeeded.
  void Serve();
  // Ends Serve(), whether it is already serving or not yet; idempotent.
  void Stop();

  int port() const { return options_.port; }

  // The OpenAPI 3 document of every route, as GET /api/v1/openapi.json serves it.
  static nlohmann::json OpenApiDocument();

 private:
  using Handler = void (HttpApi::*)(const httplib::Request&, httplib::Response&);
  // Who may call a route: anyone (probes, the page's files), a reader (anyone, or the holder of
  // the read token when there is one), the API token's holder (mutations), or a registry with
  // the webhook token (the handler checks it, to count refusals).
  enum class Access { kOpen, kRead, kMutation, kWebhook };
  // One route: registered on the server, documented in /api/v1/openapi.json, counted in
  // /metrics by `path` and status.
  struct Route {
    const char* method;   // "GET", "POST", "PUT", "DELETE"
    const char* pattern;  // cpp-httplib's regular expression of the path
    const char* path;     // the OpenAPI path template, e.g. "/api/v1/services/{name}"
    Access access;
    const char* summary;
    Handler handler;
  };
  // Every route, in registration order (a literal path before a pattern that would match it).
  static const std::vector<Route>& RouteTable();

  void Routes();
  // Adds `handler` for `method` ("GET", "POST", "PUT", "DELETE", "PATCH") and `pattern`.
  void Register(std::string_view method, const std::string& pattern,
                std::function<void(const httplib::Request&, httplib::Response&)> handler);
  // Counts one answer of a route (`path` of RouteTable, or "unmatched").
  void CountRequest(const char* path, int status);

  // Probes and documents (http_api.cpp).
  void Healthz(const httplib::Request& req, httplib::Response& res);
  void Readyz(const httplib::Request& req, httplib::Response& res);
  void Metrics(const httplib::Request& req, httplib::Response& res);
  void OpenApi(const httplib::Request& req, httplib::Response& res);
  void Leader(const httplib::Request& req, httplib::Response& res);
  // Services, rules and decisions (service_routes.cpp).
  void ListServices(const httplib::Request& req, httplib::Response& res);
  void ShowService(const httplib::Request& req, httplib::Response& res);
  void SetServiceConfig(const httplib::Request& req, httplib::Response& res);
  void UnsetServiceConfig(const httplib::Request& req, httplib::Response& res);
  void ScaleService(const httplib::Request& req, httplib::Response& res);
  void PauseService(const httplib::Request& req, httplib::Response& res);
  void ResumeService(const httplib::Request& req, httplib::Response& res);
  void ServiceHistory(const httplib::Request& req, httplib::Response& res);
  void TestRule(const httplib::Request& req, httplib::Response& res);
  void ListDecisions(const httplib::Request& req, httplib::Response& res);
  // The auto-upgrader (upgrade_routes.cpp).
  void ShowCatalog(const httplib::Request& req, httplib::Response& res);
  void ListPlans(const httplib::Request& req, httplib::Response& res);
  void ResolvePlan(const httplib::Request& req, httplib::Response& res);
  void ShowPlan(const httplib::Request& req, httplib::Response& res);
  void ApprovePlan(const httplib::Request& req, httplib::Response& res);
  void AbortPlan(const httplib::Request& req, httplib::Response& res);
  void RegistryWebhook(const httplib::Request& req, httplib::Response& res);
  void DockerHubWebhook(const httplib::Request& req, httplib::Response& res);
  // The event stream (event_routes.cpp).
  void StreamEvents(const httplib::Request& req, httplib::Response& res);
  // The web page and its files (web_routes.cpp).
  void WebPage(const httplib::Request& req, httplib::Response& res);
  void WebAssetFile(const httplib::Request& req, httplib::Response& res);

  void SetPaused(const httplib::Request& req, httplib::Response& res, bool paused);
  void PlanAction(const httplib::Request& req, httplib::Response& res, bool approve);
  // True when the request carries the API token; otherwise answers 401 and returns false.
  bool Authorized(const httplib::Request& req, httplib::Response& res) const;
  // True when reads are open or the request carries the read or the API token (the event
  // stream: also as `?token=`); otherwise answers 401 and returns false.
  bool ReadAuthorized(const httplib::Request& req, httplib::Response& res) const;
  // True when this instance leads; otherwise answers 503 "not_leader" and returns false.
  bool Leading(httplib::Response& res) const;
  // True when the upgrade controller runs; otherwise answers 503 and returns false.
  bool UpgradesRunning(httplib::Response& res) const;
  // True when the request carries the webhook token (header or `?token=`); otherwise answers
  // 403 (none configured) or 401 and returns false.
  bool WebhookAuthorized(const httplib::Request& req, httplib::Response& res) const;
  // Parses a webhook delivery (a registry's notification envelope, or Docker Hub's payload) and
  // hints the upgrade controller; answers 202 with what was accepted, or 400 changing nothing.
  void AcceptWebhook(const httplib::Request& req, httplib::Response& res, bool docker_hub);
  // The lines of /metrics: the autoscaler's, the API's own, the upgrades'.
  std::string ServiceMetricsText();
  std::string ApiMetricsText();
  std::string UpgradeMetricsText();

  HttpApiOptions options_;
  control::Autoscaler& autoscaler_;
  control::UpgradeController* const upgrades_;  // not owned; may be null
  store::Store& store_;
  ReadinessSource readiness_;
  std::unique_ptr<EventHub> own_events_;  // when options_.events is null
  EventHub* const events_;                // options_.events, or own_events_
  std::unique_ptr<httplib::Server> server_;
  enum class ServeState { kIdle, kServing, kStopped };
  std::mutex serve_mutex_;  // guards serve_state_
  ServeState serve_state_ = ServeState::kIdle;
  std::mutex webhook_mutex_;  // guards the two counts below
  WebhookCounts registry_webhooks_;
  WebhookCounts dockerhub_webhooks_;
  // GET /api/v1/services's items as JSON text, made once per generation of the autoscaler's
  // table (a page and `maiev top` each ask once per cycle; 1,000 services take tens of ms to
  // encode and a few hundred µs to join).
  struct ListedService {
    std::string name;
    std::string state;
    std::string json;
  };
  std::shared_ptr<const std::vector<ListedService>> ServiceList();
  std::mutex list_mutex_;  // guards the two below; held while the list is made, so it is made once
  std::uint64_t list_generation_ = 0;
  std::shared_ptr<const std::vector<ListedService>> list_;         // null until first asked for
  std::mutex requests_mutex_;                                      // guards requests_
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;  // (route path, status) → count
};

// Whether `given` equals `secret`, in a time that depends on the length of `given` only, never on
// how much of it matches: the API token is compared with it.
bool ConstantTimeEquals(std::string_view given, std::string_view secret);

// The HTTP status answering a failed request: 404 for "not_found", 400 for "invalid", 409 for
// "conflict" (the target is not in a state that allows the change), 503 for "unavailable" (a
// component, e.g. the swarm, cannot be reached), 500 for anything else (the store or another
// dependency failed).
int HttpStatusFor(const Error& error);

}  // namespace maiev::api
