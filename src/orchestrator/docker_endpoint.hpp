// Where the Docker Engine API is and how to reach it, from DOCKER_HOST, DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH with the docker client's meaning:
//   unix:///path/to/docker.sock   (default unix:///var/run/docker.sock)
//   tcp://host[:port]             port 2376 with TLS, 2375 without
// TLS is used when DOCKER_CERT_PATH or DOCKER_TLS_VERIFY is set; the server certificate is
// verified only when DOCKER_TLS_VERIFY is non-empty. Certificates are DOCKER_CERT_PATH/ca.pem,
// cert.pem and key.pem (DOCKER_CERT_PATH defaults to $HOME/.docker).
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace maiev::orchestrator {

inline constexpr std::string_view kDefaultDockerHost = "unix:///var/run/docker.sock";

struct DockerEndpoint {
  enum class Transport { kUnixSocket, kTcp };

  Transport transport = Transport::kUnixSocket;
  std::string socket_path;  // kUnixSocket
  std::string host;         // kTcp: a name, an IPv4 address or an IPv6 address without brackets
  int port = 0;             // kTcp

  bool tls = false;
  bool tls_verify = false;  // verify the server certificate against ca_file
  std::string ca_file;      // paths only: never secrets themselves
  std::string cert_file;
  std::string key_file;

  // The URL prefix requests are made against: "http://localhost" for a socket (curl needs a
  // host), "https://host:port" or "http://host:port" for TCP.
  std::string BaseUrl() const;
  // For messages: "unix:///path" or "tcp://host:port (TLS)".
  std::string Describe() const;
};

// The values of DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and HOME (empty when unset).
struct DockerEnvironment {
  std::string docker_host;
  std::string tls_verify;
  std::string cert_path;
  std::string home;

  static DockerEnvironment FromProcess();
};

// Pure: error code "invalid" with the accepted forms when DOCKER_HOST cannot be used.
Result<DockerEndpoint> ParseDockerEndpoint(const DockerEnvironment& env);

}  // namespace maiev::orchestrator
