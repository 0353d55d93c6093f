// End-to-end tests of the auto-upgrader: the real `maiev serve` against the stack's dockerd
// (swarm) and registry. Each test builds FROM-scratch images of its own repository, with the
// dependencies in their `maiev.scale_config` label, pushes them, deploys host-network services
// (labelled maiev.test=1) and watches Swarm. maiev polls the registry every second here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/free_port.hpp"
#include "e2e/e2e_support.hpp"
#include "support/stack_test_support.hpp"

namespace {

using namespace maiev::stack_testing;
using namespace maiev::e2e_testing;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr seconds kUpgradeDeadline{90};
constexpr seconds kQuietWindow{6};
class UpgradeE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Shell(Docker() + "info").exit_code, 0) << "no dockerd: run scripts/stack.sh start";
  }

  // `maiev serve` polling the registry every `poll_interval` seconds, with the API and webhook
  // tokens.
  MaievServer& StartMaiev(const std::string& poll_interval = "1") {
    maiev_ = std::make_unique<MaievServer>(
        dir_.path(),
        std::vector<std::string>{"--registry-poll-interval", poll_interval, "--api-token",
                                 kApiToken, "--webhook-token", kWebhookToken});
    EXPECT_TRUE(maiev_->Start());
    return *maiev_;
  }

  // Pushes `repo:1.0.0` (declaring nothing) and deploys `name` of it with `flags`; null (and the
  // test failed) unless it runs.
  std::unique_ptr<UpgradedService> DeployAtOne(const std::string& repo, const std::string& name,
                                               const std::string& flags = "") {
    const std::string pushed = PushImage(repo, "1.0.0", VersionLabel(json::object(), {}));
    EXPECT_EQ(pushed, "");
    auto service = std::make_unique<UpgradedService>(name, repo, "1.0.0", flags);
    EXPECT_TRUE(service->ok()) << service->error();
    const bool runs = pushed.empty() && service->ok() &&
                      Eventually(kUpgradeDeadline, [&] { return service->Runs(repo, "1.0.0"); });
    EXPECT_TRUE(runs) << SpecImage(name);
    return runs ? std::move(service) : nullptr;
  }

  // maiev polling once an hour, so that after its first check (which listed `service`) only a
  // webhook can trigger one.
  bool StartMaievForWebhooks(const std::string& service) {
    StartMaiev("3600");
    return Eventually(kUpgradeDeadline, [&] { return CatalogEntry(service).is_object(); });
  }

  // `maiev ARGS --url …` against the running daemon.
  CommandResult Cli(const std::string& args) const {
    return Shell(std::string(MAIEV_EXE) + " " + args +
                 " --url http://127.0.0.1:" + std::to_string(maiev_->port()));
  }

  // The catalog's entry of `service` (null until a check listed it).
  json CatalogEntry(const std::string& service) {
    auto catalog = maiev_->Get("/api/v1/catalog");
    if (!catalog) return nullptr;
    for (const json& s : (*catalog)["services"]) {
      if (s.value("name", "") == service) return s;
    }
    return nullptr;
  }

  // The newest plan that has a step on `service`, null when there is none.
  json PlanOf(const std::string& service) {
    auto plans = maiev_->Get("/api/v1/plans");
    if (!plans) return nullptr;
    for (const json& plan : (*plans)["plans"]) {
      for (const json& step : plan["steps"]) {
        if (step.value("service", "") == service) return plan;
      }
    }
    return nullptr;
  }

  // The state of PlanOf(service), empty when there is none.
  std::string PlanState(const std::string& service) {
    const json plan = PlanOf(service);
    return plan.is_object() ? plan.value("state", "") : "";
  }

  static constexpr const char* kApiToken = "e2e-api-token";
  static constexpr const char* kWebhookToken = "e2e-webhook-token";

  TempDir dir_;
  std::unique_ptr<MaievServer> maiev_;
};

