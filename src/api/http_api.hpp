// The REST API of `maiev serve` (SPEC §6), JSON under /api/v1, plus /healthz, /readyz and the
// Prometheus /metrics. Mutations need `Authorization: Bearer <api token>`.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "api/readiness.hpp"
#include "common/result.hpp"
#include "control/autoscaler.hpp"
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
};

// What /readyz, /metrics and `maiev status` show of the components; called from API threads, so
// it must be thread-safe. Its error texts must carry no credential.
using ReadinessSource = std::function<Readiness()>;

// Serves on its own threads (cpp-httplib's pool). Thread-safe: handlers only call thread-safe
// Autoscaler and Store methods and `readiness`.
class HttpApi {
 public:
  HttpApi(HttpApiOptions options, control::Autoscaler& autoscaler, store::Store& store,
          ReadinessSource readiness);
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
  // True when the request carries the API token; otherwise answers 401 and returns false.
  bool Authorized(const httplib::Request& req, httplib::Response& res) const;

  HttpApiOptions options_;
  control::Autoscaler& autoscaler_;
  store::Store& store_;
  ReadinessSource readiness_;
  std::unique_ptr<httplib::Server> server_;
  enum class ServeState { kIdle, kServing, kStopped };
  std::mutex serve_mutex_;  // guards serve_state_
  ServeState serve_state_ = ServeState::kIdle;
};

// The JSON form of a service's status, as served by GET /api/v1/services.
nlohmann::json ToJson(const control::ServiceStatus& status);

// Whether `given` equals `secret`, in a time that depends on the length of `given` only, never on
// how much of it matches: the API token is compared with it.
bool ConstantTimeEquals(std::string_view given, std::string_view secret);

// The HTTP status answering a failed request: 404 for "not_found", 400 for "invalid", 500 for
// anything else (the store or another dependency failed).
int HttpStatusFor(const Error& error);

}  // namespace maiev::api
