// HTTP to the Docker Engine API through libcurl, over a unix socket or TCP (optionally TLS).
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/backoff.hpp"
#include "common/result.hpp"
#include "orchestrator/docker_endpoint.hpp"

namespace maiev::orchestrator {

struct HttpResponse {
  long status = 0;  // HTTP status code
  std::string body;

  bool Ok() const { return status >= 200 && status < 300; }
};

// Thread-safe: every call uses its own curl handle; the object is immutable after construction.
class EngineTransport {
 public:
  EngineTransport(DockerEndpoint endpoint, std::chrono::milliseconds connect_timeout);

  const DockerEndpoint& endpoint() const { return endpoint_; }

  // One request. `path` starts with "/" and includes the query. A non-empty `json_body` is sent
  // as application/json. Any HTTP status is a successful Result; error code "io" (with the
  // endpoint, method and path) when no response arrived within `timeout`.
  Result<HttpResponse> Request(std::string_view method, std::string_view path,
                               std::string_view json_body, std::chrono::milliseconds timeout) const;

  // A GET that is retried per `policy` on transport errors and 5xx responses.
  Result<HttpResponse> Get(std::string_view path, std::chrono::milliseconds timeout,
                           const BackoffPolicy& policy) const;

  // Streams the body of a GET without an overall timeout: `on_open` runs once the response
  // headers arrived with a 2xx status, then `on_data` for each chunk. Returns ok when the server
  // ended the body or `stop` was requested (promptly: the poll is woken); error "io" on a
  // transport failure, "http" with the engine's message on a non-2xx status.
  Status Stream(std::string_view path, const std::function<void()>& on_open,
                const std::function<void(std::string_view)>& on_data,
                const std::stop_token& stop) const;

 private:
  DockerEndpoint endpoint_;
  std::chrono::milliseconds connect_timeout_;
};

}  // namespace maiev::orchestrator