TEST_F(UpgradeE2e, ANewerTagIsDeployedPinnedByDigestAndAnOlderOneIsNot) {
  const std::string repo = Unique("maiev-e2e-up-newer");
  ASSERT_EQ(PushImage(repo, "1.0.0", VersionLabel({{"w:api", 1}}, {})), "");
  UpgradedService service(Unique("e2e-up-newer"), repo, "1.0.0");
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.0.0"); }));
  StartMaiev();

  ASSERT_EQ(PushImage(repo, "0.9.0", VersionLabel({{"w:api", 1}}, {})), "");
  std::this_thread::sleep_for(kQuietWindow);  // an older tag: nothing may happen
  EXPECT_TRUE(service.Runs(repo, "1.0.0")) << SpecImage(service.name()) << "\n" << maiev_->Log();

  ASSERT_EQ(PushImage(repo, "1.1.0", VersionLabel({{"w:api", 1}}, {})), "");
  EXPECT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.1.0"); }))
      << SpecImage(service.name()) << "\n"
      << maiev_->Log();
}

TEST_F(UpgradeE2e, TheProviderIsUpgradedBeforeTheServiceThatNeedsItsNewCapability) {
  const std::string repo_a = Unique("maiev-e2e-up-a");
  const std::string repo_b = Unique("maiev-e2e-up-b");
  ASSERT_EQ(PushImage(repo_a, "1.0.0", VersionLabel({{"a:rpc", 1}}, {})), "");
  ASSERT_EQ(PushImage(repo_b, "1.0.0", VersionLabel(json::object(), {"a:rpc >= 1"})), "");
  UpgradedService a(Unique("e2e-up-a"), repo_a, "1.0.0");
  UpgradedService b(Unique("e2e-up-b"), repo_b, "1.0.0");
  ASSERT_TRUE(a.ok() && b.ok()) << a.error() << b.error();
  ASSERT_TRUE(Eventually(kUpgradeDeadline,
                         [&] { return a.Runs(repo_a, "1.0.0") && b.Runs(repo_b, "1.0.0"); }));
  // b 2.0 needs a:rpc 2, which only a 2.0 provides; a 2.0 still serves b 1.0.
  ASSERT_EQ(PushImage(repo_b, "2.0.0", VersionLabel(json::object(), {"a:rpc >= 2"})), "");
  ASSERT_EQ(PushImage(repo_a, "2.0.0", VersionLabel({{"a:rpc", 2}}, {})), "");
  StartMaiev();
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] {
    return a.Runs(repo_a, "2.0.0") && b.Runs(repo_b, "2.0.0");
  })) << maiev_->Log();
  // a's rolling update completed before b's began.
  const std::string a_done = Inspect(a.name(), "{{.UpdateStatus.CompletedAt}}");
  const std::string b_started = Inspect(b.name(), "{{.UpdateStatus.StartedAt}}");
  EXPECT_LT(a_done, b_started) << maiev_->Log();
}

TEST_F(UpgradeE2e, AVersionWhoseRequirementNothingMeetsIsNotDeployed) {
  const std::string repo = Unique("maiev-e2e-up-unmet");
  ASSERT_EQ(PushImage(repo, "1.0.0", VersionLabel(json::object(), {})), "");
  ASSERT_EQ(PushImage(repo, "2.0.0", VersionLabel(json::object(), {"nothing:here > 0"})), "");
  UpgradedService service(Unique("e2e-up-unmet"), repo, "1.0.0");
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.0.0"); }));
  StartMaiev();
  std::this_thread::sleep_for(kQuietWindow);
  EXPECT_TRUE(service.Runs(repo, "1.0.0")) << maiev_->Log();
  // Why, in the catalog and in `maiev catalog`.
  const json entry = CatalogEntry(service.name());
  ASSERT_TRUE(entry.is_object()) << maiev_->Get("/api/v1/catalog").value_or(json()).dump(2);
  EXPECT_EQ(entry["running"], "1.0.0");
  EXPECT_EQ(entry["target"], "1.0.0");
  ASSERT_FALSE(entry["versions"].empty());
  EXPECT_EQ(entry["versions"][0]["version"], "2.0.0");
  EXPECT_EQ(entry["versions"][0]["state"], "held_back");
  EXPECT_THAT(entry["versions"][0].value("reason", ""), HasSubstr("nothing:here"));
  const CommandResult table = Cli("catalog");
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr(service.name() + " 2.0.0 held back: requires `nothing:here"))
      << table.output;
}

