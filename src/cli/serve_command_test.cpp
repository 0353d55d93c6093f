// Runs the real `maiev serve` binary with its broker and Docker absent (closed loopback ports, a
// socket path that does not exist): start-up errors, what it answers while it waits for them, and
// that no secret ever leaves it. Label loopback: it waits, bounded, for the daemon to answer.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
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
const std::vector<std::string> kMaievVariables = {"MAIEV_STORE",       "MAIEV_LISTEN",
                                                  "MAIEV_API_TOKEN",   "MAIEV_LOG_LEVEL",
                                                  "RABBITMQ_HOST",     "RABBITMQ_PORT",
                                                  "RABBITMQ_VHOST",    "RABBITMQ_USER",
                                                  "RABBITMQ_PASSWORD", "RABBITMQ_MANAGEMENT_URL",
                                                  "DOCKER_HOST",       "DOCKER_TLS_VERIFY",
                                                  "DOCKER_CERT_PATH"};

// `maiev serve ...` through the shell, without maiev's variables, stdout and stderr together; a
// daemon that starts although it should not is ended by `timeout`, so the test fails, not hangs.
maiev::cli::testing::ShellResult ServeOnce(const std::string& args) {
  std::string command = "env";
  for (const auto& name : kMaievVariables) command += " -u " + name;
  command += " timeout 20 '" + std::string(MAIEV_EXE) + "' serve " + args + " 2>&1";
  return maiev::cli::testing::RunShell(command);
}

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
    return "--store '" + (scratch_.path() / "maiev.db").string() + "' --docker-host 'unix://" +
           (scratch_.path() / "docker.sock").string() + "' --rabbitmq-host 127.0.0.1" +
           " --rabbitmq-port " + std::to_string(amqp_port_) +
           " --rabbitmq-management-url http://127.0.0.1:" + std::to_string(management_port_);
  }

  maiev::cli::testing::ScratchDir scratch_{"maiev-serve-test"};
  int amqp_port_ = UnusedLoopbackPort();
  int management_port_ = UnusedLoopbackPort();
};

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
