// The service, decision and completion commands (the built `maiev` binary) against the real API
// served on a free loopback port over a fake swarm and fake queues: what a person sees, the JSON
// a script reads, the token, the exit codes, bash's completion function, and `maiev top` under
// tmux.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

#include "api/event_hub.hpp"
#include "api/http_api.hpp"
#include "cli/cli_test_support.hpp"
#include "cli/table.hpp"
#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Quote;
using testing::RunMaiev;
using testing::RunShell;
using testing::ScratchDir;

constexpr const char* kToken = "cli-s3cret";
constexpr const char* kConfig = R"({
  "min": 1, "max": 3,
  "scale": {
    "resources": [{"name": "rmq", "monitorer": "monitorer_rabbitmq", "identifier": "q1"}],
    "rules": [{"name": "backlog", "expression": "rmq:waiting > 0"}],
    "scale_up": "rules:backlog",
    "scale_down": "not rules:backlog"
  }
})";

class ServiceCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docker_.PutService(orchestrator::LabelledService("w1", "worker", 1, kConfig));
    docker_.PutService(orchestrator::LabelledService("o1", "other", 1));
    ASSERT_TRUE(autoscaler_.Discover().ok());
    clock_.Set(SystemClock().Now());  // the API reads `since=1h` by the system clock
    api::HttpApiOptions options;
    options.port = 0;
    options.api_token = kToken;
    options.events = &hub_;
    api_ = std::make_unique<api::HttpApi>(options, autoscaler_, nullptr, *store_,
                                          [] { return api::Readiness{}; });
    ASSERT_TRUE(api_->Bind().ok());
    serving_ = std::thread([this] { api_->Serve(); });
    url_ = "http://127.0.0.1:" + std::to_string(api_->port());
    setenv("MAIEV_URL", url_.c_str(), 1);
    unsetenv("MAIEV_API_TOKEN");
    setenv("NO_COLOR", "1", 1);
  }
  void TearDown() override {
    api_->Stop();
    serving_.join();
  }

  testing::Outcome Run(const std::string& command, const std::vector<std::string>& args = {}) {
    return RunMaiev(scratch_, command, args);
  }

  ScratchDir scratch_{"maiev-cli-services"};
  orchestrator::FakeOrchestrator docker_;
  monitor::FakeQueueMetricsSource queues_;
  std::unique_ptr<store::SqliteStore> store_ =
      std::move(store::SqliteStore::Open(":memory:").value());
  ManualClock clock_;
  api::EventHub hub_;
  control::Autoscaler autoscaler_{docker_, queues_, *store_, clock_, &hub_};
  std::unique_ptr<api::HttpApi> api_;
  std::thread serving_;
  std::string url_;
};

TEST_F(ServiceCommandsTest, ServicesListsEveryServiceAsATableOrJson) {
  auto table = Run("services");
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("SERVICE"));
  EXPECT_THAT(table.out, HasSubstr("worker"));
  EXPECT_THAT(table.out, HasSubstr("monitored"));
  EXPECT_THAT(table.out, HasSubstr("1–3"));
  EXPECT_THAT(table.out, HasSubstr("unconfigured"));
  EXPECT_THAT(table.out, Not(HasSubstr("\x1b[")));  // not a terminal: no colour

  auto json_list = Run("services", {"--json"});
  ASSERT_EQ(json_list.exit_code, 0) << json_list.err;
  const json parsed = json::parse(json_list.out);
  ASSERT_EQ(parsed.size(), 2U);

  auto filtered = Run("services", {"--prefix", "wor"});
  EXPECT_THAT(filtered.out, HasSubstr("worker"));
  EXPECT_THAT(filtered.out, Not(HasSubstr("other")));
  auto bad = Run("services", {"--state", "sleepy"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("state"));
}

