// No secret maiev is given ever comes out of it. The real `maiev serve` on the local stack with
// known secrets — a RabbitMQ password the broker refuses, registry credentials a registry of the
// test's own (`auth: htpasswd`) refuses, the API, read and webhook tokens as files (as Swarm
// secrets are), a notification URL with credentials that cannot be reached — is driven through
// every error path the test can reach: the broker's and the registry's refusals, wrong and
// missing tokens, the read token used for a change, webhooks with a wrong token and with bodies
// that are not notifications. Then no line of its log, no API answer (body or header), no metric
// and no file of the page holds any secret, as written or base64-encoded as it goes over the wire.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/free_port.hpp"
#include "e2e/maiev_process.hpp"
#include "registry/docker_config.hpp"
#include "registry/test_registries.hpp"
#include "support/stack_test_support.hpp"

namespace {

using namespace maiev::stack_testing;
using namespace maiev::e2e_testing;
namespace rt = maiev::registry::testing;

constexpr const char* kRabbitPassword = "rabbit-Leak-5c8e21";
constexpr const char* kRegistryUser = "leaky";
constexpr const char* kRegistryPassword = "registry-Leak-9d04b7";
constexpr const char* kApiToken = "api-Leak-31f6aa";
constexpr const char* kReadToken = "read-Leak-c2e719";
constexpr const char* kWebhookToken = "hook-Leak-87b3d0";
constexpr const char* kNotifyPassword = "notify-Leak-4a6f12";

constexpr std::chrono::seconds kRefusalDeadline{30};

// Every form in which a secret could leak: as given, and the Basic credentials of the registry
// and of the notification URL as they are sent.
std::vector<std::string> SecretForms() {
  return {kRabbitPassword,
          kRegistryPassword,
          kApiToken,
          kReadToken,
          kWebhookToken,
          kNotifyPassword,
          maiev::registry::EncodeBase64(std::string(kRegistryUser) + ":" + kRegistryPassword),
          maiev::registry::EncodeBase64(std::string("hook:") + kNotifyPassword)};
}

// What a client sees of one answer: status line, headers and body.
std::string Seen(const httplib::Result& res) {
  if (!res) return "(no answer)\n";
  std::string text = std::to_string(res->status) + "\n";
  for (const auto& [name, value] : res->headers) text += name + ": " + value + "\n";
  return text + res->body + "\n";
}

TEST(Secrets, NoLogLineAnswerMetricOrPageHoldsOne) {
  // The password comes from its file only (maiev refuses both; the stack's environment has one).
  unsetenv("RABBITMQ_PASSWORD");
  TempDir dir;
  // A registry that refuses maiev's credentials: its only user has another password.
  rt::WriteFile(dir.path() + "/htpasswd",
                std::string(kRegistryUser) + ":" + rt::BcryptHash("the-registry-s-own") + "\n");
  rt::RegistryServer registry(
      dir.path(),
      "auth:\n  htpasswd:\n    realm: maiev-secrets\n    path: " + dir.path() + "/htpasswd\n");
  rt::WriteFile(
      dir.path() + "/config.json",
      R"({"auths": {")" + registry.host() + R"(": {"auth": ")" +
          maiev::registry::EncodeBase64(std::string(kRegistryUser) + ":" + kRegistryPassword) +
          R"("}}})");
  rt::WriteFile(dir.path() + "/rabbitmq-password", std::string(kRabbitPassword) + "\n");
  rt::WriteFile(dir.path() + "/api-token", std::string(kApiToken) + "\n");
  rt::WriteFile(dir.path() + "/read-token", std::string(kReadToken) + "\n");
  rt::WriteFile(dir.path() + "/webhook-token", std::string(kWebhookToken) + "\n");

  // A service whose image is on that registry, so that maiev asks it for the tags, and one
  // whose scale config is broken, so that a config_error is notified. No task runs: they have no
  // replica and their images are never pulled.
  const std::string app = Unique("secrets-app");
  const std::string broken = Unique("secrets-broken");
  struct Removed {
    std::vector<std::string> names;
    ~Removed() {
      for (const std::string& name : names) Shell(Docker() + "service rm " + name);
    }
  } removed{{app, broken}};
  const std::string create = Docker() + "service create -d -q --no-resolve-image --replicas 0 " +
                             "--label maiev.test=1 --name ";
  ASSERT_EQ(Shell(create + app + " " + registry.host() + "/secrets-app:1.0.0").exit_code, 0);
  ASSERT_EQ(Shell(create + broken + " --label 'maiev.scale_config={\"min\": 1' " + registry.host() +
                  "/secrets-broken:1.0.0")
                .exit_code,
            0);

  const int closed = maiev::common::testing::FreeLoopbackPort();
  MaievServer maiev(
      dir.path(), {"--rabbitmq-user", "guest", "--rabbitmq-password-file",
                   dir.path() + "/rabbitmq-password", "--registry-auth-file",
                   dir.path() + "/config.json", "--registry-poll-interval", "1", "--api-token-file",
                   dir.path() + "/api-token", "--read-token-file", dir.path() + "/read-token",
                   "--webhook-token-file", dir.path() + "/webhook-token", "--notify-url",
                   "http://hook:" + std::string(kNotifyPassword) +
                       "@127.0.0.1:" + std::to_string(closed) + "/hook"});
  ASSERT_TRUE(maiev.Start(MaievServer::Until::kServing));

  httplib::Client client("127.0.0.1", maiev.port());
  client.set_read_timeout(std::chrono::seconds{5});
  const httplib::Headers read{{"Authorization", std::string("Bearer ") + kReadToken}};
  const httplib::Headers api{{"Authorization", std::string("Bearer ") + kApiToken}};
  const httplib::Headers wrong{{"Authorization", "Bearer not-the-token"}};

  // The refusals have happened: the broker's (readiness names RabbitMQ unreachable) and the
  // registry's (the service's version check failed).
  ASSERT_TRUE(Eventually(kRefusalDeadline, [&] {
    auto res = client.Get("/readyz");
    return res && res->status == 503 && res->body.find("rabbitmq") != std::string::npos;
  })) << maiev.Log();
  ASSERT_TRUE(Eventually(kRefusalDeadline, [&] {
    return maiev.Log().find("cannot read the registry for " + registry.host() + "/secrets-app: ") !=
           std::string::npos;
  })) << maiev.Log();

  std::string seen;
  // Reads: without a token, with a wrong one, with the read token.
  const std::vector<std::string> reads = {"/api/v1/services",
                                          "/api/v1/services/" + app,
                                          "/api/v1/services/" + app + "/history?minutes=15",
                                          "/api/v1/decisions",
                                          "/api/v1/catalog",
                                          "/api/v1/plans",
                                          "/api/v1/leader",
                                          "/api/v1/openapi.json",
                                          "/metrics",
                                          "/readyz",
                                          "/healthz",
                                          "/",
                                          "/api/v1/services/no-such-service"};
  for (const std::string& path : reads) {
    seen += Seen(client.Get(path));
    seen += Seen(client.Get(path, wrong));
    seen += Seen(client.Get(path, read));
  }
  // The page's files, as a browser loads them.
  auto page = client.Get("/", read);
  ASSERT_TRUE(page);
  for (std::size_t at = page->body.find("/assets/"); at != std::string::npos;
       at = page->body.find("/assets/", at + 1)) {
    const std::size_t end = page->body.find('"', at);
    if (end != std::string::npos) seen += Seen(client.Get(page->body.substr(at, end - at)));
  }
  // Changes: without a token, with a wrong one, with the read token, and with the API token but
  // a body that is wrong.
  const std::string scale = "/api/v1/services/" + app + "/scale";
  for (const httplib::Headers& h : {httplib::Headers{}, wrong, read}) {
    seen += Seen(client.Post(scale, h, R"({"replicas": 1})", "application/json"));
    seen += Seen(client.Post("/api/v1/services/" + app + "/pause", h, "{}", "application/json"));
  }
  seen += Seen(client.Post(scale, api, R"({"replicas": "many"})", "application/json"));
  seen += Seen(client.Post(scale, api, "not json", "application/json"));
  // Webhooks: a wrong token, and the right one with bodies that are no notification.
  for (const char* hook : {"/api/v1/webhooks/registry", "/api/v1/webhooks/dockerhub"}) {
    seen += Seen(client.Post(hook, wrong, R"({"events": []})", "application/json"));
    const httplib::Headers right{{"Authorization", std::string("Bearer ") + kWebhookToken}};
    seen += Seen(client.Post(hook, right, "{", "application/json"));
    seen += Seen(client.Post(hook, right, R"({"events": [{"action": 7}]})", "application/json"));
    seen +=
        Seen(client.Post(std::string(hook) + "?token=not-the-token", {}, "{}", "application/json"));
  }
  // The answers name what was wrong (a test that saw only failures to connect would prove
  // nothing).
  EXPECT_NE(seen.find("unauthorized"), std::string::npos);
  EXPECT_NE(seen.find("maiev_"), std::string::npos) << "the metrics were read";
  EXPECT_NE(seen.find(app), std::string::npos) << "the service was listed";

  // The notification of the config error was tried and given up (four tries over 3.5 s).
  ASSERT_TRUE(Eventually(kRefusalDeadline, [&] {
    return maiev.Log().find("not delivered after") != std::string::npos;
  })) << maiev.Log();
  seen += Seen(client.Get("/metrics", read));
  EXPECT_EQ(maiev.Stop(), 0);

  const std::string log = maiev.Log();
  EXPECT_NE(log.find("ACCESS_REFUSED"), std::string::npos) << "the broker's refusal is logged";
  for (const std::string& secret : SecretForms()) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " is in the log:\n" << log;
    EXPECT_EQ(seen.find(secret), std::string::npos) << secret << " is in an answer:\n" << seen;
  }
}

}  // namespace