TEST_F(UpgradeE2e, ABrokenImageIsRolledBackAndThePlanStops) {
  const std::string repo = Unique("maiev-e2e-up-broken");
  const auto deployed = DeployAtOne(repo, Unique("e2e-up-broken"));
  ASSERT_TRUE(deployed);
  const UpgradedService& service = *deployed;
  StartMaiev();
  ASSERT_EQ(PushImage(repo, "1.1.0", VersionLabel(json::object(), {}), /*broken=*/true), "");
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] {
    return maiev_->Log().find("failed: Swarm rolled the update back") != std::string::npos;
  })) << maiev_->Log();
  const std::string old_digest = RegistryDigest(repo, "1.0.0");
  EXPECT_EQ(SpecImage(service.name()),
            std::string(kRegistry) + "/" + repo + ":1.0.0@" + old_digest);
  // Reported: the plan and its step failed, with why.
  const json plan = PlanOf(service.name());
  ASSERT_TRUE(plan.is_object()) << maiev_->Get("/api/v1/plans").value_or(json()).dump(2);
  EXPECT_EQ(plan["state"], "failed");
  EXPECT_EQ(plan["steps"][0]["state"], "failed");
  EXPECT_THAT(plan["steps"][0].value("error", ""), HasSubstr("rolled the update back"));
  // Not tried again on the next checks.
  std::this_thread::sleep_for(kQuietWindow);
  EXPECT_EQ(SpecImage(service.name()),
            std::string(kRegistry) + "/" + repo + ":1.0.0@" + old_digest);
}

TEST_F(UpgradeE2e, PollingResumesWhenTheRegistryComesBack) {
  const std::string repo = Unique("maiev-e2e-up-outage");
  const auto deployed = DeployAtOne(repo, Unique("e2e-up-outage"));
  ASSERT_TRUE(deployed);
  const UpgradedService& service = *deployed;
  StartMaiev();
  ASSERT_EQ(Shell(StackScript() + "stop-registry").exit_code, 0);
  struct Restart {
    ~Restart() { Shell(StackScript() + "start-registry"); }
  } restart;
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] {
    return maiev_->Log().find("upgrades: cannot read the registry for") != std::string::npos;
  })) << maiev_->Log();
  ASSERT_EQ(Shell(StackScript() + "start-registry").exit_code, 0);
  ASSERT_EQ(PushImage(repo, "1.1.0", VersionLabel(json::object(), {})), "");
  EXPECT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.1.0"); }))
      << maiev_->Log();
}

TEST_F(UpgradeE2e, KilledMidPlanTheRestartedMaievCompletesThePlan) {
  const std::string repo_a = Unique("maiev-e2e-up-kill-a");
  const std::string repo_b = Unique("maiev-e2e-up-kill-b");
  ASSERT_EQ(PushImage(repo_a, "1.0.0", VersionLabel({{"a:rpc", 1}}, {})), "");
  ASSERT_EQ(PushImage(repo_b, "1.0.0", VersionLabel(json::object(), {"a:rpc >= 1"})), "");
  UpgradedService a(Unique("e2e-up-kill-a"), repo_a, "1.0.0");
  UpgradedService b(Unique("e2e-up-kill-b"), repo_b, "1.0.0");
  ASSERT_TRUE(a.ok() && b.ok()) << a.error() << b.error();
  ASSERT_TRUE(Eventually(kUpgradeDeadline,
                         [&] { return a.Runs(repo_a, "1.0.0") && b.Runs(repo_b, "1.0.0"); }));
  ASSERT_EQ(PushImage(repo_a, "2.0.0", VersionLabel({{"a:rpc", 2}}, {})), "");
  ASSERT_EQ(PushImage(repo_b, "2.0.0", VersionLabel(json::object(), {"a:rpc >= 2"})), "");
  StartMaiev();
  // Killed as soon as a's rolling update was requested.
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] {
    return SpecImage(a.name()).find(":2.0.0@") != std::string::npos;
  })) << maiev_->Log();
  maiev_->Kill();
  ASSERT_TRUE(maiev_->Start());
  EXPECT_TRUE(Eventually(kUpgradeDeadline, [&] {
    return a.Runs(repo_a, "2.0.0") && b.Runs(repo_b, "2.0.0");
  })) << maiev_->Log();
  EXPECT_TRUE(Eventually(seconds{10}, [&] {
    return maiev_->Log().find("plan 1 done") != std::string::npos;
  })) << maiev_->Log();
}

