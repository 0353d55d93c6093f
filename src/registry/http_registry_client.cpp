#include "registry/http_registry_client.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "common/redact.hpp"
#include "common/time_format.hpp"
#include "registry/http_headers.hpp"
#include "registry/registry_host.hpp"
#include "versions/version.hpp"

namespace maiev::registry {

namespace detail {

struct RegistryRequest {
  std::string method = "GET";  // GET, HEAD or POST (token service only)
  std::string url;             // absolute
  std::string accept;          // "" for none
  std::string scope;           // token scope; "" for none (GET /v2/)
  std::size_t max_bytes = 0;
  bool follow_redirects = false;  // blobs may live behind a redirect to storage
  std::string what;               // "GET /v2/app/tags/list", for messages: no query, no secret
  std::string form;               // POST body (application/x-www-form-urlencoded)
};

struct RegistryReply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercase; repeated headers joined by ", "

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

}  // namespace detail

namespace {

using Reply = detail::RegistryReply;
using Request = detail::RegistryRequest;

constexpr std::string_view kUserAgent = "maiev";
constexpr long kMaxRedirects = 5;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

long Millis(Duration d) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// "https://auth.docker.io/token" of a realm: no query (it may name the account), no userinfo.
std::string SafeUrl(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const std::size_t authority_end = url.find('/', scheme + 3);
  std::string_view authority = url.substr(scheme + 3, authority_end - scheme - 3);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    return std::string(url.substr(0, scheme + 3)) + std::string(authority.substr(at + 1)) +
           std::string(authority_end == std::string_view::npos ? "" : url.substr(authority_end));
  }
  return std::string(url);
}

std::string Seconds(Duration d) {
  const double s = d.count();
  if (s == std::floor(s)) return std::to_string(static_cast<long long>(s)) + " s";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", s);
  return text;
}

bool IsSuccess(long status) { return status >= 200 && status < 300; }

std::string StatusText(const Reply& reply) {
  std::string text = "HTTP " + std::to_string(reply.status);
  std::string summary = RegistryErrorSummary(reply.body);
  if (!summary.empty()) text += " (" + summary + ")";
  return text;
}

// The hex digest of `data` by the algorithm of `digest` ("sha256:…"): "algorithm:hex".
std::string ContentDigest(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = algorithm == "sha512" ? EVP_sha512() : EVP_sha256();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(algorithm);
  text += ':';
  for (unsigned int i = 0; i < length; ++i) {
    text += kHex[out[i] >> 4];
    text += kHex[out[i] & 0x0F];
  }
  return text;
}

bool MatchesDigest(std::string_view digest, std::string_view data) {
  return ContentDigest(digest.substr(0, digest.find(':')), data) == digest;
}

struct TransferState {
  Reply* reply = nullptr;
  std::size_t max_bytes = 0;
  bool too_large = false;
};

std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const std::size_t n = size * count;
  if (state->reply->body.size() + n > state->max_bytes) {
    state->too_large = true;
    return 0;  // aborts the transfer
  }
  state->reply->body.append(data, n);
  return n;
}

std::size_t WriteHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {  // a new response (after a redirect or a 100 Continue)
    state->reply->headers.clear();
    return n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  std::string& slot = state->reply->headers[name];
  if (!slot.empty()) slot += ", ";
  slot += value;
  return n;
}

// `key=value` pairs, percent-encoded, joined by `&`.
std::string FormEncode(CURL* handle,
                       const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (value.empty()) continue;
    char* escaped = curl_easy_escape(handle, value.c_str(), static_cast<int>(value.size()));
    if (escaped == nullptr) continue;
    if (!out.empty()) out += '&';
    out += key + "=" + escaped;
    curl_free(escaped);
  }
  return out;
}

}  // namespace

// Idle curl handles, so connections (and TLS sessions) are reused across calls.
class HttpRegistryClient::HandlePool {
 public:
  HandlePool() { GlobalInitOnce(); }
  ~HandlePool() {
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
  }
  HandlePool(const HandlePool&) = delete;
  HandlePool& operator=(const HandlePool&) = delete;

