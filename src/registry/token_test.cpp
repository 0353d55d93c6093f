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

TEST(ParseRfc3339, ReadsUtcOffsetsAndFractions) {
  EXPECT_EQ(ParseRfc3339("2026-12-01T19:51:20Z"), kNow);
  EXPECT_EQ(ParseRfc3339("2026-12-01t19:51:20z"), kNow);
  EXPECT_EQ(ParseRfc3339("2026-12-01T20:51:20+01:00"), kNow);
  EXPECT_EQ(ParseRfc3339("2026-12-01T17:21:20-02:30"), kNow);
  auto fraction = ParseRfc3339("2026-12-01T19:51:20.250Z");
  ASSERT_TRUE(fraction.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*fraction - kNow).count(), 250);
  // Go's time.Time marshals nanoseconds.
  EXPECT_TRUE(ParseRfc3339("2026-12-01T19:51:20.123456789Z").has_value());
}

TEST(ParseRfc3339, RejectsOtherForms) {
  for (std::string_view text :
       {"", "2026-12-01", "2026-12-01T19:51:20", "2026-12-01T19:51:20+0100", "2026-13-01T19:51:20Z",
        "2026-02-30T19:51:20Z", "2026-12-01T24:00:00Z", "2026-12-01T19:51:20.Z",
        "2026-12-01X19:51:20Z", "20261201T195120Z"}) {
    EXPECT_FALSE(ParseRfc3339(text).has_value()) << text;
  }
}

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

}  // namespace
}  // namespace maiev::registry
