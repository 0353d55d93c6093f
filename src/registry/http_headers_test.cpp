#include "registry/http_headers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::registry {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

std::vector<AuthChallenge> Challenges(std::string_view header) {
  auto parsed = ParseAuthChallenges(header);
  EXPECT_TRUE(parsed.ok()) << header << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : std::vector<AuthChallenge>{};
}

// ---------------------------------------------------------------------------------------------
// WWW-Authenticate

TEST(ParseAuthChallenges, ReadsDockerHubsBearerChallenge) {
  auto c = Challenges(R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
                      R"(scope="repository:library/nginx:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].Param("scope"), "repository:library/nginx:pull");
  EXPECT_EQ(c[0].Param("error"), "");
}

TEST(ParseAuthChallenges, ReadsTheBasicChallengeOfHtpasswd) {
  auto c = Challenges(R"(Basic realm="maiev test")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].Param("realm"), "maiev test");
}

TEST(ParseAuthChallenges, KeepsCommasAndEqualsInsideQuotes) {
  auto c = Challenges(
      R"(Bearer realm="https://h/token?a=1,b=2",scope="repository:a:pull,push repository:b:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("realm"), "https://h/token?a=1,b=2");
  EXPECT_EQ(c[0].Param("scope"), "repository:a:pull,push repository:b:pull");
}

TEST(ParseAuthChallenges, UnescapesQuotedPairs) {
  auto c = Challenges(R"(Basic realm="say \"hi\" \\ there")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("realm"), R"(say "hi" \ there)");
}

TEST(ParseAuthChallenges, SchemeAndParameterNamesAreCaseInsensitive) {
  auto c = Challenges(R"(BEARER Realm="https://h/t", SERVICE=reg)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].Param("realm"), "https://h/t");
  EXPECT_EQ(c[0].Param("service"), "reg");  // a token value, unquoted
}

TEST(ParseAuthChallenges, ToleratesSpacesAroundEqualsAndCommas) {
  auto c = Challenges(R"(Bearer  realm = "https://h/t" ,  service = "s" , )");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("realm"), "https://h/t");
  EXPECT_EQ(c[0].Param("service"), "s");
}

TEST(ParseAuthChallenges, SplitsSeveralChallengesInOneHeader) {
  // RFC 9110's example: parameters of one challenge and the next challenge are both
  // comma-separated.
  auto c = Challenges(
      R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "newauth");
  EXPECT_EQ(c[0].Param("type"), "1");
  EXPECT_EQ(c[0].Param("title"), R"(Login to "apps")");
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].Param("realm"), "simple");
  EXPECT_EQ(FindChallenge(c, "basic"), &c[1]);
  EXPECT_EQ(FindChallenge(c, "bearer"), nullptr);
}

TEST(ParseAuthChallenges, ReadsChallengesWithoutParameters) {
  auto c = Challenges("Basic, Bearer realm=\"https://h/t\"");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_TRUE(c[0].params.empty());
  EXPECT_EQ(c[1].Param("realm"), "https://h/t");
}

TEST(ParseAuthChallenges, ReadsInsufficientScopeErrors) {
  auto c = Challenges(
      R"(Bearer realm="http://127.0.0.1:1/token",service="s",scope="repository:x:pull",error="insufficient_scope")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("error"), "insufficient_scope");
}

TEST(ParseAuthChallenges, KeepsAToken68) {
  auto c = Challenges("Negotiate YIIB9wYJKoZIhvcSAQICAQBuggHmMIIB4qAD==, Basic realm=x");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].Param("token68"), "YIIB9wYJKoZIhvcSAQICAQBuggHmMIIB4qAD==");
  EXPECT_EQ(c[1].Param("realm"), "x");
}

TEST(ParseAuthChallenges, ReadsABareNameWithEqualsAsAToken68) {
  // `realm=` fits token68 (base64 padding): a challenge without a realm, which the client refuses.
  auto c = Challenges("Bearer realm=");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("token68"), "realm=");
  EXPECT_EQ(c[0].Param("realm"), "");
}

