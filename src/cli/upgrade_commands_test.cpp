// `maiev catalog` and `maiev plans …` (the built binary) against a scripted daemon on a free
// loopback port that answers with the API's own JSON builders: tables, --json, the token, and
// the exit codes of the daemon's refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "api/upgrade_views.hpp"
#include "cli/cli_test_support.hpp"
#include "upgrade/test_support.hpp"

namespace maiev::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::RunMaiev;
using testing::ScratchDir;
using upgrade::testing::Image;
using upgrade::testing::Service;

constexpr const char* kToken = "api-s3cret";
const TimePoint kT0 = TimePoint{} + std::chrono::seconds{1'700'000'000};

// a 1.0.0 → 2.0.0; c stays at 1.0.0, its 2.0.0 requiring what nothing provides.
control::UpgradeCheck Check() {
  control::UpgradeCheck check;
  check.at = kT0;
  check.gathered.services = {
      Service("a", Image("1.0.0"), {Image("2.0.0")}),
      Service("c", Image("1.0.0"), {Image("2.0.0", {}, {"nothing:here > 0"})})};
  check.catalog = upgrade::AssembleCatalog(check.gathered.services);
  check.decision = upgrade::Decide(check.catalog);
  return check;
}

store::UpgradePlan Plan(std::int64_t id, store::RunState state) {
  store::UpgradePlan plan;
  plan.id = id;
  plan.created = kT0;
  plan.updated = kT0;
  plan.state = state;
  plan.reason = "new versions: a 1.0.0 → 2.0.0";
  store::UpgradeStep step;
  step.service = "a";
  step.from_version = "1.0.0";
  step.to_version = "2.0.0";
  step.image = "127.0.0.1:5000/a:2.0.0@sha256:aa";
  step.state =
      state == store::RunState::kRunning ? store::RunState::kRunning : store::RunState::kPending;
  plan.steps = {step};
  return plan;
}

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// The daemon's upgrade routes, scripted: plan 2 exists (pending, approvable), plan 3 has ended.
class ScriptedDaemon {
 public:
  ScriptedDaemon() {
    server_.Get("/api/v1/catalog", [](const httplib::Request&, httplib::Response& res) {
      Reply(res, 200, api::CatalogToJson(Check()));
    });
    server_.Get("/api/v1/plans", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      Reply(res, 200,
            {{"plans",
              {api::PlanToJson(Plan(3, store::RunState::kDone)),
               api::PlanToJson(Plan(2, store::RunState::kPending))}}});
    });
    server_.Get(R"(/api/v1/plans/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      if (req.matches[1] == "2")
        return Reply(res, 200, api::PlanToJson(Plan(2, store::RunState::kPending)));
      Reply(
          res, 404,
          {{"error", "not_found"}, {"message", "no upgrade plan " + std::string(req.matches[1])}});
    });
    server_.Post(
        "/api/v1/plans/resolve", [this](const httplib::Request& req, httplib::Response& res) {
          Record(req);
          if (!Authorized(req, res)) return;
          control::UpgradeCheck check = Check();
          if (no_solution_) {
            check.decision = {};
            check.decision.outcome = "no_solution";
            check.decision.message = "no consistent phase";
            check.decision.reasons = {"b 1.0.0: requires `a:rpc >= 2`, but a provides at most 1"};
          }
          Reply(res, 200, api::ResolveToJson(check));
        });
    server_.Post(R"(/api/v1/plans/(\d+)/(approve|abort))", [this](const httplib::Request& req,
                                                                  httplib::Response& res) {
      Record(req);
      if (!Authorized(req, res)) return;
      if (req.matches[1] != "2") {
        return Reply(res, 409, {{"error", "conflict"}, {"message", "plan 3 has ended (done)"}});
      }
      const bool approve = req.matches[2] == "approve";
      Reply(res, 200,
            api::PlanToJson(
                Plan(2, approve ? store::RunState::kRunning : store::RunState::kAborted)));
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // Bound: requests made before the thread accepts wait in the backlog.
    serving_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~ScriptedDaemon() {
    // httplib's stop() is a no-op until its loop has started.
    while (!server_.is_running()) std::this_thread::yield();
    server_.stop();
    serving_.join();
  }
  ScriptedDaemon(const ScriptedDaemon&) = delete;
  ScriptedDaemon& operator=(const ScriptedDaemon&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_no_solution() { no_solution_ = true; }
  // What the last recorded request carried.
  std::string last_target() {
    std::lock_guard lock(mutex_);
    return last_target_;
  }
  std::string last_authorization() {
    std::lock_guard lock(mutex_);
    return last_authorization_;
  }

 private:
  void Record(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    last_target_ = req.target;
    last_authorization_ = req.get_header_value("Authorization");
  }
  static bool Authorized(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == std::string("Bearer ") + kToken) return true;
    Reply(res, 401,
          {{"error", "unauthorized"},
           {"message", "this request needs the header 'Authorization: Bearer <api token>'"}});
    return false;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread serving_;
  std::atomic<bool> no_solution_{false};
  std::mutex mutex_;  // guards what follows
  std::string last_target_;
  std::string last_authorization_;
};

class UpgradeCommandsTest : public ::testing::Test {
 protected:
  testing::Outcome Run(const std::string& subcommand, std::vector<std::string> args) {
    args.push_back("--url");
    args.push_back(daemon_.url());
    return RunMaiev(scratch_, subcommand, args);
  }

  ScratchDir scratch_{"maiev-upgrade-commands"};
  ScriptedDaemon daemon_;
};

TEST_F(UpgradeCommandsTest, CatalogPrintsRunningToTargetAndWhyNewerVersionsAreHeldBack) {
  const auto run = Run("catalog", {});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("checked at 2023-11-14T22:13:20Z\n"));
  EXPECT_THAT(run.out, HasSubstr("1.0.0 → 2.0.0"));
  EXPECT_THAT(run.out, HasSubstr("1.0.0 (at target)"));
  EXPECT_THAT(run.out, HasSubstr("\n  c 2.0.0 held back: requires `nothing:here > 0`"));

  const auto as_json = Run("catalog", {"--json"});
  EXPECT_EQ(as_json.exit_code, 0) << as_json.err;
  EXPECT_EQ(json::parse(as_json.out), api::CatalogToJson(Check()));
}

TEST_F(UpgradeCommandsTest, PlansListsAndShowsOnePlan) {
  const auto list = Run("plans", {"--limit", "5"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(daemon_.last_target(), "/api/v1/plans?limit=5");
  EXPECT_THAT(list.out, HasSubstr("ID  STATE    CREATED"));
  EXPECT_THAT(list.out, HasSubstr("\n2   pending  2023-11-14T22:13:20Z  0/1    new versions"));

  const auto show = Run("plans", {"show", "2"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("plan 2: pending (0/1 steps done)\n"));
  EXPECT_THAT(show.out, HasSubstr("1  a        1.0.0 → 2.0.0  pending"));

  const auto shown_json = Run("plans", {"show", "2", "--json"});
  EXPECT_EQ(json::parse(shown_json.out), api::PlanToJson(Plan(2, store::RunState::kPending)));
}

TEST_F(UpgradeCommandsTest, AnUnknownPlanIsNotFoundAndABadIdIsBadInput) {
  const auto run = Run("plans", {"show", "9"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.err, HasSubstr("maiev plans show: the daemon answered 404: no upgrade plan 9"));
  const auto not_an_id = Run("plans", {"approve", "first"});
  EXPECT_EQ(not_an_id.exit_code, 2);
  EXPECT_THAT(not_an_id.err, HasSubstr("expected a plan id"));
}

TEST_F(UpgradeCommandsTest, ResolveSendsTheTokenAndPrintsTheTargetAndSteps) {
  const auto refused = Run("plans", {"resolve"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("the daemon answered 401"));
  EXPECT_THAT(refused.err, HasSubstr("--token or MAIEV_API_TOKEN"));

  const auto run = Run("plans", {"resolve", "--token", kToken});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(daemon_.last_authorization(), std::string("Bearer ") + kToken);
  EXPECT_THAT(run.out, HasSubstr("target: a 2.0.0, c 1.0.0\n"));
  EXPECT_THAT(run.out,
              HasSubstr("plan, 1 step:\n  1. a 1.0.0 → 2.0.0  127.0.0.1:5000/a:2.0.0@sha256:"));
  EXPECT_THAT(run.out, HasSubstr("\nc 2.0.0 held back: requires `nothing:here > 0`"));

  setenv("MAIEV_API_TOKEN", kToken, 1);
  const auto from_env = Run("plans", {"resolve", "--json"});
  unsetenv("MAIEV_API_TOKEN");
  EXPECT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_EQ(json::parse(from_env.out)["outcome"], "ok");
}

TEST_F(UpgradeCommandsTest, ResolveWithoutATargetExits3WithTheReasons) {
  daemon_.set_no_solution();
  const auto run = Run("plans", {"resolve", "--api-token", kToken});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_THAT(run.out, HasSubstr("no target (no_solution): no consistent phase\n"
                                 "  b 1.0.0: requires `a:rpc >= 2`"));
}

TEST_F(UpgradeCommandsTest, ApproveAndAbortPrintThePlanAndAConflictFails) {
  const auto approved = Run("plans", {"approve", "2", "--api-token", kToken});
  EXPECT_EQ(approved.exit_code, 0) << approved.err;
  EXPECT_EQ(daemon_.last_target(), "/api/v1/plans/2/approve");
  EXPECT_THAT(approved.out, HasSubstr("approved plan 2\nplan 2: running"));

  const auto aborted = Run("plans", {"abort", "2", "--api-token", kToken});
  EXPECT_EQ(aborted.exit_code, 0) << aborted.err;
  EXPECT_THAT(aborted.out, HasSubstr("aborted plan 2\nplan 2: aborted"));

  const auto conflict = Run("plans", {"abort", "3", "--api-token", kToken});
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_THAT(conflict.err,
              HasSubstr("maiev plans abort: the daemon answered 409: plan 3 has ended (done)"));
}

TEST(UpgradeCommands, AnUnreachableDaemonFailsSayingWhere) {
  ScratchDir scratch("maiev-upgrade-commands");
  // Port 1 on loopback: nothing listens there.
  const auto run = RunMaiev(scratch, "catalog", {"--url", "http://127.0.0.1:1"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot reach the daemon at http://127.0.0.1:1"));
}

}  // namespace
}  // namespace maiev::cli
