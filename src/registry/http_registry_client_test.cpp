// HttpRegistryClient against a scripted registry (and its token service) on a free loopback
// port: what the client sends, how it reads every answer, and that no secret leaks.
#include "registry/http_registry_client.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

namespace maiev::registry {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kUser = "maiev";
constexpr const char* kPassword = "s3cret-pass";
constexpr const char* kService = "scripted-registry";

std::string Sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "sha256:";
  for (unsigned char byte : out) {
    text += kHex[byte >> 4];
    text += kHex[byte & 0x0F];
  }
  return text;
}

struct LoggedRequest {
  std::string method;
  std::string path;
  std::string query;  // every parameter, `k=v&…`
  std::string authorization;
  std::string accept;
};

// A registry that keeps images in memory and answers as distribution does, with switches for
// the behaviours under test. Thread-safe: httplib's handler threads and the test share `mutex_`.
class ScriptedRegistry {
 public:
  enum class Auth { kNone, kBasic, kBearer };

  ScriptedRegistry() {
    Routes();
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~ScriptedRegistry() {
    server_.stop();
    thread_.join();
  }
  ScriptedRegistry(const ScriptedRegistry&) = delete;
  ScriptedRegistry& operator=(const ScriptedRegistry&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host(); }

  // --- Content ---------------------------------------------------------------------------

  // An image with `labels`, tagged `tag` in `repository`; its manifest digest.
  std::string PushImage(const std::string& repository, const std::string& tag,
                        const std::map<std::string, std::string>& labels) {
    json config = {{"architecture", "amd64"}, {"os", "linux"}, {"config", {{"Labels", labels}}}};
    const std::string config_body = config.dump();
    const std::string config_digest = Sha256(config_body);
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", kDockerManifestV2},
                     {"config",
                      {{"mediaType", "application/vnd.docker.container.image.v1+json"},
                       {"size", config_body.size()},
                       {"digest", config_digest}}},
                     {"layers", json::array()}};
    std::lock_guard lock(mutex_);
    blobs_[config_digest] = config_body;
    return PutManifestLocked(repository, tag, manifest.dump(), std::string(kDockerManifestV2));
  }

  // A manifest list of `entries` (digest, architecture), tagged `tag`; its digest.
  std::string PushList(const std::string& repository, const std::string& tag,
                       const std::vector<std::pair<std::string, std::string>>& entries) {
    json manifests = json::array();
    for (const auto& [digest, architecture] : entries) {
      manifests.push_back({{"mediaType", kDockerManifestV2},
                           {"digest", digest},
                           {"size", 1},
                           {"platform", {{"os", "linux"}, {"architecture", architecture}}}});
    }
    json list = {
        {"schemaVersion", 2}, {"mediaType", kDockerManifestList}, {"manifests", manifests}};
    std::lock_guard lock(mutex_);
    return PutManifestLocked(repository, tag, list.dump(), std::string(kDockerManifestList));
  }

  void AddTags(const std::string& repository, const std::vector<std::string>& tags,
               const std::string& digest) {
    std::lock_guard lock(mutex_);
    for (const std::string& tag : tags) tags_[repository][tag] = digest;
  }

  // Serves `body` for a manifest digest, as a corrupt or lying registry would.
  void CorruptManifest(const std::string& digest, std::string body) {
    std::lock_guard lock(mutex_);
    manifests_[digest].first = std::move(body);
  }

  // --- Behaviour -------------------------------------------------------------------------

  Auth auth = Auth::kNone;
  bool omit_head_digest = false;
  bool omit_get_digest = false;
  bool absolute_links = false;
  std::string link_origin;  // "" : the registry's own
  bool redirect_blobs = false;
  int expires_in = 300;
  std::string echo_in_errors;  // appended to the message of every error body
  int rate_limit_next = 0;     // answer this many requests with 429
  std::string retry_after;     // their Retry-After ("" for none)
  std::chrono::milliseconds delay{0};
  std::string identity_token;  // accepted by the refresh-token grant

  void Set(const std::function<void(ScriptedRegistry&)>& change) {
    std::lock_guard lock(mutex_);
    change(*this);
  }
  // Forgets every token the token service issued (as a restart of it would).
  void RevokeTokens() {
    std::lock_guard lock(mutex_);
    tokens_.clear();
  }