TEST(ParseAuthChallenges, AcceptsAnEmptyQuotedValue) {
  auto c = Challenges(R"(Bearer realm="https://h/t",service="")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("service"), "");
  EXPECT_TRUE(c[0].params.contains("service"));
}

TEST(ParseAuthChallenges, RejectsMalformedHeadersWithTheOffset) {
  struct Case {
    std::string header;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"", "no challenge"},
      {"   ", "no challenge"},
      {R"(Bearer realm="https://h/t)", "unterminated"},
      {R"(Bearer realm=x,service=)", "unterminated or empty"},
      {R"(Bearer realm=x,service=,)", "expected a token or a quoted string"},
      {R"(Bearer realm="a" service="b")", "expected `,`"},
      {R"(="x")", "expected an auth scheme"},
      {R"(Bearer@ realm="x")", "expected a space after the auth scheme"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseAuthChallenges(c.header);
    ASSERT_FALSE(parsed.ok()) << c.header;
    EXPECT_EQ(parsed.error().code, "protocol");
    EXPECT_THAT(parsed.error().message, HasSubstr(c.reason)) << c.header;
    EXPECT_THAT(parsed.error().message, HasSubstr("WWW-Authenticate")) << c.header;
  }
  auto unterminated = ParseAuthChallenges(R"(Bearer realm="x)");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_THAT(unterminated.error().message, HasSubstr("offset"));
}

// ---------------------------------------------------------------------------------------------
// URLs and Link

TEST(ResolveUrl, ResolvesEveryReferenceForm) {
  const std::string base = "http://127.0.0.1:5000/v2/app/tags/list?n=2";
  EXPECT_EQ(ResolveUrl(base, "https://other.example/x?y"), "https://other.example/x?y");
  EXPECT_EQ(ResolveUrl(base, "//other.example/x"), "http://other.example/x");
  EXPECT_EQ(ResolveUrl(base, "/v2/app/tags/list?last=b&n=2"),
            "http://127.0.0.1:5000/v2/app/tags/list?last=b&n=2");
  EXPECT_EQ(ResolveUrl(base, "?last=b&n=2"), "http://127.0.0.1:5000/v2/app/tags/list?last=b&n=2");
  EXPECT_EQ(ResolveUrl(base, "list?last=b"), "http://127.0.0.1:5000/v2/app/tags/list?last=b");
  EXPECT_EQ(ResolveUrl(base, ""), base);
  EXPECT_EQ(ResolveUrl("http://h:1", "x"), "http://h:1/x");
}

TEST(UrlOrigin, IsSchemeAndAuthorityInLowercase) {
  EXPECT_EQ(UrlOrigin("HTTPS://Registry.Example:443/v2/?x"), "https://registry.example:443");
  EXPECT_EQ(UrlOrigin("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
  EXPECT_EQ(UrlOrigin("/v2/x"), "");
}

TEST(NextPageLink, FollowsTheRegistrysRelativeNextLink) {
  // As distribution writes it.
  auto next = NextPageLink(R"(</v2/app/tags/list?last=b&n=2>; rel="next")",
                           "http://127.0.0.1:5000/v2/app/tags/list?n=2");
  ASSERT_TRUE(next.ok()) << next.error().message;
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ(**next, "http://127.0.0.1:5000/v2/app/tags/list?last=b&n=2");
}

TEST(NextPageLink, KeepsAnAbsoluteNextLink) {
  auto next = NextPageLink(R"(<https://r.example/v2/a/tags/list?last=z&n=100>;rel=next)",
                           "https://r.example/v2/a/tags/list?n=100");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->value_or(""), "https://r.example/v2/a/tags/list?last=z&n=100");
}

TEST(NextPageLink, PicksNextAmongSeveralLinksAndRelations) {
  auto next = NextPageLink(
      R"(</v2/a/tags/list?n=1>; rel="first", </v2/a/tags/list?last=c&n=1>; title="x, y"; rel="prefetch NEXT")",
      "http://h/v2/a/tags/list?n=1");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->value_or(""), "http://h/v2/a/tags/list?last=c&n=1");
}

TEST(NextPageLink, IsNoneWithoutANextRelation) {
  for (std::string_view header : {"", R"(</v2/a/tags/list?n=1>; rel="prev")",
                                  R"(</x>; rel="nextish")", R"(</x>; title=next)"}) {
    auto next = NextPageLink(header, "http://h/v2/a/tags/list");
    ASSERT_TRUE(next.ok()) << header << ": " << next.error().message;
    EXPECT_FALSE(next->has_value()) << header;
  }
}

TEST(NextPageLink, RejectsMalformedHeaders) {
  for (std::string_view header :
       {R"(/v2/a/tags/list?last=b; rel="next")", R"(</v2/a/tags/list?last=b; rel="next")",
        R"(</x>; ="next")", R"(</x>; rel=)", R"(</x> rel="next")"}) {
    auto next = NextPageLink(header, "http://h/v2/a/tags/list");
    ASSERT_FALSE(next.ok()) << header;
    EXPECT_EQ(next.error().code, "protocol");
    EXPECT_THAT(next.error().message, HasSubstr("Link header")) << header;
  }
}

// ---------------------------------------------------------------------------------------------
// Retry-After

const TimePoint kNow =
    TimePoint{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::December / 1}} +
    std::chrono::hours{19} + std::chrono::minutes{51} + seconds{20};

TEST(ParseHttpDate, ReadsAnImfFixdate) {
  auto date = ParseHttpDate("Tue, 01 Dec 2026 19:51:50 GMT");
  ASSERT_TRUE(date.has_value());
  EXPECT_EQ(*date - kNow, seconds{30});
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"),
            TimePoint{seconds{784111777}});  // RFC 9110's example
}

