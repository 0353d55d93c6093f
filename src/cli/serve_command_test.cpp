// Runs the real `maiev serve` binary with its broker and Docker absent (closed loopback ports, a
// socket path that does not exist): start-up errors, what it answers while it waits for them, and
// that no secret ever leaves it. Label loopback: it waits, bounded, for the daemon to answer.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_test_support.hpp"

extern char** environ;

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using SteadyClock = std::chrono::steady_clock;

// How long the daemon may take to serve, and to exit after SIGTERM.
constexpr std::chrono::seconds kStartDeadline{20};
constexpr std::chrono::seconds kStopDeadline{10};
constexpr std::chrono::milliseconds kPollInterval{50};

// Variables of the environment maiev reads: unset for every run, so the runner's own settings
// (a shared stack's, say) never reach the daemon under test.
const std::vector<std::string> kMaievVariables = {
    "MAIEV_STORE",       "MAIEV_LISTEN",      "MAIEV_API_TOKEN",         "MAIEV_WEBHOOK_TOKEN",
    "MAIEV_LOG_LEVEL",   "RABBITMQ_HOST",     "RABBITMQ_PORT",           "RABBITMQ_VHOST",
    "RABBITMQ_USER",     "RABBITMQ_PASSWORD", "RABBITMQ_MANAGEMENT_URL", "DOCKER_HOST",
    "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",  "MAIEV_NOTIFY_URL"};

// `maiev serve ...` through the shell, without maiev's variables, stdout and stderr together; a
// daemon that starts although it should not is ended by `timeout`, so the test fails, not hangs.
// `env` is a list of NAME=VALUE words for the shell.
maiev::cli::testing::ShellResult ServeOnce(const std::string& args, const std::string& env = "") {
  std::string command = "env";
  for (const auto& name : kMaievVariables) command += " -u " + name;
  command += " " + env + " timeout 20 '" + std::string(MAIEV_EXE) + "' serve " + args + " 2>&1";
  return maiev::cli::testing::RunShell(command);
}