TEST_F(UpgradeE2e, WebhooksNeedTheirTokenAndAWellFormedBody) {
  const std::string repo = Unique("maiev-e2e-up-hook-guard");
  const auto deployed = DeployAtOne(repo, Unique("e2e-up-hook-guard"));
  ASSERT_TRUE(deployed);
  const UpgradedService& service = *deployed;
  ASSERT_TRUE(StartMaievForWebhooks(service.name())) << maiev_->Log();
  ASSERT_EQ(PushImage(repo, "1.1.0", VersionLabel(json::object(), {})), "");
  const std::string body = PushNotification(repo, "1.1.0", RegistryDigest(repo, "1.1.0"));

  EXPECT_EQ(maiev_->Post("/api/v1/webhooks/registry", body).first, 401);
  EXPECT_EQ(maiev_->Post("/api/v1/webhooks/registry", body, "wrong-token").first, 401);
  EXPECT_EQ(maiev_->Post("/api/v1/webhooks/registry", body, kApiToken).first, 401);
  const auto [malformed, why] =
      maiev_->Post("/api/v1/webhooks/registry", R"({"events": [{"action": "push", "target": 7}]})",
                   kWebhookToken);
  EXPECT_EQ(malformed, 400);
  EXPECT_THAT(why.value("message", ""), HasSubstr("events[0].target")) << why.dump();
  EXPECT_EQ(maiev_->Post("/api/v1/webhooks/dockerhub", "{\"push_data\": {}}", kWebhookToken).first,
            400);
  // None of these was a hint.
  std::this_thread::sleep_for(kQuietWindow);
  EXPECT_TRUE(service.Runs(repo, "1.0.0")) << maiev_->Log();
  auto metrics = Shell("curl -fsS http://127.0.0.1:" + std::to_string(maiev_->port()) + "/metrics");
  EXPECT_THAT(metrics.output,
              HasSubstr(R"(maiev_webhook_events_total{source="registry",result="rejected"} 4)"))
      << metrics.output;

  // Without a configured token, every webhook is refused.
  maiev_->Stop();
  unsetenv("MAIEV_WEBHOOK_TOKEN");
  TempDir other;
  MaievServer unguarded(other.path(), {"--registry-poll-interval", "3600"});
  ASSERT_TRUE(unguarded.Start());
  const auto [refused, message] = unguarded.Post("/api/v1/webhooks/registry", body, kWebhookToken);
  EXPECT_EQ(refused, 403);
  EXPECT_THAT(message.value("message", ""), HasSubstr("--webhook-token"));
}

TEST_F(UpgradeE2e, APushAnnouncedByTheWebhookIsDeployedAtOnce) {
  const std::string repo = Unique("maiev-e2e-up-hook");
  const auto deployed = DeployAtOne(repo, Unique("e2e-up-hook"));
  ASSERT_TRUE(deployed);
  const UpgradedService& service = *deployed;
  ASSERT_TRUE(StartMaievForWebhooks(service.name())) << maiev_->Log();
  ASSERT_EQ(PushImage(repo, "1.1.0", VersionLabel(json::object(), {})), "");
  const std::string body = PushNotification(repo, "1.1.0", RegistryDigest(repo, "1.1.0"));
  // Delivered twice, as registries retry: still one plan.
  for (int i = 0; i < 2; ++i) {
    const auto [status, answer] = maiev_->Post("/api/v1/webhooks/registry", body, kWebhookToken);
    EXPECT_EQ(status, 202) << answer.dump();
    EXPECT_EQ(answer.value("accepted", 0), 1) << answer.dump();
  }
  EXPECT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.1.0"); }))
      << SpecImage(service.name()) << "\n"
      << maiev_->Log();
  ASSERT_TRUE(Eventually(seconds{10}, [&] { return PlanState(service.name()) == "done"; }))
      << maiev_->Get("/api/v1/plans").value_or(json()).dump(2);
  auto plans = maiev_->Get("/api/v1/plans");
  ASSERT_TRUE(plans);
  EXPECT_EQ((*plans)["plans"].size(), 1U) << plans->dump(2);
}