  std::vector<LoggedRequest> log() const {
    std::lock_guard lock(mutex_);
    return log_;
  }
  std::vector<LoggedRequest> TokenRequests() const {
    std::vector<LoggedRequest> out;
    for (const LoggedRequest& r : log()) {
      if (r.path == "/token") out.push_back(r);
    }
    return out;
  }
  std::size_t RegistryRequests() const { return log().size() - TokenRequests().size(); }
  void ClearLog() {
    std::lock_guard lock(mutex_);
    log_.clear();
  }

 private:
  std::string PutManifestLocked(const std::string& repository, const std::string& tag,
                                std::string body, std::string media_type) {
    std::string digest = Sha256(body);
    manifests_[digest] = {std::move(body), std::move(media_type)};
    if (!tag.empty()) tags_[repository][tag] = digest;
    return digest;
  }

  void ErrorReply(httplib::Response& res, int status, const std::string& code,
                  const std::string& message) {
    json body = {{"errors", {{{"code", code}, {"message", message + echo_in_errors}}}}};
    res.status = status;
    res.set_content(body.dump(), "application/json; charset=utf-8");
  }

  // REQUIRES: mutex_ held.
  bool Authorized(const httplib::Request& req, httplib::Response& res, const std::string& name) {
    const std::string given = req.get_header_value("Authorization");
    switch (auth) {
      case Auth::kNone:
        return true;
      case Auth::kBasic:
        if (given == "Basic " + EncodeBase64(std::string(kUser) + ":" + kPassword)) return true;
        res.set_header("WWW-Authenticate", R"(Basic realm="scripted registry")");
        break;
      case Auth::kBearer:
        if (given.starts_with("Bearer ") && tokens_.contains(given.substr(7))) return true;
        res.set_header("WWW-Authenticate",
                       "Bearer realm=\"" + url() + "/token\",service=\"" + kService + "\"" +
                           (name.empty() ? "" : ",scope=\"repository:" + name + ":pull\""));
        break;
    }
    ErrorReply(res, 401, "UNAUTHORIZED", "authentication required");
    return false;
  }

  // REQUIRES: mutex_ held.
  bool RateLimited(httplib::Response& res) {
    if (rate_limit_next <= 0) return false;
    --rate_limit_next;
    if (!retry_after.empty()) res.set_header("Retry-After", retry_after);
    ErrorReply(res, 429, "TOOMANYREQUESTS", "slow down");
    return true;
  }

  void Log(const httplib::Request& req) {
    LoggedRequest entry{req.method, req.path, "", req.get_header_value("Authorization"),
                        req.get_header_value("Accept")};
    for (const auto& [key, value] : req.params) {
      entry.query += (entry.query.empty() ? "" : "&") + key + "=" + value;
    }
    log_.push_back(std::move(entry));
  }

