#include "orchestrator/docker_endpoint.hpp"

#include <charconv>
#include <cstdlib>

namespace maiev::orchestrator {
namespace {

constexpr int kDefaultTlsPort = 2376;
constexpr int kDefaultPlainPort = 2375;
constexpr std::string_view kAcceptedForms =
    "accepted: unix:///path/to/docker.sock or tcp://host[:port]";

std::string Env(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up
  return value == nullptr ? std::string() : std::string(value);
}

Unexpected<Error> Invalid(std::string_view docker_host, std::string_view why) {
  return Fail("invalid", "DOCKER_HOST \"" + std::string(docker_host) + "\": " + std::string(why) +
                             "; " + std::string(kAcceptedForms));
}

Result<int> ParsePort(std::string_view text, std::string_view docker_host) {
  int port = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, port);
  if (ec != std::errc() || ptr != end || port <= 0 || port > 65535) {
    return Invalid(docker_host, "port \"" + std::string(text) + "\" is not in 1..65535");
  }
  return port;
}

// Splits "host[:port]" / "[v6][:port]" into the endpoint; strips a trailing "/".
Status ParseHostPort(std::string_view authority, std::string_view docker_host,
                     DockerEndpoint& endpoint) {
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find('/') != std::string_view::npos) {
    return Invalid(docker_host, "a path after host:port is not supported");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Invalid(docker_host, "unclosed '[' in host");
    endpoint.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Invalid(docker_host, "expected ':' after ']'");
      port_text = rest.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (endpoint.host.empty()) return Invalid(docker_host, "the host is empty");
  if (port_text.empty()) {
    endpoint.port = endpoint.tls ? kDefaultTlsPort : kDefaultPlainPort;
    return {};
  }
  auto port = ParsePort(port_text, docker_host);
  if (!port) return Unexpected<Error>{port.error()};
  endpoint.port = *port;
  return {};
}

}  // namespace

DockerEnvironment DockerEnvironment::FromProcess() {
  return DockerEnvironment{Env("DOCKER_HOST"), Env("DOCKER_TLS_VERIFY"), Env("DOCKER_CERT_PATH"),
                           Env("HOME")};
}

std::string DockerEndpoint::BaseUrl() const {
  if (transport == Transport::kUnixSocket) return "http://localhost";
  bool v6 = host.find(':') != std::string::npos;
  std::string bracketed = v6 ? "[" + host + "]" : host;
  return std::string(tls ? "https://" : "http://") + bracketed + ":" + std::to_string(port);
}

std::string DockerEndpoint::Describe() const {
  if (transport == Transport::kUnixSocket) return "unix://" + socket_path;
  bool v6 = host.find(':') != std::string::npos;
  std::string text = "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (tls) text += tls_verify ? " (TLS, verified)" : " (TLS, unverified)";
  return text;
}

Result<DockerEndpoint> ParseDockerEndpoint(const DockerEnvironment& env) {
  std::string_view docker_host = env.docker_host.empty() ? kDefaultDockerHost : env.docker_host;
  DockerEndpoint endpoint;

  constexpr std::string_view kUnix = "unix://";
  constexpr std::string_view kTcp = "tcp://";
  if (docker_host.starts_with(kUnix)) {
    endpoint.transport = DockerEndpoint::Transport::kUnixSocket;
    endpoint.socket_path = std::string(docker_host.substr(kUnix.size()));
    if (endpoint.socket_path.empty() || endpoint.socket_path.front() != '/') {
      return Invalid(docker_host, "the socket path must be absolute");
    }
    return endpoint;  // TLS settings do not apply to a local socket
  }
  if (!docker_host.starts_with(kTcp)) {
    return Invalid(docker_host, "unsupported scheme");
  }

  endpoint.transport = DockerEndpoint::Transport::kTcp;
  endpoint.tls = !env.cert_path.empty() || !env.tls_verify.empty();
  endpoint.tls_verify = !env.tls_verify.empty();
  if (auto status = ParseHostPort(docker_host.substr(kTcp.size()), docker_host, endpoint);
      !status) {
    return Unexpected<Error>{status.error()};
  }
  if (!endpoint.tls) return endpoint;

  std::string cert_dir = env.cert_path;
  if (cert_dir.empty()) {
    if (env.home.empty()) {
      return Fail("invalid",
                  "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME is: cannot "
                  "locate ca.pem, cert.pem and key.pem");
    }
    cert_dir = env.home + "/.docker";
  }
  if (cert_dir.back() == '/') cert_dir.pop_back();
  endpoint.ca_file = cert_dir + "/ca.pem";
  endpoint.cert_file = cert_dir + "/cert.pem";
  endpoint.key_file = cert_dir + "/key.pem";
  return endpoint;
}

}  // namespace maiev::orchestrator
