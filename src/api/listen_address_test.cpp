#include "api/listen_address.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::api {
namespace {

using ::testing::HasSubstr;

TEST(ParseListenAddress, AcceptsIpv4AndBracketedIpv6WithAPort) {
  auto v4 = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto any = ParseListenAddress("0.0.0.0:0");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->port, 0);
  auto v6 = ParseListenAddress("[::1]:65535");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 65535);
  EXPECT_EQ(v6->ToString(), "[::1]:65535");
  EXPECT_EQ(v4->ToString(), "127.0.0.1:8080");
}

TEST(ParseListenAddress, RejectsAPortOutOfRangeNamingTheValueAndTheRange) {
  for (const char* text : {"127.0.0.1:99999", "127.0.0.1:80800", "127.0.0.1:-1",
                           "127.0.0.1:", "127.0.0.1:80a", "127.0.0.1:+80", "127.0.0.1: 80"}) {
    auto parsed = ParseListenAddress(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().code, "invalid");
    EXPECT_THAT(parsed.error().message, HasSubstr(std::string("`") + text + "`"));
    EXPECT_THAT(parsed.error().message, HasSubstr("0 to 65535"));
  }
}

TEST(ParseListenAddress, RejectsAHostThatIsNotAnAddress) {
  for (const char* text : {"not-a-host:8080", "localhost:8080", ":8080", "8080", "127.0.0:8080",
                           "[127.0.0.1]:8080", "[::1:8080", "999.0.0.1:8080"}) {
    auto parsed = ParseListenAddress(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(parsed.error().message, HasSubstr("IPv4 address")) << text;
  }
  auto bare = ParseListenAddress("::1:8080");
  ASSERT_FALSE(bare.ok());
  EXPECT_THAT(bare.error().message, HasSubstr("needs brackets"));
  auto name = ParseListenAddress("not-a-host:8080");
  ASSERT_FALSE(name.ok());
  EXPECT_THAT(name.error().message, HasSubstr("host `not-a-host` is not an IP address"));
}

}  // namespace
}  // namespace maiev::api
