// What the tests against the local stack (scripts/stack.sh) share: shell commands, the Docker CLI
// and the RabbitMQ management API of the stack (loopback only), and polling with a deadline.
#pragma once

#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace maiev::stack_testing {

inline constexpr const char* kWorkerImage = "127.0.0.1:5000/maiev-worker:worker-1.0.0";
inline constexpr const char* kManagementUrl = "http://127.0.0.1:15672";
inline constexpr std::chrono::milliseconds kPollInterval{250};

struct CommandResult {
  int exit_code = -1;  // -1 when the command could not run or did not exit normally
  std::string output;  // stdout and stderr
};

// Runs `command` through /bin/sh, collecting stdout and stderr.
inline CommandResult Shell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) result.output += buffer.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// `text` as one single-quoted shell word.
inline std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string StackDir() {
  const char* dir = std::getenv("MAIEV_STACK_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp/maiev-stack";
}

inline std::string DockerHost() { return "unix://" + StackDir() + "/docker.sock"; }
// The Docker CLI talking to the stack's dockerd, followed by a space.
inline std::string Docker() { return "docker -H " + DockerHost() + " "; }

// A request to the stack's RabbitMQ management API; the response body, empty on failure.
inline std::string Management(const std::string& method, const std::string& path) {
  return Shell("curl -fsS --max-time 5 -u guest:guest -X " + method + " '" + kManagementUrl + path +
               "'")
      .output;
}

// The management API's view of a queue of vhost `/`; not an object when it does not exist.
inline nlohmann::json QueueInfo(const std::string& queue) {
  return nlohmann::json::parse(Management("GET", "/api/queues/%2F/" + queue), nullptr,
                               /*allow_exceptions=*/false);
}

// Polls `condition` until it holds or `deadline` passes.
inline bool Eventually(std::chrono::steady_clock::duration deadline,
                       const std::function<bool()>& condition) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

}  // namespace maiev::stack_testing
