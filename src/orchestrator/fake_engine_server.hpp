// Test-only: a minimal HTTP/1.1 server on a unix socket in a fresh temporary directory, standing
// in for the Docker Engine so tests can script replies, drop streams and check requests. Each
// connection is served on its own thread by the handler, then closed. Not part of the library.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace maiev::orchestrator::testing {

class FakeEngineServer {
 public:
  struct Request {
    std::string method;
    std::string target;  // path and query
    std::string body;
  };

  // The handler's side of one connection.
  class Reply {
   public:
    explicit Reply(int fd) : fd_(fd) {}
    // A complete JSON reply.
    void Json(int status, std::string_view body) {
      Send("HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n");
      Send(body);
    }
    // The head of a streamed reply; the body follows with Send until the handler returns.
    void StreamHead() {
      Send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
    }
    void Send(std::string_view bytes) {
      while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        bytes.remove_prefix(static_cast<std::size_t>(n));
      }
    }
    // Blocks until the client closes the connection (or the server shuts down).
    void WaitForClientClose() {
      char buffer[256];
      while (true) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, -1) < 0) return;
        if (::recv(fd_, buffer, sizeof buffer, 0) <= 0) return;
      }
    }

   private:
    int fd_;
  };

  using Handler = std::function<void(const Request&, Reply&)>;

  explicit FakeEngineServer(Handler handler) : handler_(std::move(handler)) {
    std::string dir_template =
        (std::filesystem::temp_directory_path() / "maiev-fake-engine-XXXXXX").string();
    if (::mkdtemp(dir_template.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir_template;
    socket_path_ = dir_ + "/engine.sock";
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socket_path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      throw std::runtime_error("cannot listen on " + socket_path_);
    }
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeEngineServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& worker : workers_) worker.join();
    ::close(listen_fd_);
    std::filesystem::remove_all(dir_);
  }

  FakeEngineServer(const FakeEngineServer&) = delete;
  FakeEngineServer& operator=(const FakeEngineServer&) = delete;

  const std::string& socket_path() const { return socket_path_; }

  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mutex_);
      open_fds_.push_back(fd);
      workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    Request request;
    if (ReadRequest(fd, request)) {
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      Reply reply(fd);
      handler_(request, reply);
    }
    std::lock_guard lock(mutex_);
    std::erase(open_fds_, fd);
    ::close(fd);
  }

  static bool ReadRequest(int fd, Request& request) {
    std::string data;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      data.append(buffer, static_cast<std::size_t>(n));
    }
    std::string head = data.substr(0, head_end);
    auto first_space = head.find(' ');
    auto second_space = head.find(' ', first_space + 1);
    request.method = head.substr(0, first_space);
    request.target = head.substr(first_space + 1, second_space - first_space - 1);
    std::size_t length = 0;
    if (auto at = head.find("Content-Length: "); at != std::string::npos) {
      length = std::stoul(head.substr(at + 16));
    }
    request.body = data.substr(head_end + 4);
    while (request.body.size() < length) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      request.body.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  Handler handler_;
  std::string dir_;
  std::string socket_path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> workers_;  // guarded by mutex_ (appended by the acceptor)
  std::vector<int> open_fds_;         // guarded by mutex_
  std::vector<Request> requests_;     // guarded by mutex_
};

}  // namespace maiev::orchestrator::testing
