// The web page's routes on a free loopback port: `/`, `/index.html` and `/assets/NAME` as a
// browser and as curl ask for them (types, gzip or not, ETag and 304, the security headers), and
// an unknown file in the API's error shape.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <thread>

#include "api/http_api.hpp"
#include "api/loopback_test_support.hpp"
#include "api/web_assets.hpp"

namespace maiev::api {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class WebRoutesTest : public testing::LoopbackApiTest {
 protected:
  void SetUp() override {
    HttpApiOptions options;
    options.api_token = "t";
    ASSERT_TRUE(StartApi(options));
  }

  // A GET with `headers`; the body as it came over the wire (not decompressed).
  httplib::Result Get(const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Client client = Client();
    client.set_decompress(false);
    return client.Get(path.c_str(), headers);
  }
};

TEST_F(WebRoutesTest, ThePageIsGzipForABrowserWithTheSecurityHeaders) {
  const WebAsset* page = FindWebAsset("index.html");
  ASSERT_NE(page, nullptr);
  for (const char* path : {"/", "/index.html"}) {
    auto res = Get(path, {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
    // Encoded once: httplib's own compression must not encode it again (as br, say).
    EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip");
    EXPECT_EQ(res->get_header_value_count("Content-Encoding"), 1u);
    EXPECT_EQ(res->body.size(), page->gzip.size());
    EXPECT_EQ(Gunzip(std::span(reinterpret_cast<const unsigned char*>(res->body.data()),
                               res->body.size()))
                  ->size(),
              page->size);
    EXPECT_EQ(res->get_header_value("ETag"), "\"" + std::string(page->hash) + "-gzip\"");
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
    EXPECT_EQ(res->get_header_value("Vary"), "Accept-Encoding");
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    const std::string csp = res->get_header_value("Content-Security-Policy");
    EXPECT_THAT(csp, StartsWith("default-src 'self'"));
    EXPECT_THAT(csp, HasSubstr("script-src 'self';"));
    EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
  }
}

TEST_F(WebRoutesTest, AClientWithoutGzipGetsThePlainFile) {
  const WebAsset* page = FindWebAsset("index.html");
  ASSERT_NE(page, nullptr);
  auto res = Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->has_header("Content-Encoding"));
  EXPECT_EQ(res->body.size(), page->size);
  EXPECT_THAT(res->body, StartsWith("<!doctype html>"));
  EXPECT_EQ(res->get_header_value("ETag"), "\"" + std::string(page->hash) + "\"");
  // Only gzip is offered; a client asking for brotli alone gets the plain file too.
  auto br = Get("/", {{"Accept-Encoding", "br"}});
  ASSERT_TRUE(br);
  EXPECT_FALSE(br->has_header("Content-Encoding"));
  EXPECT_EQ(br->body.size(), page->size);
}

TEST_F(WebRoutesTest, AKnownEtagIsAnsweredWith304AndNoBody) {
  auto first = Get("/", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(first);
  const std::string etag = first->get_header_value("ETag");
  auto again = Get("/", {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  EXPECT_EQ(again->get_header_value("ETag"), etag);
  auto other = Get("/", {{"Accept-Encoding", "gzip"}, {"If-None-Match", "\"stale\""}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
}

TEST_F(WebRoutesTest, AssetsHaveTheirTypes) {
  for (const WebAsset& asset : EmbeddedWebAssets()) {
    const std::string name(asset.name);
    auto res = Get("/assets/" + name, {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(res) << name;
    EXPECT_EQ(res->status, 200) << name;
    EXPECT_EQ(res->get_header_value("Content-Type"), ContentTypeFor(name)) << name;
    EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip") << name;
  }
#if MAIEV_WEB_PAGE
  auto script = Get("/assets/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_THAT(script->body, HasSubstr("import "));
  auto style = Get("/assets/app.css");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->get_header_value("Content-Type"), "text/css; charset=utf-8");
#endif
}

TEST_F(WebRoutesTest, AnUnknownAssetIs404InTheErrorShape) {
  for (const char* path : {"/assets/nothing.js", "/assets/..", "/assets/index.html.gz"}) {
    auto res = Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    const auto body = nlohmann::json::parse(res->body, nullptr, false);
    EXPECT_EQ(body.value("error", ""), "not_found") << path;
    EXPECT_THAT(body.value("message", ""), HasSubstr("the web page has no file")) << path;
  }
  // A deeper path is no route at all, also when its slash is escaped: nothing outside the
  // embedded files can be named.
  for (const char* path : {"/assets/a/b.js", "/assets/..%2Fhttp_api.cpp"}) {
    auto deeper = Get(path);
    ASSERT_TRUE(deeper) << path;
    EXPECT_EQ(deeper->status, 404) << path;
    EXPECT_EQ(nlohmann::json::parse(deeper->body, nullptr, false).value("error", ""), "not_found")
        << path;
  }
}

// What the page reads is compressed as a browser asks, but never with httplib's brotli, which
// takes most of a second for a large answer.
TEST_F(WebRoutesTest, TheApiAnswersABrowserInGzip) {
  auto res = Get("/api/v1/openapi.json", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip");
  auto brotli_only = Get("/api/v1/openapi.json", {{"Accept-Encoding", "br"}});
  ASSERT_TRUE(brotli_only);
  EXPECT_FALSE(brotli_only->has_header("Content-Encoding"));
  EXPECT_EQ(nlohmann::json::parse(brotli_only->body, nullptr, false).value("openapi", ""), "3.0.3");
}

TEST_F(WebRoutesTest, ThePageRoutesAreDocumentedAndCounted) {
  const nlohmann::json doc = HttpApi::OpenApiDocument();
  EXPECT_TRUE(doc["paths"].contains("/"));
  EXPECT_TRUE(doc["paths"].contains("/index.html"));
  ASSERT_TRUE(doc["paths"].contains("/assets/{file}"));
  const nlohmann::json& parameters = doc["paths"]["/assets/{file}"]["get"]["parameters"];
  ASSERT_EQ(parameters.size(), 1u);
  EXPECT_EQ(parameters[0]["name"], "file");
  EXPECT_EQ(parameters[0]["in"], "path");
  ASSERT_TRUE(Get("/"));
  ASSERT_TRUE(Get("/assets/nothing.js"));
  auto metrics = Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("maiev_api_requests_total{route=\"/\",code=\"200\"}"));
  EXPECT_THAT(metrics->body,
              HasSubstr("maiev_api_requests_total{route=\"/assets/{file}\",code=\"404\"}"));
  // The page's routes answer GET (and HEAD) only.
  httplib::Client client("127.0.0.1", api_->port());
  auto post = client.Post("/", "", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto head = client.Head("/assets/" + std::string(EmbeddedWebAssets().front().name));
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
}

}  // namespace
}  // namespace maiev::api
