// RegistryClient over the Docker Registry HTTP API v2 (OCI distribution) through libcurl, for
// one registry host. API: https://distribution.github.io/distribution/spec/api/
//
// Authentication follows the registry's challenge: anonymous until a 401 says otherwise, then
// Basic with the configured credentials, or Bearer tokens from the challenge's token service
// (realm, service, scope `repository:NAME:pull`), cached per scope until shortly before they
// expire by the injected Clock. Credentials and tokens go to libcurl as auth options only: never
// into a URL, a log line, an error or an answer, and never over plain HTTP to a token service
// unless the registry itself is loopback or marked insecure.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "registry/docker_config.hpp"
#include "registry/manifest.hpp"
#include "registry/registry_client.hpp"
#include "registry/token.hpp"

namespace maiev::registry {

namespace detail {
struct RegistryRequest;  // one HTTP request of a client (http_registry_client.cpp)
struct RegistryReply;
}  // namespace detail

struct RegistryEndpoint {
  std::string registry;   // host[:port] as image references name it: "127.0.0.1:5000", "docker.io"
  bool insecure = false;  // plain HTTP (as dockerd's insecure-registries); loopback hosts always
  RegistryCredentials credentials;  // empty: anonymous
  std::string ca_file;              // a CA bundle for HTTPS; "": the system's
};

// Each request is bounded by these (connect included in the others).
struct RegistryTimeouts {
  Duration connect{3.0};
  Duration request{20.0};  // one tag page, manifest or config blob
  Duration token{10.0};    // one token service request
};

struct RegistryLimits {
  int tag_page_size = 1000;  // `n` of tag list requests; registries may send fewer per page
  int max_tag_pages = 100;   // a longer listing is an error, not an endless loop
  std::size_t max_tag_page_bytes = std::size_t{8} << 20;
  std::size_t max_manifest_bytes = std::size_t{4} << 20;  // distribution's own limit
  std::size_t max_config_bytes = std::size_t{8} << 20;
  std::size_t max_token_bytes = std::size_t{1} << 20;
};

// 429 Too Many Requests (or 503 with Retry-After): the registry says when to come back. A wait
// up to `max_inline_wait` is slept inside the call, once; a longer one fails the call with
// "rate_limited", and later calls fail the same way without a request until the time has come.
// Other failures are not retried here: the caller's next check is the retry.
struct RateLimitPolicy {
  Duration default_wait{10.0};  // when the reply names no Retry-After
  Duration max_inline_wait{2.0};
};

struct HttpRegistryClientOptions {
  RegistryTimeouts timeouts;
  RegistryLimits limits;
  RateLimitPolicy rate_limit;
  Platform platform = kLinuxAmd64;  // the image ReadLabels picks from a list
  // A cached token is fetched again this long before it expires.
  Duration token_refresh_margin{10.0};
  // Sleeps for an inline rate-limit wait; empty: std::this_thread::sleep_for.
  std::function<void(Duration)> sleep;
};

// What a client did, for /metrics. Monotonic.
struct RegistryCounters {
  std::uint64_t requests = 0;        // requests sent to the registry (token service excluded)
  std::uint64_t token_requests = 0;  // requests sent to the token service
  std::uint64_t errors = 0;          // calls (ListTags, ResolveDigest, ReadLabels, Ping) failed
  std::uint64_t rate_limited = 0;    // 429 replies, and calls refused while waiting after one
  friend bool operator==(const RegistryCounters&, const RegistryCounters&) = default;
};

// Thread-safe: each request uses a curl handle of its own (idle handles, with their
// connections, are kept for reuse); `mutex_` guards the learnt authentication, the tokens and
// the rate-limit deadline, and is never held during a request.
class HttpRegistryClient final : public RegistryClient {
 public:
  // `clock` (for token expiry and Retry-After) must outlive the client.
  HttpRegistryClient(RegistryEndpoint endpoint, const Clock& clock,
                     HttpRegistryClientOptions options = {});
  ~HttpRegistryClient() override;
  HttpRegistryClient(const HttpRegistryClient&) = delete;
  HttpRegistryClient& operator=(const HttpRegistryClient&) = delete;

  // GET /v2/: the registry answers and accepts the credentials (or needs none).
  Status Ping();

  Result<std::vector<std::string>> ListTags(std::string_view repository) override;
  // One HEAD with every Accept type; a GET when the HEAD reply carries no digest (then the
  // digest is the header of the GET, or the SHA-256 of the manifest it returns).
  Result<std::string> ResolveDigest(std::string_view repository, std::string_view tag) override;
  // The manifest by digest (and, for a list, the chosen image's manifest), then the config
  // blob; every document is checked against its digest. 2 requests, 3 for a list.
  Result<ImageLabels> ReadLabels(std::string_view repository, std::string_view digest) override;

  RegistryCounters counters() const;
  // "http://127.0.0.1:5000", "https://registry-1.docker.io".
  const std::string& base_url() const { return base_url_; }

 private:
  using Request = detail::RegistryRequest;
  using Reply = detail::RegistryReply;
  enum class AuthMode { kAnonymous, kBasic, kBearer };
  struct Authorization {
    AuthMode mode = AuthMode::kAnonymous;
    std::string token;  // kBearer
  };
  class HandlePool;

  Result<Reply> Send(const Request& request);
  Result<Reply> Transfer(const Request& request, const Authorization& auth, Duration timeout,
                         bool to_token_service);
  Result<Authorization> AuthorizationFor(const std::string& scope);
  Status LearnChallenge(const Reply& reply, const Request& request, AuthMode sent);
  Result<BearerToken> FetchToken(const std::string& realm, const std::string& service,
                                 const std::string& scope);
  Result<Reply> Expect(Result<Reply> reply, const Request& request);
  Result<Manifest> FetchManifest(std::string_view repository, const std::string& digest);
  Result<std::string> FetchBlob(std::string_view repository, const std::string& digest);
  Unexpected<Error> Failure(std::string code, const std::string& message) const;
  std::string Where(const Request& request) const;

  template <class T>
  Result<T> Counted(Result<T> result) {
    if (!result.ok()) errors_.fetch_add(1, std::memory_order_relaxed);
    return result;
  }

  const RegistryEndpoint endpoint_;
  const Clock& clock_;
  const HttpRegistryClientOptions options_;
  const std::string base_url_;
  const bool plain_http_;
  std::unique_ptr<HandlePool> handles_;

  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> token_requests_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> rate_limited_{0};

  mutable std::mutex mutex_;
  AuthMode mode_ = AuthMode::kAnonymous;       // guarded by mutex_
  std::string realm_;                          // guarded by mutex_; kBearer
  std::string service_;                        // guarded by mutex_; kBearer
  std::map<std::string, BearerToken> tokens_;  // guarded by mutex_; by scope
  TimePoint blocked_until_{};                  // guarded by mutex_
};

}  // namespace maiev::registry