TEST_F(UpgradeE2e, AnApprovePlanWaitsForTheOperatorsCli) {
  const std::string repo = Unique("maiev-e2e-up-approve");
  ASSERT_EQ(PushImage(repo, "1.0.0", VersionLabel(json::object(), {})), "");
  ASSERT_EQ(PushImage(repo, "1.1.0", VersionLabel(json::object(), {})), "");
  UpgradedService service(Unique("e2e-up-approve"), repo, "1.0.0", "--label maiev.update=approve");
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.0.0"); }));
  StartMaiev();
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] { return PlanState(service.name()) == "pending"; }))
      << maiev_->Log();
  std::this_thread::sleep_for(kQuietWindow);  // it waits
  EXPECT_TRUE(service.Runs(repo, "1.0.0")) << maiev_->Log();
  const std::string id = std::to_string(PlanOf(service.name())["id"].get<long long>());

  const CommandResult listed = Cli("plans");
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("pending")) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("waiting for approval")) << listed.output;
  const CommandResult resolved = Cli(std::string("plans resolve --api-token ") + kApiToken);
  EXPECT_EQ(resolved.exit_code, 0) << resolved.output;
  EXPECT_THAT(resolved.output, HasSubstr(service.name() + " 1.0.0 → 1.1.0")) << resolved.output;
  const CommandResult tokenless = Cli("plans approve " + id);
  EXPECT_NE(tokenless.exit_code, 0) << tokenless.output;
  EXPECT_TRUE(service.Runs(repo, "1.0.0"));

  const CommandResult approved = Cli("plans approve " + id + " --api-token " + kApiToken);
  EXPECT_EQ(approved.exit_code, 0) << approved.output;
  EXPECT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.1.0"); }))
      << maiev_->Log();
  EXPECT_TRUE(Eventually(seconds{10}, [&] {
    return Cli("plans show " + id).output.find("done (1/1 steps done)") != std::string::npos;
  })) << Cli("plans show " + id).output;
}