TEST(ParseHttpDate, RejectsOtherForms) {
  for (std::string_view text :
       {"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", ""}) {
    EXPECT_FALSE(ParseHttpDate(text).has_value()) << text;
  }
}

TEST(ParseRetryAfter, ReadsDelaySeconds) {
  EXPECT_EQ(ParseRetryAfter("120", kNow), Duration{120.0});
  EXPECT_EQ(ParseRetryAfter(" 0 ", kNow), Duration{0.0});
  // Absurd delays are read as a day.
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", kNow), Duration{86'400.0});
}

TEST(ParseRetryAfter, ReadsAnHttpDateAsTheWaitFromNow) {
  EXPECT_EQ(ParseRetryAfter("Tue, 01 Dec 2026 19:52:20 GMT", kNow), Duration{60.0});
  // A date in the past is no wait.
  EXPECT_EQ(ParseRetryAfter("Tue, 01 Dec 2026 19:00:00 GMT", kNow), Duration{0.0});
}

TEST(ParseRetryAfter, IsNoneForAnythingElse) {
  for (std::string_view text : {"", "soon", "-5", "1.5", "12s"}) {
    EXPECT_FALSE(ParseRetryAfter(text, kNow).has_value()) << text;
  }
}

// Found by fuzz/link_header_fuzz: a date after 2262 overflowed the clock's nanoseconds (undefined
// behaviour); it is now read as no date, like any other date the clock cannot hold.
TEST(ParseHttpDate, RefusesDatesTheClockCannotHold) {
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 3988 08:49:37 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 0001 08:49:37 GMT").has_value());
  EXPECT_FALSE(ParseRetryAfter("Sun, 06 Nov 3988 08:49:37 GMT", kNow).has_value());
  EXPECT_TRUE(ParseHttpDate("Fri, 31 Dec 2199 23:59:59 GMT").has_value());
}

}  // namespace
}  // namespace maiev::registry
