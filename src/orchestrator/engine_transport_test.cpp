// EngineTransport's failures name the endpoint and the system's reason, on a unix socket path
// in a temporary directory: no network, no sleeping.
#include "orchestrator/engine_transport.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

namespace maiev::orchestrator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::chrono::milliseconds kTimeout{2'000};

// A temporary directory, removed afterwards; its name is short, for a socket path must fit in
// sockaddr_un (108 bytes).
class TempDir {
 public:
  TempDir() {
    static int count = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("maiev-et-" + std::to_string(getpid()) + "-" + std::to_string(++count));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

EngineTransport SocketTransport(const std::string& path) {
  DockerEndpoint endpoint;
  endpoint.socket_path = path;
  return EngineTransport(endpoint, kTimeout);
}

TEST(EngineTransport, ASocketThatDoesNotExistIsNamedWithTheSystemsReason) {
  TempDir dir;
  const std::string socket = dir.Path("docker.sock");
  auto response = SocketTransport(socket).Request("GET", "/version", {}, kTimeout);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, "io");
  EXPECT_EQ(response.error().message,
            "Docker Engine at unix://" + socket + ": No such file or directory (GET /version)");
}

TEST(EngineTransport, ASocketNobodyListensOnIsConnectionRefused) {
  TempDir dir;
  const std::string socket = dir.Path("docker.sock");
  // Bound but not listening: the file exists, a connect is refused.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);

  auto response = SocketTransport(socket).Request("GET", "/version", {}, kTimeout);
  close(fd);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message,
            "Docker Engine at unix://" + socket + ": Connection refused (GET /version)");
}

TEST(EngineTransport, AStreamToASocketThatDoesNotExistSaysWhy) {
  TempDir dir;
  const std::string socket = dir.Path("docker.sock");
  std::stop_source stop;
  const Status streamed = SocketTransport(socket).Stream(
      "/events", [] {}, [](std::string_view) {}, stop.get_token());
  ASSERT_FALSE(streamed.ok());
  EXPECT_THAT(streamed.error().message,
              HasSubstr("unix://" + socket + ": No such file or directory (GET /events)"));
  EXPECT_THAT(streamed.error().message, Not(HasSubstr("localhost port 80")));
}

}  // namespace
}  // namespace maiev::orchestrator
