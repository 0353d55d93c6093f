// Who may do what through the API, over real sockets on loopback: the read token, a standby's
// refusals (one acting maiev per swarm), HTTPS, and what a hostile client cannot do (huge
// headers, cross-origin reads).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "api/http_api.hpp"
#include "api/loopback_test_support.hpp"
#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::api {
namespace {

using ::testing::HasSubstr;

constexpr const char* kApiToken = "api-s3cret";
constexpr const char* kReadToken = "read-s3cret";
constexpr const char* kWebhookToken = "hook-s3cret";

// The API over a fake swarm with one service, "worker", started with the options a test gives.
class AccessTest : public testing::LoopbackApiTest {
 protected:
  void SetUp() override {
    docker_.PutService(testing::Worker(R"({"min": 1, "max": 3})"));
    ASSERT_TRUE(autoscaler_.Discover().ok());
  }

  httplib::Result Get(const std::string& path, const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return Client().Get(path.c_str(), headers);
  }
  httplib::Result Post(const std::string& path, const std::string& token,
                       const std::string& body = "{}") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return Client().Post(path.c_str(), headers, body, "application/json");
  }
};

TEST_F(AccessTest, WithAReadTokenReadsNeedItOrTheApiTokenButProbesAndThePageDoNot) {
  HttpApiOptions options;
  options.api_token = kApiToken;
  options.read_token = kReadToken;
  ASSERT_TRUE(StartApi(options));
  for (const char* path : {"/api/v1/services", "/api/v1/services/worker", "/api/v1/decisions",
                           "/metrics", "/api/v1/leader", "/api/v1/openapi.json"}) {
    auto none = Get(path);
    ASSERT_TRUE(none) << path;
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_THAT(none->body, HasSubstr("read token")) << path;
    EXPECT_EQ(Get(path, "wrong")->status, 401) << path;
    EXPECT_EQ(Get(path, kReadToken)->status, 200) << path;
    EXPECT_EQ(Get(path, kApiToken)->status, 200) << path;
  }
  for (const char* path : {"/healthz", "/readyz", "/"}) {
    auto res = Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_NE(res->status, 401) << path;
  }
  // The read token changes nothing.
  EXPECT_EQ(Post("/api/v1/services/worker/pause", kReadToken)->status, 401);
  EXPECT_EQ(autoscaler_.ServiceSnapshot("worker")->paused, false);
  // A browser's EventSource sends no header: the stream also takes ?token=.
  httplib::Client client("127.0.0.1", api_->port());
  client.set_read_timeout(std::chrono::seconds{1});
  int status = 0;
  client.Get(
      std::string("/api/v1/events?token=") + kReadToken, httplib::Headers{},
      [&](const httplib::Response& r) {
        status = r.status;
        return false;  // the headers are enough
      },
      [](const char*, size_t) { return false; });
  EXPECT_EQ(status, 200);
  EXPECT_EQ(Get("/api/v1/services?token=" + std::string(kReadToken))->status, 401)
      << "only the stream takes the token in its URL";
}

TEST_F(AccessTest, WithoutAReadTokenReadsAreOpen) {
  HttpApiOptions options;
  options.api_token = kApiToken;
  ASSERT_TRUE(StartApi(options));
  EXPECT_EQ(Get("/api/v1/services")->status, 200);
  auto leader = Get("/api/v1/leader");
  ASSERT_TRUE(leader);
  EXPECT_EQ(nlohmann::json::parse(leader->body)["leading"], true);  // no lease: the only one
}