  void Routes() {
    server_.Get("/v2/", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      Log(req);
      if (!Authorized(req, res, "")) return;
      res.set_content("{}", "application/json");
    });
    server_.Get(R"(/v2/(.+)/tags/list)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::chrono::milliseconds pause{0};
                  {
                    std::lock_guard lock(mutex_);
                    pause = delay;
                  }
                  std::this_thread::sleep_for(pause);
                  std::lock_guard lock(mutex_);
                  Log(req);
                  const std::string name = req.matches[1];
                  if (RateLimited(res) || !Authorized(req, res, name)) return;
                  ServeTagList(req, res, name);
                });
    server_.Get(R"(/v2/(.+)/manifests/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard lock(mutex_);
                  Log(req);
                  if (RateLimited(res) || !Authorized(req, res, req.matches[1])) return;
                  ServeManifest(req, res, req.matches[1], req.matches[2]);
                });
    server_.Get(R"(/v2/(.+)/blobs/([^/]+))", [this](const httplib::Request& req,
                                                    httplib::Response& res) {
      std::lock_guard lock(mutex_);
      Log(req);
      if (RateLimited(res) || !Authorized(req, res, req.matches[1])) return;
      const std::string digest = req.matches[2];
      // To another host name, as storage behind a registry is.
      if (redirect_blobs) {
        res.set_redirect("http://localhost:" + std::to_string(port_) + "/storage/" + digest, 307);
        return;
      }
      ServeBlob(res, digest);
    });
    server_.Get(R"(/storage/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      Log(req);
      // Storage behind a redirect takes no registry credentials.
      if (!req.get_header_value("Authorization").empty())
        return ErrorReply(res, 400, "X", "no auth");
      ServeBlob(res, req.matches[1]);
    });
    server_.Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      Log(req);
      if (req.get_header_value("Authorization") !=
          "Basic " + EncodeBase64(std::string(kUser) + ":" + kPassword)) {
        res.status = 401;
        res.set_content(R"({"details": "incorrect username or password"})", "application/json");
        return;
      }
      IssueToken(res, "token");
    });
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      Log(req);
      if (req.get_param_value("grant_type") != "refresh_token" || identity_token.empty() ||
          req.get_param_value("refresh_token") != identity_token) {
        res.status = 401;
        return;
      }
      IssueToken(res, "access_token");
    });
  }

  // REQUIRES: mutex_ held.
  void IssueToken(httplib::Response& res, const char* member) {
    const std::string token = "tok-" + std::to_string(++issued_) + "-secret";
    tokens_.insert(token);
    res.set_content(json{{member, token}, {"expires_in", expires_in}}.dump(), "application/json");
  }

  // REQUIRES: mutex_ held. distribution v3's pagination: `n`, `last`, and a Link to the next page.
  void ServeTagList(const httplib::Request& req, httplib::Response& res, const std::string& name) {
    auto repository = tags_.find(name);
    if (repository == tags_.end()) {
      return ErrorReply(res, 404, "NAME_UNKNOWN", "repository name not known to registry");
    }
    const std::string last = req.get_param_value("last");
    const int n = req.has_param("n") ? std::stoi(req.get_param_value("n")) : 1000;
    json page = {{"name", name}, {"tags", json::array()}};
    bool more = false;
    for (auto it = repository->second.upper_bound(last); it != repository->second.end(); ++it) {
      if (static_cast<int>(page["tags"].size()) == n) {
        more = true;
        break;
      }
      page["tags"].push_back(it->first);
    }
    if (more) {
      const std::string next = "/v2/" + name +
                               "/tags/list?last=" + page["tags"].back().get<std::string>() +
                               "&n=" + std::to_string(n);
      const std::string origin = !link_origin.empty() ? link_origin : absolute_links ? url() : "";
      res.set_header("Link", "<" + origin + next + ">; rel=\"next\"");
    }
    res.set_content(page.dump(), "application/json");
  }

  // REQUIRES: mutex_ held.
  void ServeManifest(const httplib::Request& req, httplib::Response& res, const std::string& name,
                     const std::string& reference) {
    std::string digest = reference;
    if (!reference.starts_with("sha256:")) {
      auto repository = tags_.find(name);
      if (repository == tags_.end() || !repository->second.contains(reference)) {
        return ErrorReply(res, 404, "MANIFEST_UNKNOWN", "manifest unknown");
      }
      digest = repository->second.at(reference);
    }
    auto manifest = manifests_.find(digest);
    if (manifest == manifests_.end()) {
      return ErrorReply(res, 404, "MANIFEST_UNKNOWN", "manifest unknown");
    }
    const bool head = req.method == "HEAD";
    if (!(head ? omit_head_digest : omit_get_digest)) {
      res.set_header("Docker-Content-Digest", digest);
    }
    res.set_content(manifest->second.first, manifest->second.second);
  }

  // REQUIRES: mutex_ held.
  void ServeBlob(httplib::Response& res, const std::string& digest) {
    auto blob = blobs_.find(digest);
    if (blob == blobs_.end())
      return ErrorReply(res, 404, "BLOB_UNKNOWN", "blob unknown to registry");
    res.set_content(blob->second, "application/octet-stream");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  // Guarded by mutex_, as are the behaviour switches above while the server runs.
  std::map<std::string, std::map<std::string, std::string>> tags_;  // repository → tag → digest
  std::map<std::string, std::pair<std::string, std::string>> manifests_;  // body, media type
  std::map<std::string, std::string> blobs_;
  std::set<std::string> tokens_;
  int issued_ = 0;
  std::vector<LoggedRequest> log_;
};

class HttpRegistryClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpRegistryClient> Client(RegistryCredentials credentials = {},
                                             HttpRegistryClientOptions options = {}) {
    if (!options.sleep) options.sleep = [this](Duration d) { slept_.push_back(d); };
    return std::make_unique<HttpRegistryClient>(
        RegistryEndpoint{registry_.host(), false, std::move(credentials), ""}, clock_,
        std::move(options));
  }
  static RegistryCredentials Credentials(std::string password = kPassword) {
    return RegistryCredentials{kUser, std::move(password), ""};
  }
  // No secret in an error message.
  static void ExpectNoSecret(const Error& error) {
    EXPECT_THAT(error.message, Not(HasSubstr(kPassword)));
    EXPECT_THAT(error.message, Not(HasSubstr("secret")));
    EXPECT_THAT(error.message, Not(HasSubstr(EncodeBase64(std::string(kUser) + ":" + kPassword))));
  }

  ScriptedRegistry registry_;
  ManualClock clock_;
  std::vector<Duration> slept_;
};

// ---------------------------------------------------------------------------------------------
// Anonymous reads

TEST_F(HttpRegistryClientTest, PingsTheApiBase) {
  auto client = Client();
  EXPECT_EQ(client->base_url(), registry_.url());
  Status ping = client->Ping();
  ASSERT_TRUE(ping.ok()) << ping.error().message;
  ASSERT_EQ(registry_.log().size(), 1u);
  EXPECT_EQ(registry_.log()[0].path, "/v2/");
}

TEST_F(HttpRegistryClientTest, ListsTagsPageByPageFollowingRelativeLinks) {
  const std::string digest = registry_.PushImage("app", "app-1.0.0", {});
  registry_.AddTags("app", {"app-1.1.0", "app-1.2.0", "app-2.0.0", "latest"}, digest);
  HttpRegistryClientOptions options;
  options.limits.tag_page_size = 2;
  auto client = Client({}, options);
  auto tags = client->ListTags("app");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_THAT(*tags, ElementsAre("app-1.0.0", "app-1.1.0", "app-1.2.0", "app-2.0.0", "latest"));
  auto log = registry_.log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].query, "n=2");
  EXPECT_EQ(log[1].query, "last=app-1.1.0&n=2");
  EXPECT_EQ(log[2].query, "last=app-2.0.0&n=2");
  EXPECT_EQ(client->counters().requests, 3u);
}

TEST_F(HttpRegistryClientTest, FollowsAbsoluteLinksOfTheSameOrigin) {
  const std::string digest = registry_.PushImage("team/app", "a", {});
  registry_.AddTags("team/app", {"b", "c"}, digest);
  registry_.Set([](ScriptedRegistry& r) { r.absolute_links = true; });
  HttpRegistryClientOptions options;
  options.limits.tag_page_size = 1;
  auto tags = Client({}, options)->ListTags("team/app");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_THAT(*tags, ElementsAre("a", "b", "c"));
}

TEST_F(HttpRegistryClientTest, RefusesANextLinkToAnotherHost) {
  const std::string digest = registry_.PushImage("app", "a", {});
  registry_.AddTags("app", {"b"}, digest);
  registry_.Set([](ScriptedRegistry& r) { r.link_origin = "http://evil.example:80"; });
  HttpRegistryClientOptions options;
  options.limits.tag_page_size = 1;
  auto client = Client(Credentials(), options);
  auto tags = client->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "protocol");
  EXPECT_THAT(tags.error().message, HasSubstr("leads to another host (http://evil.example:80)"));
  EXPECT_EQ(registry_.log().size(), 1u);
  EXPECT_EQ(client->counters().errors, 1u);
}

TEST_F(HttpRegistryClientTest, StopsAfterTheLimitOfPages) {
  const std::string digest = registry_.PushImage("app", "a", {});
  registry_.AddTags("app", {"b", "c", "d"}, digest);
  HttpRegistryClientOptions options;
  options.limits.tag_page_size = 1;
  options.limits.max_tag_pages = 2;
  auto tags = Client({}, options)->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_THAT(tags.error().message, HasSubstr("more than 2 pages of tags"));
}

TEST_F(HttpRegistryClientTest, NamesTheRegistryTheRequestAndItsWordsOnA404) {
  auto tags = Client()->ListTags("missing");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "not_found");
  EXPECT_EQ(tags.error().message,
            "registry " + registry_.host() +
                ": GET /v2/missing/tags/list: HTTP 404 (NAME_UNKNOWN: repository name not known "
                "to registry)");
}