// maiev deployed as the original README deploys it: a one-replica swarm service of its own
// FROM-scratch image on a manager, the Docker socket mounted, secrets as files, the store on a
// volume. Through it, a service is scaled up from a real queue and another upgraded.
TEST_F(UpgradeE2e, DeployedAsASwarmServiceItScalesAndUpgrades) {
  const CommandResult image = Shell("MAIEV_WORKER_BIN=" MAIEV_WORKER " bash " MAIEV_SOURCE_DIR
                                    "/scripts/build-images.sh --maiev " MAIEV_EXE " 2>&1");
  ASSERT_EQ(image.exit_code, 0) << image.output;
  const std::string name = Unique("maiev-e2e-svc");
  const std::string password = name + "-rabbitmq", auth = name + "-docker", token = name + "-api";
  ASSERT_EQ(Shell("printf guest | " + Docker() + "secret create " + password + " -").exit_code, 0);
  ASSERT_EQ(
      Shell("printf '{\"auths\":{}}' | " + Docker() + "secret create " + auth + " -").exit_code, 0);
  ASSERT_EQ(
      Shell("printf " + std::string(kApiToken) + " | " + Docker() + "secret create " + token + " -")
          .exit_code,
      0);
  const int port = maiev::common::testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  struct Cleanup {
    std::string name, password, auth, token;
    ~Cleanup() {
      Shell(Docker() + "service rm " + name);
      Eventually(seconds{30}, [&] {
        return Shell(Docker() + "ps -aq --filter label=com.docker.swarm.service.name=" + name)
            .output.empty();
      });
      Shell(Docker() + "container prune -f --filter label=com.docker.swarm.service.name=" + name);
      Shell(Docker() + "secret rm " + password + " " + auth + " " + token);
      Shell(Docker() + "volume rm " + name + "-store");
      Shell(Docker() + "config rm " + name);  // its lease
    }
  } cleanup{name, password, auth, token};
  const std::string socket = StackDir() + "/docker.sock";
  const CommandResult created = Shell(
      Docker() + "service create -d -q --name " + name +
      " --network host --label maiev.test=1 --label maiev.update=off" +
      " --mount type=bind,src=" + socket + ",dst=/var/run/docker.sock" +
      " --mount type=volume,src=" + name + "-store,dst=/var/lib/maiev" +
      " -e RABBITMQ_HOST=127.0.0.1 -e RABBITMQ_VHOST=/ -e RABBITMQ_USER=guest" +
      " --secret source=" + password + ",target=rabbitmq_password" +
      " -e RABBITMQ_PASSWORD_FILE=/run/secrets/rabbitmq_password" + " --secret source=" + auth +
      ",target=/home/service/.docker/config.json" + " --secret source=" + token +
      ",target=api_token" + " -e MAIEV_API_TOKEN_FILE=/run/secrets/api_token" +
      " -e MAIEV_LISTEN=127.0.0.1:" + std::to_string(port) + " -e MAIEV_LEASE_NAME=" + name +
      " --constraint node.role==manager " + kRegistry +
      "/maiev:dev serve --interval 1 --counts-interval 1 --stats-interval 1"
      " --registry-poll-interval 1");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const auto started = std::chrono::steady_clock::now();
  httplib::Client api("127.0.0.1", port);
  api.set_connection_timeout(std::chrono::seconds{2});
  ASSERT_TRUE(Eventually(kUpgradeDeadline,
                         [&] {
                           auto res = api.Get("/readyz");
                           return res && res->status == 200;
                         }))
      << Shell(Docker() + "service ps --no-trunc " + name).output
      << Shell(Docker() + "service logs --raw " + name + " 2>&1 | tail -40").output;
  const double ready =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // The image's HEALTHCHECK (`maiev healthcheck`, no shell in the image) passes.
  EXPECT_TRUE(Eventually(seconds{60}, [&] {
    return Shell(Docker() + "ps --filter label=com.docker.swarm.service.name=" + name +
                 " --format '{{.Status}}'")
               .output.find("(healthy)") != std::string::npos;
  })) << Shell(Docker() + "ps -a --filter label=com.docker.swarm.service.name=" + name).output;
  auto leader = api.Get("/api/v1/leader");
  ASSERT_TRUE(leader);
  EXPECT_EQ(json::parse(leader->body).value("leading", false), true) << leader->body;

  // The demo's scale-up: a backlog on a real queue.
  const std::string scaled = Unique("e2e-svc-scaled");
  const json config = {
      {"min", 1},
      {"max", 3},
      {"scale",
       {{"resources",
         json::array(
             {{{"name", "rmq"}, {"monitorer", "monitorer_rabbitmq"}, {"identifier", scaled}}})},
        {"rules", json::array({{{"name", "backlog"}, {"expression", "rmq:waiting > 0"}}})},
        {"scale_up", "rules:backlog"},
        {"scale_down", ""}}},
      {"policy", {{"reapply_interval", "1s"}}}};
  UpgradedService worker(scaled, "maiev-worker", "worker-1.0.0",
                         "--label " + Quote("maiev.scale_config=" + config.dump()) +
                             " --label maiev.update=off -e WORKER_WORK_MS=200");
  ASSERT_TRUE(worker.ok()) << worker.error();
  ASSERT_TRUE(Eventually(seconds{60}, [&] {
    const json q = QueueInfo(scaled);
    return q.is_object() && q.value("consumers", 0) >= 1;
  }));
  ASSERT_EQ(Shell(std::string("RABBITMQ_HOST=127.0.0.1 RABBITMQ_PORT=5672 ") + MAIEV_LOADGEN +
                  " --queue " + Quote(scaled) + " --burst 300")
                .exit_code,
            0);
  EXPECT_TRUE(Eventually(seconds{40}, [&] {
    const std::string replicas = Inspect(scaled, "{{.Spec.Mode.Replicated.Replicas}}");
    return !replicas.empty() && std::atoi(replicas.c_str()) >= 2;
  })) << Shell(Docker() + "service logs --raw " + name + " 2>&1 | tail -40").output;

  // An upgrade: 2.0.0 pushed, the service moves to it, pinned by digest.
  const std::string repo = Unique("maiev-e2e-svc-up");
  auto upgraded = DeployAtOne(repo, Unique("e2e-svc-up"));
  ASSERT_TRUE(upgraded);
  ASSERT_EQ(PushImage(repo, "2.0.0", VersionLabel(json::object(), {})), "");
  EXPECT_TRUE(Eventually(kUpgradeDeadline, [&] { return upgraded->Runs(repo, "2.0.0"); }))
      << SpecImage(upgraded->name()) << "\n"
      << Shell(Docker() + "service logs --raw " + name + " 2>&1 | tail -40").output;
  std::printf("maiev as a swarm service: ready %.1f s after docker service create\n", ready);
}

}  // namespace