TEST_F(ServiceCommandsTest, ShowGivesOneServiceAndAnUnknownOneExitsThree) {
  auto shown = Run("services show", {"worker"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("worker"));
  EXPECT_THAT(shown.out, HasSubstr("\"max\": 3"));
  EXPECT_THAT(shown.out, HasSubstr("decisions:"));

  auto unknown = Run("services show", {"nope"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_THAT(unknown.err, HasSubstr("maiev services show: the daemon answered 404"));
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1) << unknown.err;

  // A name cannot reach another route.
  auto sneaky = Run("services show", {"worker/config"});
  EXPECT_EQ(sneaky.exit_code, 2) << sneaky.out;
  EXPECT_THAT(sneaky.err, HasSubstr("not a service name"));
}

TEST_F(ServiceCommandsTest, ScaleNeedsTheTokenKeepsBoundsUnlessForcedAndIsRecorded) {
  auto refused = Run("scale", {"worker", "2"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("401"));
  EXPECT_THAT(refused.err, HasSubstr("--token or MAIEV_API_TOKEN"));

  auto scaled = Run("scale", {"worker", "2", "--token", kToken});
  EXPECT_EQ(scaled.exit_code, 0) << scaled.err;
  EXPECT_THAT(scaled.out, HasSubstr("scaled worker from 1 to 2 replicas"));
  EXPECT_EQ(docker_.InspectService("w1")->replicas, 2U);

  setenv("MAIEV_API_TOKEN", kToken, 1);
  auto beyond = Run("scale", {"worker", "9"});
  EXPECT_EQ(beyond.exit_code, 2);
  EXPECT_THAT(beyond.err, HasSubstr("outside min"));
  auto forced = Run("scale", {"worker", "9", "--force", "--json"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(json::parse(forced.out)["replicas"], 9);

  auto decisions = Run("decisions", {"--service", "worker"});
  EXPECT_EQ(decisions.exit_code, 0) << decisions.err;
  EXPECT_THAT(decisions.out, HasSubstr("2 → 9"));
  EXPECT_THAT(decisions.out, HasSubstr("1 → 2"));
  auto ups = Run("decisions", {"--direction", "up", "--json", "--since", "1h"});
  EXPECT_EQ(json::parse(ups.out)["decisions"].size(), 2U) << ups.out;
  auto badly = Run("decisions", {"--since", "yesterday"});
  EXPECT_EQ(badly.exit_code, 2);
  EXPECT_THAT(badly.err, HasSubstr("since"));

  auto negative = Run("scale", {"worker", "-1"});
  EXPECT_EQ(negative.exit_code, 2);
  auto global = Run("scale", {"nope", "1"});
  EXPECT_EQ(global.exit_code, 3);
}

TEST_F(ServiceCommandsTest, PauseAndResume) {
  setenv("MAIEV_API_TOKEN", kToken, 1);
  auto paused = Run("pause", {"worker"});
  EXPECT_EQ(paused.exit_code, 0) << paused.err;
  EXPECT_THAT(paused.out, HasSubstr("paused autoscaling of worker"));
  EXPECT_THAT(Run("services", {"--state", "paused"}).out, HasSubstr("worker"));
  auto resumed = Run("resume", {"worker"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(Run("services", {"--state", "paused"}).out, Not(HasSubstr("worker")));
  EXPECT_EQ(Run("pause", {"nope"}).exit_code, 3);
}

TEST_F(ServiceCommandsTest, ConfigSetFromAFileOrStdinAndUnset) {
  setenv("MAIEV_API_TOKEN", kToken, 1);
  const std::string good = scratch_.Write("good.json", R"({"min": 2, "max": 5})");
  auto set = Run("config set", {"other", good});
  EXPECT_EQ(set.exit_code, 0) << set.err;
  EXPECT_THAT(Run("services show", {"other", "--json"}).out,
              HasSubstr("\"config_origin\": \"api\""));

  const std::string bad = scratch_.Write("bad.json", R"({"min": 4, "max": 2})");
  auto refused = Run("config set", {"other", bad});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("bad.json: min (4) > max (2)"));

  const auto piped =
      RunShell("echo '{\"min\": 1, \"max\": 4}' | " + Quote(MAIEV_EXE) + " config set other -");
  EXPECT_EQ(piped.exit_code, 0) << piped.out;
  auto shown = json::parse(Run("services show", {"other", "--json"}).out);
  EXPECT_EQ(shown["max"], 4);

  auto unset = Run("config unset", {"other"});
  EXPECT_EQ(unset.exit_code, 0) << unset.err;
  EXPECT_THAT(Run("services show", {"other", "--json"}).out, HasSubstr("unconfigured"));
  auto missing = Run("config set", {"other", (scratch_.path() / "absent.json").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("absent.json: cannot read"));
}

TEST_F(ServiceCommandsTest, RulesTestSaysTheValueOrTheColumnOfAnError) {
  monitor::QueueMetrics metrics;
  metrics.waiting = 5;
  queues_.Set("q1", metrics);
  autoscaler_.RunCycle();
  auto tested = Run("rules test", {"worker", "rmq:waiting > 3"});
  EXPECT_EQ(tested.exit_code, 0) << tested.err;
  EXPECT_THAT(tested.out, HasSubstr("rmq:waiting > 3  →  true"));
  EXPECT_THAT(tested.out, HasSubstr("5"));
  auto as_json = Run("rules test", {"worker", "rules:backlog", "--json"});
  EXPECT_EQ(json::parse(as_json.out)["value"], true);
  auto bad = Run("rules test", {"worker", "rmq:latency >"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("col 14"));
  auto unknown = Run("rules test", {"nope", "true"});
  EXPECT_EQ(unknown.exit_code, 3);
}

bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return condition();
}

std::string ReadText(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(ServiceCommandsTest, EventsAndDecisionsFollowTheStreamLive) {
  const std::string exe = Quote(MAIEV_EXE);
  const auto events = scratch_.path() / "events.txt";
  const auto decisions = scratch_.path() / "decisions.txt";
  // Both followers run until killed (or 20 s at most), as a person leaves them running.
  ASSERT_EQ(
      RunShell("timeout 20 " + exe + " events --url " + url_ + " > " + Quote(events) + " 2>&1 &")
          .exit_code,
      0);
  ASSERT_EQ(RunShell("timeout 20 " + exe + " decisions --follow --service worker --url " + url_ +
                     " > " + Quote(decisions) + " 2>&1 &")
                .exit_code,
            0);
  EXPECT_TRUE(Eventually([&] { return hub_.clients() == 2; }));
  ASSERT_TRUE(autoscaler_.SetPaused("worker", true).ok());
  EXPECT_TRUE(Eventually([&] {
    return ReadText(events).find(" service worker paused\n") != std::string::npos;
  })) << ReadText(events);
  ASSERT_TRUE(autoscaler_.Scale("worker", 2, false).ok());
  EXPECT_TRUE(Eventually([&] {
    return ReadText(decisions).find("  worker  1 → 2  ") != std::string::npos;
  })) << ReadText(decisions);
  // The two followers are separate clients: each gets the decision in its own time.
  EXPECT_TRUE(Eventually([&] { return ReadText(events).find(" decision ") != std::string::npos; }))
      << ReadText(events);
  RunShell("pkill -f -- '--url " + url_ + "'");
  // A follower starts with what happens from then on: not the discoveries before it.
  EXPECT_THAT(ReadText(events), Not(HasSubstr("added")));
}

TEST_F(ServiceCommandsTest, AnUnreachableDaemonSaysWhatToDo) {
  setenv("MAIEV_URL", "http://127.0.0.1:1", 1);
  auto run = Run("services");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot reach the daemon at http://127.0.0.1:1"));
  EXPECT_THAT(run.err, HasSubstr("is `maiev serve` running"));
  // Following a stream that was never open fails at once too, instead of retrying forever.
  const auto followed = RunShell("timeout 10 " + Quote(MAIEV_EXE) + " events 2>/dev/null");
  EXPECT_EQ(followed.exit_code, 1);
}

// Runs bash's completion function for `words` (the last one being completed) and returns the
// candidates it offers, one per line.
std::string Complete(const std::string& words) {
  const std::string script =
      "source <(" + Quote(MAIEV_EXE) + " completion bash); COMP_WORDS=(" + words +
      "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _maiev; printf '%s\\n' \"${COMPREPLY[@]}\"";
  return RunShell("bash -c " + Quote(script)).out;
}

TEST_F(ServiceCommandsTest, BashCompletesCommandsFlagsServiceNamesAndFiles) {
  const std::string exe = Quote(MAIEV_EXE);
  EXPECT_THAT(Complete(exe + " sc"), HasSubstr("scale\n"));
  EXPECT_THAT(Complete(exe + " services ''"), HasSubstr("show\n"));
  EXPECT_THAT(Complete(exe + " services --pre"), HasSubstr("--prefix\n"));
  EXPECT_EQ(Complete(exe + " pause w"), "worker\n");
  EXPECT_THAT(Complete(exe + " services show ''"), HasSubstr("other\n"));
  EXPECT_EQ(Complete(exe + " decisions --service o"), "other\n");
  EXPECT_EQ(Complete(exe + " decisions --direction d"), "down\n");
  scratch_.Write("config.json", "{}");
  EXPECT_EQ(Complete(exe + " config set worker " + Quote(scratch_.path().string() + "/con")),
            (scratch_.path() / "config.json").string() + "\n");
  EXPECT_THAT(Complete(exe + " ''"), Not(HasSubstr("__complete")));
  // With the daemon away, commands still complete and names quietly do not.
  setenv("MAIEV_URL", "http://127.0.0.1:1", 1);
  EXPECT_EQ(Complete(exe + " pause w"), "\n");  // nothing offered
  EXPECT_THAT(Complete(exe + " res"), HasSubstr("resume\n"));
  const auto zsh = RunShell(exe + " completion zsh");
  EXPECT_THAT(zsh.out, HasSubstr("compdef _maiev maiev"));
  EXPECT_EQ(RunShell(exe + " completion fish 2>/dev/null").exit_code, 2);
}

// tmux's view of a pane, or "" when tmux cannot be asked.
std::string Pane(const std::string& session) {
  return RunShell("tmux capture-pane -p -t " + session + " 2>/dev/null").out;
}

TEST_F(ServiceCommandsTest, TopRedrawsLiveInATerminalAndQuitsOnQ) {
  if (RunShell("command -v tmux").exit_code != 0) GTEST_SKIP() << "tmux is not installed";
  const std::string session = "maiev-top-" + std::to_string(getpid());
  const auto started =
      RunShell("tmux new-session -d -x 100 -y 20 -s " + session + " " +
               Quote("env -u NO_COLOR MAIEV_URL=" + url_ + " " + MAIEV_EXE + " top; sleep 30"));
  ASSERT_EQ(started.exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return Pane(session).find("worker") != std::string::npos; }))
      << Pane(session);
  EXPECT_THAT(Pane(session), HasSubstr("maiev top  " + url_));
  // A change shows at the next redraw.
  ASSERT_TRUE(autoscaler_.SetPaused("worker", true).ok());
  EXPECT_TRUE(Eventually([&] { return Pane(session).find("paused") != std::string::npos; }))
      << Pane(session);
  const std::string screen = Pane(session);
  std::size_t start = 0;
  for (std::size_t end = screen.find('\n'); end != std::string::npos;
       end = screen.find('\n', start)) {
    EXPECT_LE(Columns(screen.substr(start, end - start)), 100U);
    start = end + 1;
  }
  // The screen as a person saw it, kept as a test artifact.
  const std::filesystem::path artifacts = std::filesystem::path(MAIEV_BINARY_DIR) / "artifacts";
  std::filesystem::create_directories(artifacts);
  std::ofstream(artifacts / "maiev-top.txt") << screen;
  RunShell("tmux send-keys -t " + session + " q");
  // Quitting leaves the shell's `sleep`: top is no longer drawing.
  EXPECT_TRUE(Eventually([&] {
    return RunShell("tmux list-panes -t " + session + " -F '#{pane_current_command}'").out ==
           "sleep\n";
  })) << Pane(session);
  RunShell("tmux kill-session -t " + session + " 2>/dev/null");
}

}  // namespace
}  // namespace maiev::cli