TEST_F(AccessTest, AStandbyServesReadsAndRefusesEveryChangeNamingTheLeader) {
  std::mutex mutex;
  control::LeaderStatus leadership;
  leadership.leading = false;
  leadership.leader = "node-1-40-abcd";
  leadership.self = "node-2-41-beef";
  leadership.lease_expires = clock_.Now();
  HttpApiOptions options;
  options.api_token = kApiToken;
  options.webhook_token = kWebhookToken;
  options.leadership = [&] {
    std::lock_guard lock(mutex);
    return leadership;
  };
  ASSERT_TRUE(StartApi(options));
  auto leader = Get("/api/v1/leader");
  ASSERT_TRUE(leader);
  ASSERT_EQ(leader->status, 200);
  const auto body = nlohmann::json::parse(leader->body);
  EXPECT_EQ(body["leading"], false);
  EXPECT_EQ(body["leader"], "node-1-40-abcd");
  EXPECT_EQ(body["self"], "node-2-41-beef");
  EXPECT_TRUE(body["lease_expires"].is_string());

  EXPECT_EQ(Get("/api/v1/services/worker")->status, 200);
  for (const char* path : {"/api/v1/services/worker/pause", "/api/v1/services/worker/scale",
                           "/api/v1/webhooks/registry"}) {
    auto refused = Post(
        path, std::string(path).find("webhooks") != std::string::npos ? kWebhookToken : kApiToken,
        R"({"replicas": 2})");
    ASSERT_TRUE(refused) << path;
    EXPECT_EQ(refused->status, 503) << path;
    EXPECT_EQ(nlohmann::json::parse(refused->body)["error"], "not_leader") << path;
    EXPECT_THAT(refused->body, HasSubstr("the leader is node-1-40-abcd")) << path;
  }
  // A wrong token is still a 401: a standby tells nothing more to whoever asks.
  EXPECT_EQ(Post("/api/v1/services/worker/pause", "wrong")->status, 401);
  EXPECT_FALSE(autoscaler_.ServiceSnapshot("worker")->paused);
  EXPECT_EQ(docker_.InspectService("w1")->replicas, 1U);
  EXPECT_THAT(Get("/metrics")->body, HasSubstr("\nmaiev_leading 0\n"));

  {
    std::lock_guard lock(mutex);
    leadership.leading = true;
    leadership.leader = leadership.self;
  }
  EXPECT_EQ(Post("/api/v1/services/worker/pause", kApiToken)->status, 200);
  EXPECT_THAT(Get("/metrics")->body, HasSubstr("\nmaiev_leading 1\n"));
}

TEST_F(AccessTest, NoCrossOriginHeadersAndHugeHeadersAreRefusedWithoutHarm) {
  ASSERT_TRUE(StartApi({}));
  httplib::Client client("127.0.0.1", api_->port());
  auto res = client.Get("/api/v1/services", {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->has_header("Access-Control-Allow-Origin"));
  auto preflight = client.Options(
      "/api/v1/services/worker/pause",
      {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  if (preflight) {
    EXPECT_FALSE(preflight->has_header("Access-Control-Allow-Origin"));
  }
  // A header line of 64 KiB: refused, and the next request is served as usual.
  httplib::Client hostile("127.0.0.1", api_->port());
  auto huge = hostile.Get("/api/v1/services", {{"X-Filler", std::string(64 * 1024, 'a')}});
  EXPECT_TRUE(!huge || huge->status >= 400);
  EXPECT_EQ(Get("/api/v1/services")->status, 200);
}

// A self-signed certificate for 127.0.0.1, made by the openssl command in a temporary directory.
class TlsFiles {
 public:
  TlsFiles() {
    std::string pattern = (std::filesystem::temp_directory_path() / "maiev-tls.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return;
    dir_ = pattern;
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        key() + " -out " + cert() + " >/dev/null 2>&1";
    ok_ = std::system(command.c_str()) == 0;  // NOLINT(cert-env33-c): a test's own command
  }
  ~TlsFiles() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  TlsFiles(const TlsFiles&) = delete;
  TlsFiles& operator=(const TlsFiles&) = delete;
  bool ok() const { return ok_; }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }

 private:
  std::string dir_;
  bool ok_ = false;
};

TEST_F(AccessTest, WithACertificateTheApiIsServedOverHttpsOnly) {
  TlsFiles tls;
  ASSERT_TRUE(tls.ok()) << "openssl could not make a certificate";
  HttpApiOptions options;
  options.tls_cert = tls.cert();
  options.tls_key = tls.key();
  ASSERT_TRUE(StartApi(options));
  httplib::SSLClient secure("127.0.0.1", api_->port());
  secure.set_ca_cert_path(tls.cert());
  secure.enable_server_certificate_verification(true);
  auto res = secure.Get("/api/v1/services");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  // Unchecked by a client that does not trust it, and not spoken as plain HTTP.
  httplib::SSLClient untrusting("127.0.0.1", api_->port());
  untrusting.enable_server_certificate_verification(true);
  EXPECT_FALSE(untrusting.Get("/healthz"));
  httplib::Client plain("127.0.0.1", api_->port());
  plain.set_read_timeout(std::chrono::seconds{2});
  auto cleartext = plain.Get("/healthz");
  EXPECT_TRUE(!cleartext || cleartext->status != 200);
}

TEST_F(AccessTest, AnUnreadableCertificateIsAStartUpErrorNamingTheFlags) {
  HttpApiOptions options;
  options.port = 0;
  options.tls_cert = "/nonexistent/cert.pem";
  options.tls_key = "/nonexistent/key.pem";
  HttpApi api(options, autoscaler_, nullptr, *store_, [] { return Readiness{}; });
  auto st = api.Bind();
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr("--tls-cert '/nonexistent/cert.pem'"));
  EXPECT_THAT(st.error().message, HasSubstr("--tls-key"));
}

}  // namespace
}  // namespace maiev::api