  // A handle reset to defaults (its connection cache kept), or nullptr.
  CURL* Take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        curl_easy_reset(handle);
        return handle;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* handle) {
    std::lock_guard lock(mutex_);
    idle_.push_back(handle);
  }

 private:
  std::mutex mutex_;
  std::vector<CURL*> idle_;  // guarded by mutex_
};

HttpRegistryClient::HttpRegistryClient(RegistryEndpoint endpoint, const Clock& clock,
                                       HttpRegistryClientOptions options)
    : endpoint_(std::move(endpoint)),
      clock_(clock),
      options_(std::move(options)),
      base_url_(RegistryBaseUrl(endpoint_.registry, endpoint_.insecure)),
      plain_http_(base_url_.starts_with("http://")),
      handles_(std::make_unique<HandlePool>()) {}

HttpRegistryClient::~HttpRegistryClient() = default;

RegistryCounters HttpRegistryClient::counters() const {
  RegistryCounters c;
  c.requests = requests_.load(std::memory_order_relaxed);
  c.token_requests = token_requests_.load(std::memory_order_relaxed);
  c.errors = errors_.load(std::memory_order_relaxed);
  c.rate_limited = rate_limited_.load(std::memory_order_relaxed);
  return c;
}

std::string HttpRegistryClient::Where(const Request& request) const {
  return "registry " + endpoint_.registry + ": " + request.what;
}

Unexpected<Error> HttpRegistryClient::Failure(std::string code, const std::string& message) const {
  std::string text = Redact(message, endpoint_.credentials.password);
  text = Redact(std::move(text), endpoint_.credentials.identity_token);
  {
    std::lock_guard lock(mutex_);
    for (const auto& [scope, token] : tokens_) text = Redact(std::move(text), token.token);
  }
  return Fail(std::move(code), std::move(text));
}

