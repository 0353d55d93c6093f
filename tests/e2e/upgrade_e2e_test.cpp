// End-to-end tests of the auto-upgrader: the real `maiev serve` against the stack's dockerd
// (swarm) and registry. Each test builds FROM-scratch images of its own repository, with the
// dependencies in their `maiev.scale_config` label, pushes them, deploys host-network services
// (labelled maiev.test=1) and watches Swarm. maiev polls the registry every second here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e2e/maiev_process.hpp"
#include "support/stack_test_support.hpp"

namespace {

using namespace maiev::stack_testing;
using namespace maiev::e2e_testing;
using std::chrono::seconds;

constexpr seconds kUpgradeDeadline{90};
constexpr seconds kQuietWindow{6};
constexpr const char* kRegistry = "127.0.0.1:5000";

// The scale-config label of a version: fixed size 1, and its dependencies.
json VersionLabel(const json& provide, const std::vector<std::string>& require) {
  return {{"min", 1}, {"max", 1}, {"dependencies", {{"provide", provide}, {"require", require}}}};
}

// Builds and pushes `repository:tag` (the worker binary; `broken`: an entrypoint that does not
// exist, so every task fails at once). Returns the error output, empty on success.
std::string PushImage(const std::string& repository, const std::string& tag, const json& label,
                      bool broken = false) {
  TempDir context;
  std::filesystem::copy_file(MAIEV_WORKER, context.path() + "/maiev-worker");
  std::ofstream(context.path() + "/Dockerfile")
      << "FROM scratch\nCOPY maiev-worker /maiev-worker\nUSER 65534:65534\n"
      << (broken ? "ENTRYPOINT [\"/not-there\"]\n" : "ENTRYPOINT [\"/maiev-worker\"]\n");
  const std::string image = std::string(kRegistry) + "/" + repository + ":" + tag;
  const CommandResult built = Shell("DOCKER_BUILDKIT=0 " + Docker() + "build -q --label " +
                                    Quote("maiev.scale_config=" + label.dump()) + " -t " + image +
                                    " " + Quote(context.path()));
  if (built.exit_code != 0) return built.output;
  const CommandResult pushed = Shell(Docker() + "push -q " + image);
  return pushed.exit_code == 0 ? "" : pushed.output;
}

std::string Inspect(const std::string& service, const std::string& format) {
  const CommandResult r =
      Shell(Docker() + "service inspect --format " + Quote(format) + " " + service);
  std::string out = r.exit_code == 0 ? r.output : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string SpecImage(const std::string& service) {
  return Inspect(service, "{{.Spec.TaskTemplate.ContainerSpec.Image}}");
}

// The digest the registry gives `repository:tag`, as Docker resolved it on push.
std::string RegistryDigest(const std::string& repository, const std::string& tag) {
  const CommandResult r =
      Shell(Docker() + "image inspect --format " + Quote("{{index .RepoDigests 0}}") + " " +
            kRegistry + "/" + repository + ":" + tag);
  const auto at = r.output.find('@');
  if (r.exit_code != 0 || at == std::string::npos) return "";
  std::string digest = r.output.substr(at + 1);
  while (!digest.empty() && digest.back() == '\n') digest.pop_back();
  return digest;
}

// Never updated (no UpdateStatus), or its last rolling update completed.
bool Settled(const std::string& update_state) {
  return update_state.empty() || update_state == "completed";
}

// A service of `repository:tag`, removed at the end of the test.
class UpgradedService {
 public:
  UpgradedService(std::string name, const std::string& repository, const std::string& tag)
      : name_(std::move(name)) {
    created_ = Shell(Docker() + "service create -d -q --name " + name_ +
                     " --network host --label maiev.test=1 --stop-grace-period 2s" +
                     " --update-failure-action rollback --update-monitor 2s" +
                     " --rollback-monitor 2s -e WORKER_QUEUE=" + name_ +
                     " -e RABBITMQ_HOST=127.0.0.1 -e RABBITMQ_PORT=5672 --replicas 1 " + kRegistry +
                     "/" + repository + ":" + tag);
  }
  ~UpgradedService() {
    Shell(Docker() + "service rm " + name_);
    Management("DELETE", "/api/queues/%2F/" + name_);
  }
  UpgradedService(const UpgradedService&) = delete;
  UpgradedService& operator=(const UpgradedService&) = delete;

  bool ok() const { return created_.exit_code == 0; }
  const std::string& error() const { return created_.output; }
  const std::string& name() const { return name_; }

  bool Runs(const std::string& repository, const std::string& tag) const {
    const std::string digest = RegistryDigest(repository, tag);
    return !digest.empty() &&
           SpecImage(name_) ==
               std::string(kRegistry) + "/" + repository + ":" + tag + "@" + digest &&
           Settled(Inspect(name_, "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}"));
  }

 private:
  std::string name_;
  CommandResult created_;
};

class UpgradeE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Shell(Docker() + "info").exit_code, 0) << "no dockerd: run scripts/stack.sh start";
  }

  MaievServer& StartMaiev() {
    maiev_ = std::make_unique<MaievServer>(
        dir_.path(), std::vector<std::string>{"--registry-poll-interval", "1"});
    EXPECT_TRUE(maiev_->Start());
    return *maiev_;
  }

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
}

TEST_F(UpgradeE2e, ABrokenImageIsRolledBackAndThePlanStops) {
  const std::string repo = Unique("maiev-e2e-up-broken");
  ASSERT_EQ(PushImage(repo, "1.0.0", VersionLabel(json::object(), {})), "");
  UpgradedService service(Unique("e2e-up-broken"), repo, "1.0.0");
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.0.0"); }));
  StartMaiev();
  ASSERT_EQ(PushImage(repo, "1.1.0", VersionLabel(json::object(), {}), /*broken=*/true), "");
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] {
    return maiev_->Log().find("failed: Swarm rolled the update back") != std::string::npos;
  })) << maiev_->Log();
  const std::string old_digest = RegistryDigest(repo, "1.0.0");
  EXPECT_EQ(SpecImage(service.name()),
            std::string(kRegistry) + "/" + repo + ":1.0.0@" + old_digest);
  // Not tried again on the next checks.
  std::this_thread::sleep_for(kQuietWindow);
  EXPECT_EQ(SpecImage(service.name()),
            std::string(kRegistry) + "/" + repo + ":1.0.0@" + old_digest);
}

TEST_F(UpgradeE2e, PollingResumesWhenTheRegistryComesBack) {
  const std::string repo = Unique("maiev-e2e-up-outage");
  ASSERT_EQ(PushImage(repo, "1.0.0", VersionLabel(json::object(), {})), "");
  UpgradedService service(Unique("e2e-up-outage"), repo, "1.0.0");
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE(Eventually(kUpgradeDeadline, [&] { return service.Runs(repo, "1.0.0"); }));
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

}  // namespace
