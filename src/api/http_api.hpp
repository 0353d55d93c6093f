// The REST API of `maiev serve` (SPEC §6), JSON under /api/v1, plus /healthz, /readyz and the
// Prometheus /metrics. Mutations (every POST but the webhooks) need `Authorization: Bearer <api
// token>`; the registry webhooks need their own token (docs/OPERATIONS.md, "The API").
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "api/readiness.hpp"
#include "api/upgrade_views.hpp"
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

 private:
  void Routes();
  void RouteProbes();    // /healthz, /readyz, /metrics
  void RouteServices();  // /api/v1/services…
  void RouteDecisions();
  void RouteCatalog();   // /api/v1/catalog (upgrade_routes.cpp)
  void RoutePlans();     // /api/v1/plans… (upgrade_routes.cpp)
  void RouteWebhooks();  // /api/v1/webhooks/… (upgrade_routes.cpp)
  // True when the request carries the API token; otherwise answers 401 and returns false.
  bool Authorized(const httplib::Request& req, httplib::Response& res) const;
  // True when the upgrade controller runs; otherwise answers 503 and returns false.
  bool UpgradesRunning(httplib::Response& res) const;
  // True when the request carries the webhook token (header or `?token=`); otherwise answers
  // 403 (none configured) or 401 and returns false.
  bool WebhookAuthorized(const httplib::Request& req, httplib::Response& res) const;
  // Parses a webhook delivery (a registry's notification envelope, or Docker Hub's payload) and
  // hints the upgrade controller; answers 202 with what was accepted, or 400 changing nothing.
  void AcceptWebhook(const httplib::Request& req, httplib::Response& res, bool docker_hub);
  // The upgrade lines of /metrics.
  std::string UpgradeMetricsText();

  HttpApiOptions options_;
  control::Autoscaler& autoscaler_;
  control::UpgradeController* const upgrades_;  // not owned; may be null
  store::Store& store_;
  ReadinessSource readiness_;
  std::unique_ptr<httplib::Server> server_;
  enum class ServeState { kIdle, kServing, kStopped };
  std::mutex serve_mutex_;  // guards serve_state_
  ServeState serve_state_ = ServeState::kIdle;
  std::mutex webhook_mutex_;  // guards the two counts below
  WebhookCounts registry_webhooks_;
  WebhookCounts dockerhub_webhooks_;
};

// The JSON form of a service's status, as served by GET /api/v1/services.
nlohmann::json ToJson(const control::ServiceStatus& status);

// Whether `given` equals `secret`, in a time that depends on the length of `given` only, never on
// how much of it matches: the API token is compared with it.
bool ConstantTimeEquals(std::string_view given, std::string_view secret);

// The HTTP status answering a failed request: 404 for "not_found", 400 for "invalid", 500 for
// anything else (the store or another dependency failed).
int HttpStatusFor(const Error& error);

// The HTTP status answering a failed plan request: 409 for "conflict" (the plan is not in a state
// that allows it), 503 for "unavailable" (the swarm cannot be listed), else as HttpStatusFor.
int PlanHttpStatusFor(const Error& error);

}  // namespace maiev::api