TEST_F(HttpRegistryClientTest, RefusesMalformedNamesWithoutARequest) {
  auto client = Client();
  auto tags = client->ListTags("../etc");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "invalid");
  EXPECT_EQ(client->ResolveDigest("app", "bad tag").error().code, "invalid");
  EXPECT_EQ(client->ReadLabels("app", "sha256:short").error().code, "invalid");
  EXPECT_TRUE(registry_.log().empty());
  EXPECT_EQ(client->counters().errors, 3u);
}

TEST_F(HttpRegistryClientTest, RefusesATagPageLargerThanTheLimit) {
  const std::string digest = registry_.PushImage("app", std::string(100, 'a'), {});
  HttpRegistryClientOptions options;
  options.limits.max_tag_page_bytes = 64;
  auto tags = Client({}, options)->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "protocol");
  EXPECT_THAT(tags.error().message, HasSubstr("reply larger than 64 bytes"));
}

TEST_F(HttpRegistryClientTest, ResolvesATagWithOneHeadAcceptingEveryManifestType) {
  const std::string digest = registry_.PushImage("app", "app-1.0.0", {});
  auto client = Client();
  auto resolved = client->ResolveDigest("app", "app-1.0.0");
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(*resolved, digest);
  auto log = registry_.log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].method, "HEAD");
  EXPECT_EQ(log[0].path, "/v2/app/manifests/app-1.0.0");
  for (std::string_view type : {kDockerManifestV2, kDockerManifestList, kOciManifest, kOciIndex}) {
    EXPECT_THAT(log[0].accept, HasSubstr(std::string(type)));
  }
}

TEST_F(HttpRegistryClientTest, FallsBackToGetWhenHeadCarriesNoDigest) {
  const std::string digest = registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.omit_head_digest = true; });
  auto resolved = Client()->ResolveDigest("app", "1.0");
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(*resolved, digest);
  auto log = registry_.log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].method, "GET");
}

TEST_F(HttpRegistryClientTest, DigestsTheManifestWhenNeitherReplyCarriesADigest) {
  const std::string digest = registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) {
    r.omit_head_digest = true;
    r.omit_get_digest = true;
  });
  auto resolved = Client()->ResolveDigest("app", "1.0");
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(*resolved, digest);
}

TEST_F(HttpRegistryClientTest, RefusesADigestHeaderThatDoesNotMatchTheManifest) {
  const std::string digest = registry_.PushImage("app", "1.0", {});
  registry_.CorruptManifest(digest, R"({"schemaVersion": 2, "tampered": true})");
  registry_.Set([](ScriptedRegistry& r) { r.omit_head_digest = true; });
  auto resolved = Client()->ResolveDigest("app", "1.0");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().code, "protocol");
  EXPECT_THAT(resolved.error().message, HasSubstr("does not match the manifest"));
}

TEST_F(HttpRegistryClientTest, ReportsAnUnknownTagAsNotFound) {
  registry_.PushImage("app", "1.0", {});
  auto resolved = Client()->ResolveDigest("app", "9.9");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().code, "not_found");
  EXPECT_THAT(resolved.error().message, HasSubstr("HEAD /v2/app/manifests/9.9: HTTP 404"));
}

TEST_F(HttpRegistryClientTest, ReadsTheLabelsOfAnImageWithTwoRequests) {
  const std::string digest =
      registry_.PushImage("app", "1.0", {{"maiev.scale_config", R"({"min": 1})"}, {"x", "y"}});
  auto client = Client();
  auto labels = client->ReadLabels("app", digest);
  ASSERT_TRUE(labels.ok()) << labels.error().message;
  EXPECT_EQ(labels->digest, digest);
  EXPECT_EQ(labels->image_digest, digest);
  EXPECT_TRUE(IsValidDigest(labels->config_digest));
  EXPECT_EQ(labels->labels.at("maiev.scale_config"), R"({"min": 1})");
  auto log = registry_.log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].path, "/v2/app/manifests/" + digest);
  EXPECT_EQ(log[1].path, "/v2/app/blobs/" + labels->config_digest);
}

