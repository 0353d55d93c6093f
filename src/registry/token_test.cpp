#include "registry/token.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::registry {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

// 2026-12-01T19:51:20Z
const TimePoint kNow{seconds{1'796'154'680}};

TEST(ParseTokenResponse, ReadsTokenAndLifetime) {
  auto token = ParseTokenResponse(R"({"token": "t0k", "expires_in": 300})", kNow);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token, "t0k");
  EXPECT_EQ(token->expires_at, kNow + seconds{300});
}

TEST(ParseTokenResponse, ReadsAnOAuthAccessToken) {
  auto token = ParseTokenResponse(R"({"access_token": "a", "expires_in": 120})", kNow);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->token, "a");
  // Docker Hub sends both; `token` wins.
  EXPECT_EQ(ParseTokenResponse(R"({"token": "t", "access_token": "a"})", kNow)->token, "t");
  EXPECT_EQ(ParseTokenResponse(R"({"token": "", "access_token": "a"})", kNow)->token, "a");
}

TEST(ParseTokenResponse, DefaultsAndRaisesTheLifetimeToSixtySeconds) {
  EXPECT_EQ(ParseTokenResponse(R"({"token": "t"})", kNow)->expires_at, kNow + seconds{60});
  EXPECT_EQ(ParseTokenResponse(R"({"token": "t", "expires_in": 5})", kNow)->expires_at,
            kNow + seconds{60});
  EXPECT_EQ(ParseTokenResponse(R"({"token": "t", "expires_in": null})", kNow)->expires_at,
            kNow + seconds{60});
  EXPECT_EQ(ParseTokenResponse(R"({"token": "t", "expires_in": 1e300})", kNow)->expires_at,
            kNow + seconds{86'400});
}

TEST(ParseTokenResponse, CountsTheLifetimeFromIssuedAt) {
  auto token = ParseTokenResponse(
      R"({"token": "t", "expires_in": 300, "issued_at": "2026-12-01T19:50:20Z"})", kNow);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->expires_at, kNow + seconds{240});
  // RFC 3339 also allows lowercase letters and a space, and a fraction (Go writes nanoseconds).
  for (const char* issued : {"2026-12-01t19:50:20z", "2026-12-01 19:50:20.000000000Z"}) {
    auto lenient = ParseTokenResponse(
        std::string(R"({"token": "t", "expires_in": 300, "issued_at": ")") + issued + "\"}", kNow);
    ASSERT_TRUE(lenient.ok()) << issued << ": " << lenient.error().message;
    EXPECT_EQ(lenient->expires_at, kNow + seconds{240}) << issued;
  }
  // A token service whose clock is ahead: the lifetime starts now.
  auto ahead = ParseTokenResponse(
      R"({"token": "t", "expires_in": 300, "issued_at": "2026-12-01T20:51:20Z"})", kNow);
  EXPECT_EQ(ahead->expires_at, kNow + seconds{300});
}

TEST(ParseTokenResponse, RejectsMalformedRepliesWithoutQuotingThem) {
  struct Case {
    std::string body;
    std::string text;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"token": "s3cret)", "not JSON (at byte"},
           {R"(["s3cret"])", "expected an object"},
           {R"({"tok": "s3cret"})", "no `token` or `access_token`"},
           {R"({"token": 5})", "no `token` or `access_token`"},
           {R"({"token": "s3cret", "expires_in": "60"})", "expires_in: expected a number"},
           {R"({"token": "s3cret", "issued_at": "yesterday"})", "issued_at: expected an RFC 3339"},
       }) {
    auto token = ParseTokenResponse(c.body, kNow);
    ASSERT_FALSE(token.ok()) << c.body;
    EXPECT_EQ(token.error().code, "protocol");
    EXPECT_THAT(token.error().message, HasSubstr(c.text));
    EXPECT_THAT(token.error().message, Not(HasSubstr("s3cret")));
  }
}

TEST(PullScope, NamesTheRepository) {
  EXPECT_EQ(PullScope("library/nginx"), "repository:library/nginx:pull");
}

// Found by fuzz/token_fuzz: `expires_in` too large for a double escaped as an exception, which
// ended the daemon, instead of a protocol error.
TEST(ParseTokenResponse, NumberOverflowIsAProtocolError) {
  auto token = ParseTokenResponse(R"({"token": "t", "expires_in": 1e310})", kNow);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, "protocol");
  EXPECT_EQ(token.error().message, "token service reply is not JSON (a number out of range)");
}

}  // namespace
}  // namespace maiev::registry
