#include "api/web_assets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace maiev::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::map<std::string, std::string> Headers(const AssetAnswer& answer) {
  return {answer.headers.begin(), answer.headers.end()};
}

TEST(EmbeddedWebAssets, AreSortedByNameAndEachUnzipsToItsSize) {
  const auto assets = EmbeddedWebAssets();
  ASSERT_FALSE(assets.empty());
  EXPECT_TRUE(std::is_sorted(assets.begin(), assets.end(),
                             [](const WebAsset& a, const WebAsset& b) { return a.name < b.name; }));
  for (const WebAsset& asset : assets) {
    auto body = Gunzip(asset.gzip);
    ASSERT_TRUE(body.ok()) << asset.name << ": " << body.error().message;
    EXPECT_EQ(body->size(), asset.size) << asset.name;
    EXPECT_EQ(asset.hash.size(), 20u) << asset.name;
    EXPECT_EQ(FindWebAsset(asset.name), &asset);
  }
  EXPECT_EQ(FindWebAsset("nothing.js"), nullptr);
  EXPECT_EQ(FindWebAsset(""), nullptr);
}

TEST(EmbeddedWebAssets, HoldThePageItsScriptsAndUPlot) {
  const WebAsset* page = FindWebAsset("index.html");
  ASSERT_NE(page, nullptr);
  const std::string html = Gunzip(page->gzip).value();
  EXPECT_THAT(html, StartsWith("<!doctype html>"));
#if MAIEV_WEB_PAGE
  // Every script is a file of its own: the policy allows no inline one.
  EXPECT_THAT(html, HasSubstr(R"(<script type="module" src="/assets/app.js"></script>)"));
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  for (const char* name : {"app.js", "api.js", "app.css", "uplot.js", "uplot.css"}) {
    EXPECT_NE(FindWebAsset(name), nullptr) << name;
  }
  EXPECT_THAT(Gunzip(FindWebAsset("uplot.js")->gzip).value(), HasSubstr("export default uPlot;"));
  // The modules app.js imports are preloaded together rather than found import by import, but
  // for uPlot, which the first chart loads.
  for (const WebAsset& asset : EmbeddedWebAssets()) {
    if (!asset.name.ends_with(".js") || asset.name == "uplot.js" || asset.name == "app.js")
      continue;
    const std::string preload =
        R"(<link rel="modulepreload" href="/assets/)" + std::string(asset.name) + R"(">)";
    EXPECT_THAT(html, HasSubstr(preload));
  }
  EXPECT_THAT(html, Not(HasSubstr("/assets/uplot.js")));
#else
  EXPECT_THAT(html, HasSubstr("-DMAIEV_WEB=OFF"));
  EXPECT_EQ(EmbeddedWebAssets().size(), 1u);
#endif
}

TEST(ContentTypeFor, NamesTheTypeByExtension) {
  EXPECT_EQ(ContentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("app.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("data.bin"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("js"), "application/octet-stream");
}

TEST(AcceptsGzip, ReadsCodingsAndTheirWeights) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip(" deflate ,gzip ; q=0.001"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.0, br"));
  EXPECT_FALSE(AcceptsGzip("gzipx, xgzip"));
}

TEST(WithoutCoding, DropsOneCodingAndKeepsTheRest) {
  EXPECT_EQ(WithoutCoding("gzip, deflate, br", "br"), "gzip, deflate");
  EXPECT_EQ(WithoutCoding("br;q=1.0, gzip;q=0.8", "br"), "gzip;q=0.8");
  EXPECT_EQ(WithoutCoding("BR", "br"), "");
  EXPECT_EQ(WithoutCoding("gzip", "br"), "gzip");
  EXPECT_EQ(WithoutCoding("", "br"), "");
  EXPECT_EQ(WithoutCoding("brotli, gzip", "br"), "brotli, gzip");
}

TEST(EtagMatches, ComparesWeaklyAndTakesLists) {
  EXPECT_TRUE(EtagMatches(R"("abc")", R"("abc")"));
  EXPECT_TRUE(EtagMatches(R"(W/"abc")", R"("abc")"));
  EXPECT_TRUE(EtagMatches(R"("x", "abc")", R"("abc")"));
  EXPECT_TRUE(EtagMatches("*", R"("abc")"));
  EXPECT_FALSE(EtagMatches(R"("abc-gzip")", R"("abc")"));
  EXPECT_FALSE(EtagMatches(R"(abc)", R"("abc")"));
  EXPECT_FALSE(EtagMatches("", R"("abc")"));
}

TEST(Gunzip, RefusesWhatIsNoCompleteGzipStream) {
  const WebAsset* page = FindWebAsset("index.html");
  ASSERT_NE(page, nullptr);
  EXPECT_FALSE(Gunzip(page->gzip.first(page->gzip.size() / 2)).ok());
  const unsigned char junk[] = {'h', 'e', 'l', 'l', 'o'};
  auto refused = Gunzip(junk);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "internal");
}

TEST(AnswerAsset, GivesGzipWithItsOwnEtagWhenAcceptedAndA304ForAKnownOne) {
  const WebAsset asset{"app.js", "0123456789abcdef0123", {}, 10};
  const AssetAnswer gzip = AnswerAsset(asset, "gzip, br", "");
  EXPECT_EQ(gzip.status, 200);
  EXPECT_TRUE(gzip.gzip);
  auto headers = Headers(gzip);
  EXPECT_EQ(headers["ETag"], R"("0123456789abcdef0123-gzip")");
  EXPECT_EQ(headers["Content-Encoding"], "gzip");
  EXPECT_EQ(headers["Vary"], "Accept-Encoding");
  EXPECT_EQ(headers["Cache-Control"], "no-cache");
  EXPECT_EQ(headers["X-Content-Type-Options"], "nosniff");
  EXPECT_THAT(headers["Content-Security-Policy"], HasSubstr("default-src 'self'"));
  EXPECT_THAT(headers["Content-Security-Policy"], HasSubstr("script-src 'self';"));
  EXPECT_THAT(headers["Content-Security-Policy"], Not(HasSubstr("unsafe-inline")));

  const AssetAnswer plain = AnswerAsset(asset, "identity", "");
  EXPECT_FALSE(plain.gzip);
  EXPECT_EQ(Headers(plain)["ETag"], R"("0123456789abcdef0123")");
  EXPECT_EQ(Headers(plain).count("Content-Encoding"), 0u);

  const AssetAnswer again = AnswerAsset(asset, "gzip", R"("0123456789abcdef0123-gzip")");
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(Headers(again).count("Content-Encoding"), 0u);
  EXPECT_EQ(Headers(again)["ETag"], R"("0123456789abcdef0123-gzip")");
  // The identity ETag does not validate the gzip body, nor the other way round.
  EXPECT_EQ(AnswerAsset(asset, "gzip", R"("0123456789abcdef0123")").status, 200);
  EXPECT_EQ(AnswerAsset(asset, "", R"("0123456789abcdef0123-gzip")").status, 200);
  EXPECT_EQ(AnswerAsset(asset, "", R"(W/"0123456789abcdef0123")").status, 304);
}

}  // namespace
}  // namespace maiev::api