Result<HttpRegistryClient::Reply> HttpRegistryClient::Transfer(const Request& request,
                                                               const Authorization& auth,
                                                               Duration timeout,
                                                               bool to_token_service) {
  CURL* h = handles_->Take();
  if (h == nullptr) return Failure("unavailable", Where(request) + ": cannot create a curl handle");
  struct Return {
    HandlePool& pool;
    CURL* handle;
    ~Return() { pool.Give(handle); }
  } give_back{*handles_, h};

  Reply reply;
  TransferState state{&reply, request.max_bytes, false};
  char error[CURL_ERROR_SIZE] = {};
  const std::string user_agent(kUserAgent);
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, plain_http_ ? "http,https" : "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, Millis(options_.timeouts.connect));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, Millis(timeout));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
  if (!endpoint_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, endpoint_.ca_file.c_str());
  // A loopback registry is never reached through a proxy of the environment.
  if (IsLoopbackHost(CanonicalRegistryHost(request.url))) {
    curl_easy_setopt(h, CURLOPT_PROXY, "");
  }
  if (request.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.form.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.form.size()));
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr,
                                                                      &curl_slist_free_all);
  if (!request.accept.empty()) {
    const std::string accept = "Accept: " + request.accept;
    headers.reset(curl_slist_append(nullptr, accept.c_str()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  }
  switch (auth.mode) {
    case AuthMode::kAnonymous:
      break;
    case AuthMode::kBasic:
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
      curl_easy_setopt(h, CURLOPT_USERNAME, endpoint_.credentials.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, endpoint_.credentials.password.c_str());
      break;
    case AuthMode::kBearer:
      curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
      curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, auth.token.c_str());
      break;
  }

  (to_token_service ? token_requests_ : requests_).fetch_add(1, std::memory_order_relaxed);
  const CURLcode code = curl_easy_perform(h);
  if (state.too_large) {
    return Failure("protocol", Where(request) + ": reply larger than " +
                                   std::to_string(request.max_bytes) + " bytes");
  }
  if (code != CURLE_OK) {
    std::string detail = error[0] != '\0' ? error : curl_easy_strerror(code);
    if (code == CURLE_OPERATION_TIMEDOUT) {
      detail +=
          " (timeout " + Seconds(timeout) + ", connect " + Seconds(options_.timeouts.connect) + ")";
    }
    return Failure("unavailable", Where(request) + ": " + detail);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

Result<BearerToken> HttpRegistryClient::FetchToken(const std::string& realm,
                                                   const std::string& service,
                                                   const std::string& scope) {
  const RegistryCredentials& credentials = endpoint_.credentials;
  Request request;
  request.max_bytes = options_.limits.max_token_bytes;
  const std::string realm_text = SafeUrl(realm);
  if (!realm.starts_with("http://") && !realm.starts_with("https://")) {
    return Failure("protocol", "registry " + endpoint_.registry + ": token service realm \"" +
                                   realm_text + "\" is not an http(s) URL");
  }
  if (!credentials.empty() && !MaySendCredentials(realm, plain_http_)) {
    return Failure("auth", "registry " + endpoint_.registry + ": the token service " + realm_text +
                               " is plain HTTP; credentials are not sent there");
  }
  CURL* escaper = handles_->Take();
  if (escaper == nullptr) return Failure("unavailable", "cannot create a curl handle");
  Authorization auth;
  if (!credentials.identity_token.empty()) {
    // OAuth2 refresh-token grant (the docker login of some registries stores one).
    request.method = "POST";
    request.url = realm;
    request.form = FormEncode(escaper, {{"grant_type", "refresh_token"},
                                        {"service", service},
                                        {"scope", scope},
                                        {"client_id", std::string(kUserAgent)},
                                        {"refresh_token", credentials.identity_token}});
  } else {
    const std::string query = FormEncode(
        escaper, {{"service", service}, {"scope", scope}, {"account", credentials.username}});
    request.url =
        realm + (query.empty() ? "" : (realm.find('?') == std::string::npos ? "?" : "&")) + query;
    if (!credentials.empty()) auth.mode = AuthMode::kBasic;
  }
  handles_->Give(escaper);
  request.what = request.method + " " + realm_text + " (token service)";
  auto reply = Transfer(request, auth, options_.timeouts.token, /*to_token_service=*/true);
  if (!reply) return Unexpected{std::move(reply).error()};
  const std::string where = "registry " + endpoint_.registry + ": token service " + realm_text;
  if (reply->status == 401 || reply->status == 403) {
    return Failure("auth",
                   where + ": HTTP " + std::to_string(reply->status) + ": " +
                       (credentials.empty() ? "anonymous access refused; configure credentials"
                                            : "the configured credentials were refused"));
  }
  if (reply->status == 429) rate_limited_.fetch_add(1, std::memory_order_relaxed);
  if (!IsSuccess(reply->status)) {
    return Failure(reply->status >= 500 || reply->status == 429 ? "unavailable" : "protocol",
                   where + ": HTTP " + std::to_string(reply->status));
  }
  auto token = ParseTokenResponse(reply->body, clock_.Now());
  if (!token) return Failure("protocol", where + ": " + token.error().message);
  return token;
}

Result<HttpRegistryClient::Authorization> HttpRegistryClient::AuthorizationFor(
    const std::string& scope) {
  std::string realm;
  std::string service;
  {
    std::lock_guard lock(mutex_);
    if (mode_ == AuthMode::kAnonymous) return Authorization{};
    if (mode_ == AuthMode::kBasic) return Authorization{AuthMode::kBasic, {}};
    auto it = tokens_.find(scope);
    const auto margin =
        std::chrono::duration_cast<WallClock::duration>(options_.token_refresh_margin);
    if (it != tokens_.end() && clock_.Now() + margin < it->second.expires_at) {
      return Authorization{AuthMode::kBearer, it->second.token};
    }
    realm = realm_;
    service = service_;
  }
  auto token = FetchToken(realm, service, scope);
  if (!token) return Unexpected{std::move(token).error()};
  std::lock_guard lock(mutex_);
  tokens_[scope] = *token;
  return Authorization{AuthMode::kBearer, token->token};
}

Status HttpRegistryClient::LearnChallenge(const Reply& reply, const Request& request,
                                          AuthMode sent) {
  const std::string header = reply.Header("www-authenticate");
  auto challenges = ParseAuthChallenges(header);
  if (!challenges) {
    return Failure("auth", Where(request) + ": HTTP 401 without a usable challenge: " +
                               challenges.error().message);
  }
  const bool have_credentials = !endpoint_.credentials.empty();
  if (const AuthChallenge* bearer = FindChallenge(*challenges, "bearer")) {
    if (bearer->Param("realm").empty()) {
      return Failure("auth", Where(request) + ": HTTP 401: Bearer challenge without a realm");
    }
    std::lock_guard lock(mutex_);
    mode_ = AuthMode::kBearer;
    realm_ = bearer->Param("realm");
    service_ = bearer->Param("service");
    tokens_.erase(request.scope);  // refused, or never fetched
    return {};
  }
  if (FindChallenge(*challenges, "basic") != nullptr) {
    if (!have_credentials) {
      return Failure("auth", Where(request) + ": HTTP 401: the registry asks for credentials " +
                                 "(Basic) and none are configured for " + endpoint_.registry +
                                 " in the registry auth file");
    }
    if (sent == AuthMode::kBasic) {
      return Failure("auth", Where(request) +
                                 ": HTTP 401: the registry refused the configured "
                                 "credentials");
    }
    std::lock_guard lock(mutex_);
    mode_ = AuthMode::kBasic;
    return {};
  }
  return Failure("auth", Where(request) + ": HTTP 401: no Basic or Bearer challenge (scheme " +
                             challenges->front().scheme + ")");
}

Result<HttpRegistryClient::Reply> HttpRegistryClient::Send(const Request& request) {
  {
    std::lock_guard lock(mutex_);
    if (clock_.Now() < blocked_until_) {
      rate_limited_.fetch_add(1, std::memory_order_relaxed);
      return Fail("rate_limited", Where(request) + ": not sent: the registry asked (HTTP 429) " +
                                      "to wait until " + FormatUtcSeconds(blocked_until_));
    }
  }
  bool challenged = false;
  bool waited = false;
  while (true) {
    auto auth = AuthorizationFor(request.scope);
    if (!auth) return Unexpected{std::move(auth).error()};
    auto reply = Transfer(request, *auth, options_.timeouts.request, /*to_token_service=*/false);
    if (!reply) return reply;
    if (reply->status == 401 && !challenged) {
      challenged = true;
      if (Status learnt = LearnChallenge(*reply, request, auth->mode); !learnt.ok()) {
        return Unexpected{learnt.error()};
      }
      continue;
    }
    const std::string retry_after = reply->Header("retry-after");
    if (reply->status == 429 || (reply->status == 503 && !retry_after.empty())) {
      if (reply->status == 429) rate_limited_.fetch_add(1, std::memory_order_relaxed);
      const TimePoint now = clock_.Now();
      const Duration wait =
          ParseRetryAfter(retry_after, now).value_or(options_.rate_limit.default_wait);
      if (!waited && wait <= options_.rate_limit.max_inline_wait) {
        waited = true;
        if (options_.sleep) {
          options_.sleep(wait);
        } else {
          std::this_thread::sleep_for(wait);
        }
        continue;
      }
      const TimePoint until = now + std::chrono::duration_cast<WallClock::duration>(wait);
      {
        std::lock_guard lock(mutex_);
        blocked_until_ = std::max(blocked_until_, until);
      }
      return Failure("rate_limited", Where(request) + ": " + StatusText(*reply) +
                                         ": the registry asked to wait " + Seconds(wait) +
                                         " (until " + FormatUtcSeconds(until) + ")");
    }
    return reply;
  }
}

Result<HttpRegistryClient::Reply> HttpRegistryClient::Expect(Result<Reply> reply,
                                                             const Request& request) {
  if (!reply) return reply;
  const long status = reply->status;
  if (IsSuccess(status)) return reply;
  const std::string where = Where(request) + ": " + StatusText(*reply);
  if (status == 401 || status == 403) {
    std::string why =
        ": no credentials are configured for " + endpoint_.registry + " (registry auth file)";
    if (!endpoint_.credentials.empty()) {
      why = status == 401 ? ": the registry refused the configured credentials"
                          : ": the configured credentials may not read this repository";
    }
    return Failure("auth", where + why);
  }
  if (status == 404) return Failure("not_found", where);
  if (status >= 500) return Failure("unavailable", where);
  return Failure("protocol", where);
}

Status HttpRegistryClient::Ping() {
  Request request;
  request.url = base_url_ + "/v2/";
  request.max_bytes = options_.limits.max_manifest_bytes;
  request.what = "GET /v2/";
  auto reply = Expect(Send(request), request);
  if (!reply) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return Unexpected{std::move(reply).error()};
  }
  return {};
}

Result<std::vector<std::string>> HttpRegistryClient::ListTags(std::string_view repository) {
  if (!IsValidRepository(repository)) {
    return Counted<std::vector<std::string>>(
        Fail("invalid", "registry " + endpoint_.registry + ": repository \"" +
                            std::string(repository) + "\" is not a valid repository name"));
  }
  const std::string path = "/v2/" + std::string(repository) + "/tags/list";
  Request request;
  request.url = base_url_ + path + "?n=" + std::to_string(options_.limits.tag_page_size);
  request.accept = "application/json";
  request.scope = PullScope(repository);
  request.max_bytes = options_.limits.max_tag_page_bytes;
  std::vector<std::string> tags;
  std::set<std::string> seen;
  for (int page = 1; page <= options_.limits.max_tag_pages; ++page) {
    request.what = "GET " + path + (page > 1 ? " page " + std::to_string(page) : "");
    auto reply = Expect(Send(request), request);
    if (!reply) return Counted<std::vector<std::string>>(Unexpected{std::move(reply).error()});
    auto listed = ParseTagList(reply->body);
    if (!listed) {
      return Counted<std::vector<std::string>>(
          Failure("protocol", Where(request) + ": " + listed.error().message));
    }
    for (std::string& tag : *listed) {
      if (seen.insert(tag).second) tags.push_back(std::move(tag));
    }
    const std::string link = reply->Header("link");
    if (link.empty()) return tags;
    auto next = NextPageLink(link, request.url);
    if (!next) {
      return Counted<std::vector<std::string>>(
          Failure("protocol", Where(request) + ": " + next.error().message));
    }
    if (!*next) return tags;
    if (UrlOrigin(**next) != UrlOrigin(base_url_)) {
      return Counted<std::vector<std::string>>(
          Failure("protocol", Where(request) + ": the next page link leads to another host (" +
                                  SafeUrl(UrlOrigin(**next)) + ")"));
    }
    request.url = std::move(**next);
  }
  return Counted<std::vector<std::string>>(
      Failure("protocol", "registry " + endpoint_.registry + ": GET " + path + ": more than " +
                              std::to_string(options_.limits.max_tag_pages) + " pages of tags"));
}

Result<std::string> HttpRegistryClient::ResolveDigest(std::string_view repository,
                                                      std::string_view tag) {
  const std::string prefix = "registry " + endpoint_.registry + ": ";
  if (!IsValidRepository(repository)) {
    return Counted<std::string>(Fail("invalid", prefix + "repository \"" + std::string(repository) +
                                                    "\" is not a valid repository name"));
  }
  if (!versions::ParseTag(tag).ok()) {
    return Counted<std::string>(
        Fail("invalid", prefix + "tag \"" + std::string(tag) + "\" is not a valid tag"));
  }
  const std::string path = "/v2/" + std::string(repository) + "/manifests/" + std::string(tag);
  Request request;
  request.method = "HEAD";
  request.url = base_url_ + path;
  request.accept = std::string(kManifestAccept);
  request.scope = PullScope(repository);
  request.max_bytes = options_.limits.max_manifest_bytes;
  request.what = "HEAD " + path;
  auto head = Expect(Send(request), request);
  if (!head) return Counted<std::string>(Unexpected{std::move(head).error()});
  std::string digest = head->Header("docker-content-digest");
  if (!digest.empty()) {
    if (IsValidDigest(digest)) return digest;
    return Counted<std::string>(
        Failure("protocol", Where(request) + ": Docker-Content-Digest is not a digest"));
  }
  // Some registries answer HEAD without the digest: the manifest itself tells.
  request.method = "GET";
  request.what = "GET " + path;
  auto get = Expect(Send(request), request);
  if (!get) return Counted<std::string>(Unexpected{std::move(get).error()});
  digest = get->Header("docker-content-digest");
  if (digest.empty()) return ContentDigest("sha256", get->body);
  if (!IsValidDigest(digest) || !MatchesDigest(digest, get->body)) {
    return Counted<std::string>(Failure(
        "protocol", Where(request) + ": Docker-Content-Digest does not match the manifest"));
  }
  return digest;
}

Result<Manifest> HttpRegistryClient::FetchManifest(std::string_view repository,
                                                   const std::string& digest) {
  const std::string path = "/v2/" + std::string(repository) + "/manifests/" + digest;
  Request request;
  request.url = base_url_ + path;
  request.accept = std::string(kManifestAccept);
  request.scope = PullScope(repository);
  request.max_bytes = options_.limits.max_manifest_bytes;
  request.what = "GET " + path;
  auto reply = Expect(Send(request), request);
  if (!reply) return Unexpected{std::move(reply).error()};
  if (!MatchesDigest(digest, reply->body)) {
    return Failure("protocol", Where(request) + ": the manifest does not match its digest");
  }
  auto manifest = ParseManifest(reply->body, reply->Header("content-type"));
  if (!manifest) {
    return Failure(manifest.error().code, Where(request) + ": " + manifest.error().message);
  }
  return manifest;
}

Result<std::string> HttpRegistryClient::FetchBlob(std::string_view repository,
                                                  const std::string& digest) {
  const std::string path = "/v2/" + std::string(repository) + "/blobs/" + digest;
  Request request;
  request.url = base_url_ + path;
  request.scope = PullScope(repository);
  request.max_bytes = options_.limits.max_config_bytes;
  request.follow_redirects = true;
  request.what = "GET " + path;
  auto reply = Expect(Send(request), request);
  if (!reply) return Unexpected{std::move(reply).error()};
  if (!MatchesDigest(digest, reply->body)) {
    return Failure("protocol", Where(request) + ": the blob does not match its digest");
  }
  return std::move(reply->body);
}

Result<ImageLabels> HttpRegistryClient::ReadLabels(std::string_view repository,
                                                   std::string_view digest) {
  const std::string prefix = "registry " + endpoint_.registry + ": ";
  if (!IsValidRepository(repository)) {
    return Counted<ImageLabels>(Fail("invalid", prefix + "repository \"" + std::string(repository) +
                                                    "\" is not a valid repository name"));
  }
  if (!IsValidDigest(digest)) {
    return Counted<ImageLabels>(Fail(
        "invalid", prefix + "\"" + std::string(digest) + "\" is not a digest (sha256:<64 hex>)"));
  }
  ImageLabels out;
  out.digest = std::string(digest);
  auto manifest = FetchManifest(repository, out.digest);
  if (!manifest) return Counted<ImageLabels>(Unexpected{std::move(manifest).error()});
  out.image_digest = out.digest;
  if (manifest->kind == Manifest::Kind::kIndex) {
    auto entry = ChoosePlatform(*manifest, options_.platform);
    if (!entry) {
      return Counted<ImageLabels>(
          Fail(entry.error().code,
               prefix + std::string(repository) + "@" + out.digest + ": " + entry.error().message));
    }
    out.image_digest = entry->digest;
    manifest = FetchManifest(repository, out.image_digest);
    if (!manifest) return Counted<ImageLabels>(Unexpected{std::move(manifest).error()});
    if (manifest->kind != Manifest::Kind::kImage) {
      return Counted<ImageLabels>(Fail(
          "unsupported",
          prefix + std::string(repository) + "@" + out.image_digest + ": a list inside a list"));
    }
  }
  out.config_digest = manifest->config_digest;
  auto config = FetchBlob(repository, out.config_digest);
  if (!config) return Counted<ImageLabels>(Unexpected{std::move(config).error()});
  auto labels = ParseImageConfigLabels(*config);
  if (!labels) {
    return Counted<ImageLabels>(Fail("protocol", prefix + std::string(repository) + " config " +
                                                     out.config_digest + ": " +
                                                     labels.error().message));
  }
  out.labels = std::move(*labels);
  return out;
}

}  // namespace maiev::registry