TEST_F(HttpRegistryClientTest, ReadsTheAmd64ImageOfAManifestList) {
  const std::string arm = registry_.PushImage("app", "", {{"arch", "arm64"}});
  const std::string amd = registry_.PushImage("app", "", {{"arch", "amd64"}});
  const std::string list = registry_.PushList("app", "1.0", {{arm, "arm64"}, {amd, "amd64"}});
  auto labels = Client()->ReadLabels("app", list);
  ASSERT_TRUE(labels.ok()) << labels.error().message;
  EXPECT_EQ(labels->digest, list);
  EXPECT_EQ(labels->image_digest, amd);
  EXPECT_EQ(labels->labels.at("arch"), "amd64");
  EXPECT_EQ(registry_.log().size(), 3u);
}

TEST_F(HttpRegistryClientTest, SaysWhichPlatformsAListHasWithoutAmd64) {
  const std::string arm = registry_.PushImage("app", "", {});
  const std::string list = registry_.PushList("app", "1.0", {{arm, "arm64"}});
  auto labels = Client()->ReadLabels("app", list);
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.error().code, "not_found");
  EXPECT_THAT(labels.error().message, HasSubstr("no linux/amd64 image (it has: linux/arm64)"));
}

TEST_F(HttpRegistryClientTest, RefusesAManifestThatDoesNotMatchItsDigest) {
  const std::string digest = registry_.PushImage("app", "1.0", {});
  registry_.CorruptManifest(digest, R"({"schemaVersion": 2})");
  auto labels = Client()->ReadLabels("app", digest);
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.error().code, "protocol");
  EXPECT_THAT(labels.error().message, HasSubstr("the manifest does not match its digest"));
}

TEST_F(HttpRegistryClientTest, FollowsABlobRedirectWithoutTheCredentials) {
  const std::string digest = registry_.PushImage("app", "1.0", {{"k", "v"}});
  registry_.Set([](ScriptedRegistry& r) {
    r.redirect_blobs = true;
    r.auth = ScriptedRegistry::Auth::kBasic;
  });
  auto labels = Client(Credentials())->ReadLabels("app", digest);
  ASSERT_TRUE(labels.ok()) << labels.error().message;
  EXPECT_EQ(labels->labels.at("k"), "v");
  EXPECT_EQ(registry_.log().back().path, "/storage/" + labels->config_digest);
}

// ---------------------------------------------------------------------------------------------
// Basic

TEST_F(HttpRegistryClientTest, AnswersABasicChallengeThenSendsBasicAtOnce) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.auth = ScriptedRegistry::Auth::kBasic; });
  auto client = Client(Credentials());
  ASSERT_TRUE(client->ListTags("app").ok());
  ASSERT_EQ(registry_.log().size(), 2u);  // the challenge, then the answer
  EXPECT_EQ(registry_.log()[0].authorization, "");
  registry_.ClearLog();
  ASSERT_TRUE(client->ResolveDigest("app", "1.0").ok());
  EXPECT_EQ(registry_.log().size(), 1u);
  for (const LoggedRequest& r : registry_.log()) EXPECT_THAT(r.query, Not(HasSubstr(kPassword)));
}

TEST_F(HttpRegistryClientTest, SaysWhenTheRegistryWantsCredentialsAndHasNone) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.auth = ScriptedRegistry::Auth::kBasic; });
  auto tags = Client()->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "auth");
  EXPECT_THAT(tags.error().message, HasSubstr("none are configured for " + registry_.host()));
}

TEST_F(HttpRegistryClientTest, ReportsRefusedBasicCredentialsWithoutThem) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.auth = ScriptedRegistry::Auth::kBasic; });
  auto client = Client(Credentials("wrong-secret"));
  auto tags = client->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "auth");
  EXPECT_THAT(tags.error().message, HasSubstr("the registry refused the configured credentials"));
  EXPECT_THAT(tags.error().message, Not(HasSubstr("wrong-secret")));
  EXPECT_THAT(tags.error().message, Not(HasSubstr(kUser)));
  // Known to be Basic now: one request, refused.
  registry_.ClearLog();
  auto again = client->ListTags("app");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "auth");
  EXPECT_EQ(registry_.log().size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Bearer

TEST_F(HttpRegistryClientTest, FetchesATokenForTheRepositoryScopeAndReusesIt) {
  const std::string digest = registry_.PushImage("team/app", "1.0", {{"k", "v"}});
  registry_.Set([](ScriptedRegistry& r) { r.auth = ScriptedRegistry::Auth::kBearer; });
  auto client = Client(Credentials());
  ASSERT_TRUE(client->ListTags("team/app").ok());
  auto tokens = registry_.TokenRequests();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].query,
            "account=maiev&scope=repository:team/app:pull&service=scripted-registry");
  EXPECT_EQ(tokens[0].authorization, "Basic " + EncodeBase64("maiev:s3cret-pass"));
  // The challenge, then the listing with the token.
  EXPECT_EQ(registry_.RegistryRequests(), 2u);

  registry_.ClearLog();
  ASSERT_TRUE(client->ResolveDigest("team/app", "1.0").ok());
  ASSERT_TRUE(client->ReadLabels("team/app", digest).ok());
  EXPECT_TRUE(registry_.TokenRequests().empty());
  EXPECT_EQ(registry_.RegistryRequests(), 3u);  // HEAD, manifest, blob: no challenge
  EXPECT_EQ(client->counters(), (RegistryCounters{5, 1, 0, 0}));
}

