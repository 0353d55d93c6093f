#include "orchestrator/docker_endpoint.hpp"

#include <gtest/gtest.h>

namespace maiev::orchestrator {
namespace {

using Transport = DockerEndpoint::Transport;

TEST(DockerEndpoint, DefaultsToTheStandardSocketWhenDockerHostIsUnset) {
  auto endpoint = ParseDockerEndpoint({});
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  EXPECT_EQ(endpoint->transport, Transport::kUnixSocket);
  EXPECT_EQ(endpoint->socket_path, "/var/run/docker.sock");
  EXPECT_EQ(endpoint->BaseUrl(), "http://localhost");
  EXPECT_FALSE(endpoint->tls);
}

TEST(DockerEndpoint, ParsesAUnixSocketPathAndIgnoresTlsSettings) {
  auto endpoint = ParseDockerEndpoint({"unix:///tmp/stack/docker.sock", "1", "/certs", "/root"});
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  EXPECT_EQ(endpoint->transport, Transport::kUnixSocket);
  EXPECT_EQ(endpoint->socket_path, "/tmp/stack/docker.sock");
  EXPECT_FALSE(endpoint->tls);
  EXPECT_EQ(endpoint->Describe(), "unix:///tmp/stack/docker.sock");
}

TEST(DockerEndpoint, RejectsARelativeSocketPath) {
  auto endpoint = ParseDockerEndpoint({"unix://docker.sock", "", "", ""});
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error().code, "invalid");
  EXPECT_NE(endpoint.error().message.find("absolute"), std::string::npos);
}

TEST(DockerEndpoint, PlainTcpWithPortHasNoTls) {
  auto endpoint = ParseDockerEndpoint({"tcp://127.0.0.1:2375", "", "", ""});
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  EXPECT_EQ(endpoint->transport, Transport::kTcp);
  EXPECT_EQ(endpoint->host, "127.0.0.1");
  EXPECT_EQ(endpoint->port, 2375);
  EXPECT_FALSE(endpoint->tls);
  EXPECT_EQ(endpoint->BaseUrl(), "http://127.0.0.1:2375");
}

TEST(DockerEndpoint, TcpWithoutPortDefaultsTo2375WithoutTlsAnd2376WithTls) {
  auto plain = ParseDockerEndpoint({"tcp://localhost", "", "", ""});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 2375);
  auto tls = ParseDockerEndpoint({"tcp://localhost", "1", "/certs", ""});
  ASSERT_TRUE(tls.ok());
  EXPECT_EQ(tls->port, 2376);
}

TEST(DockerEndpoint, TlsVerifyUsesTheCertificatesOfDockerCertPath) {
  auto endpoint = ParseDockerEndpoint({"tcp://127.0.0.1:2376", "1", "/etc/docker-certs/", ""});
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  EXPECT_TRUE(endpoint->tls);
  EXPECT_TRUE(endpoint->tls_verify);
  EXPECT_EQ(endpoint->ca_file, "/etc/docker-certs/ca.pem");
  EXPECT_EQ(endpoint->cert_file, "/etc/docker-certs/cert.pem");
  EXPECT_EQ(endpoint->key_file, "/etc/docker-certs/key.pem");
  EXPECT_EQ(endpoint->BaseUrl(), "https://127.0.0.1:2376");
  EXPECT_EQ(endpoint->Describe(), "tcp://127.0.0.1:2376 (TLS, verified)");
}

TEST(DockerEndpoint, CertPathWithoutTlsVerifyUsesTlsWithoutVerifyingTheServer) {
  auto endpoint = ParseDockerEndpoint({"tcp://127.0.0.1:2376", "", "/certs", ""});
  ASSERT_TRUE(endpoint.ok());
  EXPECT_TRUE(endpoint->tls);
  EXPECT_FALSE(endpoint->tls_verify);
  EXPECT_EQ(endpoint->ca_file, "/certs/ca.pem");
}

TEST(DockerEndpoint, TlsVerifyWithoutCertPathLooksInHomeDotDocker) {
  auto endpoint = ParseDockerEndpoint({"tcp://127.0.0.1:2376", "1", "", "/home/op"});
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->cert_file, "/home/op/.docker/cert.pem");
}

TEST(DockerEndpoint, TlsVerifyWithoutCertPathOrHomeIsAnError) {
  auto endpoint = ParseDockerEndpoint({"tcp://127.0.0.1:2376", "1", "", ""});
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error().code, "invalid");
}

TEST(DockerEndpoint, ParsesABracketedIpv6Host) {
  auto endpoint = ParseDockerEndpoint({"tcp://[::1]:2375", "", "", ""});
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message;
  EXPECT_EQ(endpoint->host, "::1");
  EXPECT_EQ(endpoint->port, 2375);
  EXPECT_EQ(endpoint->BaseUrl(), "http://[::1]:2375");
}

TEST(DockerEndpoint, RejectsUnsupportedSchemesBadPortsAndPaths) {
  for (const char* host :
       {"ssh://user@host", "npipe:////./pipe/docker_engine", "tcp://h:0", "tcp://h:70000",
        "tcp://h:port", "tcp://:2375", "tcp://h:2375/path", "tcp://[::1"}) {
    auto endpoint = ParseDockerEndpoint({host, "", "", ""});
    ASSERT_FALSE(endpoint.ok()) << host;
    EXPECT_EQ(endpoint.error().code, "invalid") << host;
    EXPECT_NE(endpoint.error().message.find("accepted:"), std::string::npos) << host;
  }
}

}  // namespace
}  // namespace maiev::orchestrator
