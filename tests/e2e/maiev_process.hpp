// What the end-to-end tests share: a temporary directory, unique names and `maiev serve` run as
// a child process (started on a free port, stopped with SIGTERM or killed), with its API.
#pragma once

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/stack_test_support.hpp"

extern char** environ;

namespace maiev::e2e_testing {

using json = nlohmann::json;
using namespace maiev::stack_testing;

inline constexpr std::chrono::seconds kHttpTimeout{3};
inline constexpr std::chrono::seconds kMaievStartDeadline{30};
inline constexpr std::chrono::seconds kMaievStopDeadline{20};

inline std::string StackScript() { return std::string(MAIEV_SOURCE_DIR) + "/scripts/stack.sh "; }

// Names unique to this process, so parallel runs on one stack do not collide.

inline std::string Unique(const std::string& base) { return base + "-" + std::to_string(getpid()); }

// A temp directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "maiev-e2e.XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class MaievServer {
 public:
  // `extra`: more `maiev serve` arguments, after the defaults (none of which they may repeat).
  explicit MaievServer(std::string dir, std::vector<std::string> extra = {})
      : dir_(std::move(dir)), extra_(std::move(extra)) {
    static std::atomic<int> servers{0};
    serial_ = ++servers;
  }
  // "PID-N": unique to this server among all tests running at once.
  std::string Id() const { return std::to_string(getpid()) + "-" + std::to_string(serial_); }
  ~MaievServer() { Stop(); }
  MaievServer(const MaievServer&) = delete;
  MaievServer& operator=(const MaievServer&) = delete;

  // What Start waits for: /readyz 200 (every component reachable), or /healthz 200 only (a test
  // of what maiev does while a component refuses it).
  enum class Until { kReady, kServing };

  // Spawns `maiev serve` on a free port and waits until it is ready (or only serving).
  ::testing::AssertionResult Start(Until until = Until::kReady) {
    const std::string log = LogPath();
    const std::string store = dir_ + "/maiev.db";
    std::vector<std::string> args = {MAIEV_EXE,
                                     "serve",
                                     "--store",
                                     store,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--interval",
                                     "1",
                                     "--counts-interval",
                                     "1",
                                     "--stats-interval",
                                     "1",
                                     "--docker-host",
                                     DockerHost(),
                                     "--rabbitmq-host",
                                     "127.0.0.1",
                                     "--rabbitmq-port",
                                     "5672",
                                     "--rabbitmq-management-url",
                                     kManagementUrl,
                                     "--log-level",
                                     "debug"};
    // Each server holds a lease of its own unless the test shares one (failover), so tests that
    // run at once on one swarm do not stand by for each other; its id survives its restarts, so
    // a killed and restarted server takes its lease back at once.
    if (std::find(extra_.begin(), extra_.end(), "--lease-name") == extra_.end()) {
      args.insert(args.end(), {"--lease-name", "maiev-e2e-" + Id()});
    }
    if (std::find(extra_.begin(), extra_.end(), "--instance-id") == extra_.end()) {
      args.insert(args.end(), {"--instance-id", "e2e-" + Id()});
    }
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int rc = posix_spawn(&pid_, MAIEV_EXE, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      return ::testing::AssertionFailure() << "posix_spawn " << MAIEV_EXE << ": " << rc;
    }
    const std::size_t log_start = log_offset_;
    const bool up = Eventually(kMaievStartDeadline, [&] {
      if (!Running()) return true;
      if (port_ == 0) port_ = PortFromLog(log_start);
      if (port_ == 0) return false;
      auto res = Client().Get(until == Until::kReady ? "/readyz" : "/healthz");
      return res && res->status == 200;
    });
    if (!Running()) return ::testing::AssertionFailure() << "maiev exited:\n" << Log();
    if (!up) return ::testing::AssertionFailure() << "maiev not ready:\n" << Log();
    return ::testing::AssertionSuccess();
  }

  // SIGTERM, then waits for the exit (SIGKILL after kMaievStopDeadline). Returns the exit status
  // (-1 when it had to be killed or was not running).
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    const auto end = std::chrono::steady_clock::now() + kMaievStopDeadline;
    int exit_code = -1;
    while (true) {
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      if (r < 0) break;
      if (std::chrono::steady_clock::now() > end) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    pid_ = -1;
    port_ = 0;
    log_offset_ = Log().size();
    return exit_code;
  }

  // SIGKILL: no clean-up of any kind (a crash).
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    port_ = 0;
    log_offset_ = Log().size();
  }

  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  std::optional<json> Get(const std::string& path) {
    auto res = Client().Get(path);
    if (!res || res->status != 200) return std::nullopt;
    json body = json::parse(res->body, nullptr, false);
    if (body.is_discarded()) return std::nullopt;
    return body;
  }

  bool Healthy() {
    auto res = Client().Get("/healthz");
    return res && res->status == 200;
  }

  std::optional<json> Service(const std::string& name) { return Get("/api/v1/services/" + name); }

  json Decisions(const std::string& service) {
    auto body = Get("/api/v1/decisions?limit=1000&service=" + service);
    return body && body->contains("decisions") ? (*body)["decisions"] : json::array();
  }

  // POST with an optional bearer token; the status (0: no answer) and the body.
  std::pair<int, json> Post(const std::string& path, const std::string& body = "{}",
                            const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto res = Client().Post(path, headers, body, "application/json");
    if (!res) return {0, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  int port() const { return port_; }

  std::string Log() const {
    std::ifstream in(LogPath());
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }

 private:
  std::string LogPath() const { return dir_ + "/maiev.log"; }

  int PortFromLog(std::size_t from) const {
    static const std::regex kServing(R"(maiev serving on http://127\.0\.0\.1:(\d+))");
    const std::string log = Log();
    std::smatch m;
    const std::string tail = log.substr(std::min(from, log.size()));
    return std::regex_search(tail, m, kServing) ? std::stoi(m[1]) : 0;
  }

  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(kHttpTimeout);
    client.set_read_timeout(kHttpTimeout);
    return client;
  }

  std::string dir_;
  std::vector<std::string> extra_;
  int serial_ = 0;
  pid_t pid_ = -1;
  int port_ = 0;
  std::size_t log_offset_ = 0;  // where the current run's lines start in the log
};

}  // namespace maiev::e2e_testing