TEST_F(HttpRegistryClientTest, FetchesAnotherTokenForAnotherRepository) {
  registry_.PushImage("a", "1", {});
  registry_.PushImage("b", "1", {});
  registry_.Set([](ScriptedRegistry& r) { r.auth = ScriptedRegistry::Auth::kBearer; });
  auto client = Client(Credentials());
  ASSERT_TRUE(client->ListTags("a").ok());
  registry_.ClearLog();
  ASSERT_TRUE(client->ListTags("b").ok());
  auto tokens = registry_.TokenRequests();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_THAT(tokens[0].query, HasSubstr("scope=repository:b:pull"));
  // The token service is known: no second challenge.
  EXPECT_EQ(registry_.RegistryRequests(), 1u);
}

TEST_F(HttpRegistryClientTest, FetchesANewTokenWhenTheClockPassesItsExpiry) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) {
    r.auth = ScriptedRegistry::Auth::kBearer;
    r.expires_in = 120;
  });
  auto client = Client(Credentials());
  ASSERT_TRUE(client->ListTags("app").ok());
  clock_.Advance(seconds{100});  // within the lifetime, outside the 10 s margin: reused
  ASSERT_TRUE(client->ListTags("app").ok());
  EXPECT_EQ(registry_.TokenRequests().size(), 1u);
  clock_.Advance(seconds{15});  // 5 s before expiry: fetched again ahead of time
  ASSERT_TRUE(client->ListTags("app").ok());
  EXPECT_EQ(registry_.TokenRequests().size(), 2u);
  EXPECT_EQ(client->counters().token_requests, 2u);
}

TEST_F(HttpRegistryClientTest, FetchesANewTokenOnceWhenTheRegistryRefusesACachedOne) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.auth = ScriptedRegistry::Auth::kBearer; });
  auto client = Client(Credentials());
  ASSERT_TRUE(client->ListTags("app").ok());
  registry_.RevokeTokens();
  registry_.ClearLog();
  auto tags = client->ListTags("app");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_EQ(registry_.TokenRequests().size(), 1u);
  EXPECT_EQ(registry_.RegistryRequests(), 2u);
}

TEST_F(HttpRegistryClientTest, ReportsATokenServiceThatRefusesTheCredentials) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.auth = ScriptedRegistry::Auth::kBearer; });
  auto client = Client(Credentials("wrong-secret"));
  auto tags = client->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "auth");
  EXPECT_EQ(tags.error().message, "registry " + registry_.host() + ": token service " +
                                      registry_.url() +
                                      "/token: HTTP 401: the configured credentials were refused");
}

TEST_F(HttpRegistryClientTest, UsesTheRefreshTokenGrantForAnIdentityToken) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) {
    r.auth = ScriptedRegistry::Auth::kBearer;
    r.identity_token = "refresh-secret";
  });
  auto client = Client(RegistryCredentials{"", "", "refresh-secret"});
  auto tags = client->ListTags("app");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  auto tokens = registry_.TokenRequests();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].method, "POST");
  EXPECT_EQ(tokens[0].authorization, "");
}

