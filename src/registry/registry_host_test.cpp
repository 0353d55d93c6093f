#include "registry/registry_host.hpp"

#include <gtest/gtest.h>

namespace maiev::registry {
namespace {

TEST(IsLoopbackHost, KnowsLoopbackAddressesAndNames) {
  for (std::string_view host : {"127.0.0.1", "127.0.0.1:5000", "127.1.2.3:80", "localhost",
                                "LOCALHOST:5000", "[::1]", "[::1]:5000", "::1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (std::string_view host :
       {"128.0.0.1", "127.0.0", "127.0.0.256", "127.0.0.1.example", "localhost.example",
        "10.0.0.1:5000", "[::2]", "docker.io", "127.a.0.1", ""}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(IsValidRegistryHost, AcceptsNamesAddressesAndPorts) {
  for (std::string_view host : {"docker.io", "registry:5000", "127.0.0.1:5000", "[::1]:5000",
                                "[fe80::1]", "my-registry.example.com", "ghcr.io"}) {
    EXPECT_TRUE(IsValidRegistryHost(host)) << host;
  }
  for (std::string_view host : {"", "a b", "host:", "host:port", "host:123456", "[::1", "[]",
                                "[::1]x", ".example", "-example", "host/path", "user@host"}) {
    EXPECT_FALSE(IsValidRegistryHost(host)) << host;
  }
}

TEST(HostName, DropsPortAndBrackets) {
  EXPECT_EQ(HostName("127.0.0.1:5000"), "127.0.0.1");
  EXPECT_EQ(HostName("[::1]:5000"), "::1");
  EXPECT_EQ(HostName("docker.io"), "docker.io");
}

TEST(RegistryBaseUrl, IsHttpsExceptForLoopbackAndInsecureHosts) {
  EXPECT_EQ(RegistryBaseUrl("ghcr.io", false), "https://ghcr.io");
  EXPECT_EQ(RegistryBaseUrl("registry.example:5000", false), "https://registry.example:5000");
  EXPECT_EQ(RegistryBaseUrl("registry.example:5000", true), "http://registry.example:5000");
  EXPECT_EQ(RegistryBaseUrl("127.0.0.1:5000", false), "http://127.0.0.1:5000");
  EXPECT_EQ(RegistryBaseUrl("localhost:5000", false), "http://localhost:5000");
  EXPECT_EQ(RegistryBaseUrl("[::1]:5000", false), "http://[::1]:5000");
}

TEST(RegistryBaseUrl, ReachesDockerHubAtItsApiHost) {
  EXPECT_EQ(RegistryBaseUrl("docker.io", false), "https://registry-1.docker.io");
  EXPECT_EQ(RegistryBaseUrl("index.docker.io", false), "https://registry-1.docker.io");
}

TEST(MaySendCredentials, OnlyOverHttpsOrToLoopbackOrForAPlainRegistry) {
  EXPECT_TRUE(MaySendCredentials("https://auth.docker.io/token", false));
  EXPECT_TRUE(MaySendCredentials("http://127.0.0.1:5001/token", false));
  EXPECT_TRUE(MaySendCredentials("http://localhost/token", false));
  EXPECT_FALSE(MaySendCredentials("http://auth.example/token", false));
  EXPECT_TRUE(MaySendCredentials("http://auth.example/token", true));  // an insecure registry
  EXPECT_FALSE(MaySendCredentials("ftp://auth.example/token", true));
  EXPECT_FALSE(MaySendCredentials("/token", true));
  // A user-info part does not make a host loopback.
  EXPECT_FALSE(MaySendCredentials("http://127.0.0.1@auth.example/token", false));
}

}  // namespace
}  // namespace maiev::registry