// Polls `done` until it holds or `deadline` has passed; its last answer.
bool Eventually(const std::function<bool()>& done, std::chrono::seconds deadline) {
  const auto end = SteadyClock::now() + deadline;
  while (!done()) {
    if (SteadyClock::now() > end) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `maiev serve` as a child process, its stdout and stderr in one log file; SIGTERM on
// destruction. The environment is the test's without maiev's variables, plus `env`.
class ServeProcess {
 public:
  explicit ServeProcess(std::filesystem::path log) : log_(std::move(log)) {}
  ~ServeProcess() { Stop(); }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  ::testing::AssertionResult Start(const std::vector<std::string>& args,
                                   const std::vector<std::string>& env) {
    std::vector<std::string> argv_text = {MAIEV_EXE, "serve"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text = env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const std::string name = entry.substr(0, entry.find('='));
      if (std::find(kMaievVariables.begin(), kMaievVariables.end(), name) ==
          kMaievVariables.end()) {
        env_text.push_back(entry);
      }
    }
    std::vector<char*> argv = Pointers(argv_text);
    std::vector<char*> envp = Pointers(env_text);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int rc = posix_spawn(&pid_, MAIEV_EXE, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      return ::testing::AssertionFailure() << "posix_spawn: " << rc;
    }
    static const std::regex kServing(R"(maiev serving on http://127\.0\.0\.1:(\d+))");
    const bool serving = Eventually(
        [&] {
          std::smatch m;
          const std::string log = Log();
          if (std::regex_search(log, m, kServing)) port_ = std::stoi(m[1]);
          return port_ != 0 || !Running();
        },
        kStartDeadline);
    if (!serving || port_ == 0) {
      return ::testing::AssertionFailure() << "maiev does not serve:\n" << Log();
    }
    return ::testing::AssertionSuccess();
  }

  // SIGTERM, then the exit code once it exited (-1: killed after kStopDeadline, or not running).
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    const bool exited =
        Eventually([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, kStopDeadline);
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool Running() const { return pid_ > 0 && kill(pid_, 0) == 0; }
  std::string Log() const { return ReadFile(log_); }
  int port() const { return port_; }

  // The status and body of a request, "<no answer>" when none came.
  std::string Get(const std::string& path) const { return Request("GET", path, {}); }
  std::string Post(const std::string& path, const std::string& authorization,
                   const std::string& body = "") const {
    return Request("POST", path, authorization, body);
  }

 private:
  static std::vector<char*> Pointers(std::vector<std::string>& texts) {
    std::vector<char*> out;
    for (auto& t : texts) out.push_back(t.data());
    out.push_back(nullptr);
    return out;
  }

  std::string Request(const std::string& method, const std::string& path,
                      const std::string& authorization, const std::string& body = "") const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    auto res = method == "GET" ? client.Get(path.c_str(), headers)
                               : client.Post(path.c_str(), headers, body, "application/json");
    if (!res) return "<no answer>";
    return std::to_string(res->status) + " " + res->body;
  }

  std::filesystem::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A listening socket on a free loopback port, closed on destruction.
class LoopbackListener {
 public:
  LoopbackListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 1) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on a loopback port";
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~LoopbackListener() { close(fd_); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port nothing listens on: one the kernel just handed out and took back.
int UnusedLoopbackPort() {
  LoopbackListener listener;
  return listener.port();
}

class ServeCommand : public ::testing::Test {
 protected:
  // Flags that keep a run away from anything real: a store and a Docker socket path in the
  // scratch directory (the socket does not exist), the broker on closed loopback ports.
  std::string IsolatedFlags() const {
    std::string flags;
    for (const auto& arg : IsolatedArgs()) flags += "'" + arg + "' ";
    return flags;
  }
  std::vector<std::string> IsolatedArgs() const {
    return {"--store",
            (scratch_.path() / "maiev.db").string(),
            "--docker-host",
            "unix://" + DockerSocket(),
            "--rabbitmq-host",
            "127.0.0.1",
            "--rabbitmq-port",
            std::to_string(amqp_port_),
            "--rabbitmq-management-url",
            ManagementUrl()};
  }
  // A daemon that serves at once on a free port and logs everything.
  std::vector<std::string> ServeArgs(const std::vector<std::string>& more) const {
    std::vector<std::string> args = IsolatedArgs();
    for (const char* a : {"--listen", "127.0.0.1:0", "--log-level", "debug", "--stats-interval",
                          "0.2", "--counts-interval", "0.2"}) {
      args.emplace_back(a);
    }
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  std::string DockerSocket() const { return (scratch_.path() / "docker.sock").string(); }
  std::string ManagementUrl() const {
    return "http://127.0.0.1:" + std::to_string(management_port_);
  }

  // The /readyz answer once every component but the store (a writable file here) has failed
  // at least once (each has an error), or null when that did not happen in time.
  static nlohmann::json WaitUntilEverythingFailed(const ServeProcess& maiev) {
    nlohmann::json readyz;
    const bool failed = Eventually(
        [&] {
          readyz = nlohmann::json::parse(maiev.Get("/readyz").substr(4), nullptr, false);
          if (!readyz.is_object() || readyz["components"].size() != 4) return false;
          for (const auto& c : readyz["components"]) {
            if (c["name"] != "store" && !c.contains("error")) return false;
          }
          return true;
        },
        kStartDeadline);
    EXPECT_TRUE(failed) << "maiev did not try every component:\n" << maiev.Log();
    return failed ? readyz : nullptr;
  }

  // Stops `maiev` (it must exit cleanly) and checks that none of `secrets` is in its log or in
  // `answers`.
  static void StopAndExpectNoSecret(ServeProcess& maiev, const std::string& answers,
                                    const std::vector<std::string>& secrets) {
    EXPECT_EQ(maiev.Stop(), 0) << "maiev did not exit cleanly on SIGTERM";
    const std::string log = maiev.Log();
    for (const auto& secret : secrets) {
      EXPECT_THAT(log, Not(HasSubstr(secret))) << log;
      EXPECT_THAT(answers, Not(HasSubstr(secret))) << answers;
    }
  }

  // Once `maiev` has failed to reach Docker and both sides of the broker (so their errors are in
  // the log and in /readyz), every GET route, mutations with `token` and without, a webhook with
  // `webhook_token` and without, and `maiev status`: their answers, one after the other.
  std::string Exercise(const ServeProcess& maiev, const std::string& token,
                       const std::string& webhook_token) const {
    WaitUntilEverythingFailed(maiev);
    std::string answers;
    for (const char* path : {"/healthz", "/readyz", "/metrics", "/api/v1/services",
                             "/api/v1/services/nobody", "/api/v1/decisions?limit=5"}) {
      answers += std::string(path) + " -> " + maiev.Get(path) + "\n";
    }
    const std::string pause = "/api/v1/services/nobody/pause";
    const std::string with_token = maiev.Post(pause, "Bearer " + token);
    // Without Docker this maiev cannot take the lease: a standby, it refuses the accepted
    // token's change with 503 not_leader (a refused token is 401).
    EXPECT_THAT(with_token, ::testing::AnyOf(::testing::StartsWith("404 "),
                                             ::testing::StartsWith(R"(503 {"error":"not_leader")")))
        << "the token was not accepted";
    answers += with_token + "\n" + maiev.Post(pause, "Bearer wrong") + "\n";
    const std::string hook = "/api/v1/webhooks/registry";
    const std::string hooked = maiev.Post(hook, "Bearer " + webhook_token, R"({"events": []})");
    EXPECT_THAT(hooked, ::testing::AnyOf(::testing::StartsWith("202 "),
                                         ::testing::StartsWith(R"(503 {"error":"not_leader")")))
        << "the webhook token was not accepted";
    answers += hooked + "\n" + maiev.Post(hook, "Bearer " + token, R"({"events": []})") + "\n";
    const auto status = maiev::cli::testing::RunShell(
        "'" + std::string(MAIEV_EXE) +
        "' status --url http://127.0.0.1:" + std::to_string(maiev.port()) + " 2>&1");
    answers += "maiev status -> " + status.out;
    return answers;
  }

  maiev::cli::testing::ScratchDir scratch_{"maiev-serve-test"};
  int amqp_port_ = UnusedLoopbackPort();
  int management_port_ = UnusedLoopbackPort();
};

// Secrets given on the command line, and shadowed ones in the environment: none reaches the log
// (debug level) nor an answer of the API.
TEST_F(ServeCommand, NoSecretGivenByFlagReachesTheLogOrAnAnswer) {
  const std::vector<std::string> secrets = {"flag-password-5d1e",      "flag-token-8c2b",
                                            "flag-webhook-3e91",       "env-password-shadowed-41f0",
                                            "env-token-shadowed-a97c", "env-webhook-shadowed-77aa"};
  ServeProcess maiev(scratch_.path() / "maiev.log");
  ASSERT_TRUE(maiev.Start(ServeArgs({"--rabbitmq-password", secrets[0], "--api-token", secrets[1],
                                     "--webhook-token", secrets[2]}),
                          {"RABBITMQ_PASSWORD=" + secrets[3], "MAIEV_API_TOKEN=" + secrets[4],
                           "MAIEV_WEBHOOK_TOKEN=" + secrets[5]}));
  const std::string answers = Exercise(maiev, secrets[1], secrets[2]);
  StopAndExpectNoSecret(maiev, answers, secrets);
}

TEST_F(ServeCommand, NoSecretGivenByTheEnvironmentReachesTheLogOrAnAnswer) {
  const std::vector<std::string> secrets = {"env-password-0b7e", "env-token-66d3",
                                            "env-webhook-19c4"};
  ServeProcess maiev(scratch_.path() / "maiev.log");
  ASSERT_TRUE(maiev.Start(ServeArgs({}),
                          {"RABBITMQ_USER=monitor", "RABBITMQ_PASSWORD=" + secrets[0],
                           "MAIEV_API_TOKEN=" + secrets[1], "MAIEV_WEBHOOK_TOKEN=" + secrets[2]}));
  const std::string answers = Exercise(maiev, secrets[1], secrets[2]);
  StopAndExpectNoSecret(maiev, answers, secrets);
}

// A notification URL's userinfo and query are its secrets: the log and /metrics show it without
// them; one that is not http(s) with a host is fatal, naming the flag, without echoing them.
TEST_F(ServeCommand, NotifyUrlsAreCheckedAtStartAndShownWithoutTheirSecrets) {
  const std::vector<std::string> secrets = {"hook-password-2a7c", "hook-token-90d4"};
  const std::string shown = "http://127.0.0.1:" + std::to_string(UnusedLoopbackPort()) + "/hook";
  const std::string url =
      "http://hook:" + secrets[0] + "@" + shown.substr(7) + "?token=" + secrets[1];
  ServeProcess maiev(scratch_.path() / "maiev.log");
  ASSERT_TRUE(maiev.Start(ServeArgs({"--notify-url", url}), {}));
  WaitUntilEverythingFailed(maiev);
  const std::string metrics = maiev.Get("/metrics");
  EXPECT_THAT(metrics, HasSubstr("maiev_notify_dropped_total{url=\"" + shown + "\"} 0"));
  EXPECT_THAT(metrics, HasSubstr("maiev_event_stream_clients 0"));
  EXPECT_THAT(maiev.Log(), HasSubstr("notifying " + shown + " of events"));
  StopAndExpectNoSecret(maiev, metrics, secrets);

  for (const std::string& bad :
       std::vector<std::string>{"ftp://hook:" + secrets[0] + "@example.com/x", "not-a-url"}) {
    const auto run = ServeOnce(IsolatedFlags() + " --notify-url '" + bad + "'");
    EXPECT_EQ(run.exit_code, 2) << run.out;
    EXPECT_THAT(run.out, HasSubstr("--notify-url (MAIEV_NOTIFY_URL): '"));
    EXPECT_THAT(run.out, HasSubstr("expected http(s)://HOST[:PORT][/PATH]"));
    EXPECT_THAT(run.out, Not(HasSubstr(secrets[0])));
  }
}

// Credentials in the management URL are refused, by flag or variable, without being echoed.
TEST_F(ServeCommand, AManagementUrlWithCredentialsIsRefusedWithoutEchoingThem) {
  const std::string url =
      "http://admin:url-password-c4e2@127.0.0.1:" + std::to_string(management_port_);
  const std::string store = (scratch_.path() / "maiev.db").string();
  const std::string flags = "--store '" + store + "' --docker-host 'unix://" + DockerSocket() +
                            "' --rabbitmq-port " + std::to_string(amqp_port_);
  const auto by_flag = ServeOnce(flags + " --rabbitmq-management-url '" + url + "'");
  EXPECT_EQ(by_flag.exit_code, 2) << by_flag.out;
  EXPECT_THAT(by_flag.out, HasSubstr("--rabbitmq-management-url: must not contain credentials"));
  EXPECT_THAT(by_flag.out, Not(HasSubstr("url-password-c4e2")));

  const auto by_variable = ServeOnce(flags, "'RABBITMQ_MANAGEMENT_URL=" + url + "'");
  EXPECT_EQ(by_variable.exit_code, 2) << by_variable.out;
  EXPECT_THAT(by_variable.out, HasSubstr("RABBITMQ_MANAGEMENT_URL: must not contain credentials"));
  EXPECT_THAT(by_variable.out, Not(HasSubstr("url-password-c4e2")));
}

// Neither Docker nor the broker is there: maiev serves, and says what it waits for and why.
TEST_F(ServeCommand, ReadyzNamesWhatItWaitsForWithNeitherDockerNorTheBroker) {
  ServeProcess maiev(scratch_.path() / "maiev.log");
  ASSERT_TRUE(maiev.Start(ServeArgs({}), {}));
  const nlohmann::json readyz = WaitUntilEverythingFailed(maiev);
  ASSERT_FALSE(readyz.is_null());
  EXPECT_THAT(maiev.Get("/readyz"), ::testing::StartsWith("503 "));
  EXPECT_EQ(readyz["ready"], false);
  EXPECT_EQ(readyz["waiting_for"],
            nlohmann::json::array({"docker", "rabbitmq_amqp", "rabbitmq_management"}));
  const auto& components = readyz["components"];
  EXPECT_EQ(components[0]["address"], "unix://" + DockerSocket());
  EXPECT_EQ(components[0]["state"], "unreachable");
  EXPECT_THAT(components[0]["error"].get<std::string>(),
              HasSubstr("unix://" + DockerSocket() + ": No such file or directory"));
  EXPECT_TRUE(components[0].contains("since"));
  EXPECT_THAT(components[1]["error"].get<std::string>(),
              HasSubstr("127.0.0.1:" + std::to_string(amqp_port_)));
  EXPECT_THAT(components[2]["error"].get<std::string>(), HasSubstr(ManagementUrl()));
  EXPECT_EQ(components[3]["name"], "store");
  EXPECT_EQ(components[3]["address"], (scratch_.path() / "maiev.db").string());
  EXPECT_EQ(components[3]["state"], "reachable");
  EXPECT_THAT(maiev.Get("/healthz"), ::testing::StartsWith("200 "));
  EXPECT_THAT(maiev.Get("/metrics"), HasSubstr("\nmaiev_ready 0\n"));

  const std::string url = "http://127.0.0.1:" + std::to_string(maiev.port());
  const auto status = maiev::cli::testing::RunShell("'" + std::string(MAIEV_EXE) +
                                                    "' status --url " + url + " 2>/dev/null");
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_THAT(status.out, HasSubstr("maiev is not ready; waiting for:\n  docker"));
  EXPECT_THAT(status.out, HasSubstr(DockerSocket() + ": No such file or directory"));
  EXPECT_THAT(status.out, HasSubstr("rabbitmq_amqp"));
  EXPECT_THAT(status.out, HasSubstr("rabbitmq_management"));
  EXPECT_THAT(status.out,
              HasSubstr("no services: the swarm has none, or the daemon has not listed it yet"));
  const auto json = maiev::cli::testing::RunShell("'" + std::string(MAIEV_EXE) +
                                                  "' status --json --url " + url + " 2>/dev/null");
  EXPECT_EQ(nlohmann::json::parse(json.out, nullptr, false), nlohmann::json::array()) << json.out;
  EXPECT_EQ(maiev.Stop(), 0) << maiev.Log();
}

TEST_F(ServeCommand, AListenAddressOutOfRangeOrNotAnAddressIsFatalBeforeAnythingStarts) {
  for (const std::string listen : {"127.0.0.1:99999", "127.0.0.1:80800", "not-a-host:8080"}) {
    const auto run = ServeOnce(IsolatedFlags() + " --listen " + listen);
    EXPECT_EQ(run.exit_code, 2) << listen << ":\n" << run.out;
    EXPECT_THAT(run.out, HasSubstr("--listen")) << listen;
    EXPECT_THAT(run.out, HasSubstr("`" + listen + "`"));
    EXPECT_THAT(run.out, HasSubstr("PORT from 0 (any free port) to 65535"));
    EXPECT_THAT(run.out, Not(HasSubstr("serving on")));
    EXPECT_FALSE(std::filesystem::exists(scratch_.path() / "maiev.db")) << "the store was opened";
  }
}

// A store that is not SQLite (the wrong path given, a file overwritten): maiev exits 1 naming
// the file, every time it is started, and leaves the file as it was.
TEST_F(ServeCommand, AStoreThatIsNotADatabaseIsFatalAndLeftAsItWas) {
  const std::filesystem::path store = scratch_.path() / "maiev.db";
  const std::string content = "{\"these\": \"are not the rows you are looking for\"}\n";
  std::ofstream(store) << content;
  for (int attempt = 0; attempt < 2; ++attempt) {  // as a supervisor restarting it would
    const auto run = ServeOnce(IsolatedFlags() + " --listen 127.0.0.1:0");
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_THAT(run.out, HasSubstr("store \"" + store.string() + "\""));
    EXPECT_THAT(run.out, HasSubstr("file is not a database"));
    EXPECT_THAT(run.out, Not(HasSubstr("serving on")));
  }
  std::ifstream in(store);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), content);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(scratch_.path()),
                          std::filesystem::directory_iterator()),
            1)
      << "a file was created or renamed beside the store";
}

TEST_F(ServeCommand, APortInUseIsFatal) {
  LoopbackListener taken;
  const std::string address = "127.0.0.1:" + std::to_string(taken.port());
  const auto run = ServeOnce(IsolatedFlags() + " --listen " + address);
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_THAT(run.out,
              HasSubstr("cannot listen on " + address + " for the API: Address already in use"));
  EXPECT_THAT(run.out, Not(HasSubstr("serving on")));
}

}  // namespace