TEST_F(HttpRegistryClientTest, RedactsTokensAndPasswordsTheRegistryEchoes) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.auth = ScriptedRegistry::Auth::kBearer; });
  auto client = Client(Credentials());
  ASSERT_TRUE(client->ListTags("app").ok());
  // A registry that quotes the request's token and a password in its error bodies.
  registry_.Set([](ScriptedRegistry& r) { r.echo_in_errors = " (tok-1-secret, s3cret-pass)"; });
  auto missing = client->ListTags("missing");
  ASSERT_FALSE(missing.ok());
  auto labels = client->ReadLabels("app", "sha256:" + std::string(64, '0'));
  ASSERT_FALSE(labels.ok());
  for (const Error& error : {missing.error(), labels.error()}) {
    EXPECT_THAT(error.message, HasSubstr("(***, ***)"));
    ExpectNoSecret(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Rate limits, timeouts, connection failures

TEST_F(HttpRegistryClientTest, WaitsAShortRetryAfterInlineOnce) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) {
    r.rate_limit_next = 1;
    r.retry_after = "1";
  });
  auto client = Client();
  auto tags = client->ListTags("app");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_THAT(slept_, ElementsAre(Duration{1.0}));
  EXPECT_EQ(client->counters().rate_limited, 1u);
}

TEST_F(HttpRegistryClientTest, FailsALongRetryAfterAndSendsNothingUntilItPasses) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) {
    r.rate_limit_next = 1;
    r.retry_after = "120";
  });
  auto client = Client();
  auto tags = client->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "rate_limited");
  EXPECT_THAT(tags.error().message, HasSubstr("HTTP 429 (TOOMANYREQUESTS: slow down)"));
  EXPECT_THAT(tags.error().message,
              HasSubstr("the registry asked to wait 120 s (until 2023-11-14T22:15:20Z)"));
  EXPECT_TRUE(slept_.empty());

  registry_.ClearLog();
  clock_.Advance(seconds{60});
  auto refused = client->ResolveDigest("app", "1.0");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "rate_limited");
  EXPECT_THAT(refused.error().message, HasSubstr("not sent"));
  EXPECT_TRUE(registry_.log().empty());

  clock_.Advance(seconds{61});
  EXPECT_TRUE(client->ResolveDigest("app", "1.0").ok());
  EXPECT_EQ(client->counters().rate_limited, 2u);
}

TEST_F(HttpRegistryClientTest, ReadsARetryAfterDateAgainstTheClock) {
  registry_.PushImage("app", "1.0", {});
  // ManualClock starts at 2023-11-14T22:13:20Z.
  registry_.Set([](ScriptedRegistry& r) {
    r.rate_limit_next = 1;
    r.retry_after = "Tue, 14 Nov 2023 22:13:22 GMT";
  });
  auto tags = Client()->ListTags("app");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_THAT(slept_, ElementsAre(Duration{2.0}));
}

TEST_F(HttpRegistryClientTest, WaitsTheDefaultWithoutRetryAfter) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.rate_limit_next = 1; });
  auto tags = Client()->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_THAT(tags.error().message, HasSubstr("wait 10 s"));
}

TEST_F(HttpRegistryClientTest, TimesOutASlowRegistryNamingTheTimeout) {
  registry_.PushImage("app", "1.0", {});
  registry_.Set([](ScriptedRegistry& r) { r.delay = std::chrono::milliseconds{1500}; });
  HttpRegistryClientOptions options;
  options.timeouts.request = Duration{0.2};
  auto client = Client({}, options);
  auto tags = client->ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "unavailable");
  EXPECT_THAT(tags.error().message, HasSubstr("GET /v2/app/tags/list: "));
  EXPECT_THAT(tags.error().message, HasSubstr("(timeout 0.2 s, connect 3 s)"));
}

TEST(HttpRegistryClient, ReportsARegistryThatIsNotThere) {
  // A port nothing listens on: bound without listening, then closed.
  int port = 0;
  {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port = ntohs(address.sin_port);
    close(fd);
  }
  ManualClock clock;
  HttpRegistryClient client(RegistryEndpoint{"127.0.0.1:" + std::to_string(port), false, {}, ""},
                            clock);
  auto tags = client.ListTags("app");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.error().code, "unavailable");
  EXPECT_THAT(tags.error().message, HasSubstr("registry 127.0.0.1:" + std::to_string(port) +
                                              ": GET /v2/app/tags/list: "));
  EXPECT_EQ(client.counters(), (RegistryCounters{1, 0, 1, 0}));
}

}  // namespace
}  // namespace maiev::registry
