// The web page's routes of HttpApi: `/` (and `/index.html`) and `/assets/NAME`, answered from
// the files embedded at build time (web_assets.hpp, docs/WEB.md).
#include <httplib.h>

#include <memory>
#include <string>

#include "api/http_api.hpp"
#include "api/http_replies.hpp"
#include "api/web_assets.hpp"

namespace maiev::api {
namespace {

// Writes `bytes` as the body of `res`. Through a content provider of known length: cpp-httplib
// compresses what set_content gives it by its type, which would encode a gzip body twice.
// `owner` keeps bytes that are not static alive until the provider is done with them.
void SetBody(httplib::Response& res, std::span<const char> bytes, std::string_view content_type,
             std::shared_ptr<const std::string> owner = nullptr) {
  res.set_content_provider(bytes.size(), std::string(content_type),
                           [bytes, owner = std::move(owner)](std::size_t offset, std::size_t length,
                                                             httplib::DataSink& sink) {
                             return sink.write(bytes.data() + offset, length);
                           });
}

void ServeAsset(const httplib::Request& req, httplib::Response& res, const WebAsset& asset) {
  const AssetAnswer answer = AnswerAsset(asset, req.get_header_value("Accept-Encoding"),
                                         req.get_header_value("If-None-Match"));
  for (const auto& [name, value] : answer.headers) res.set_header(name, value);
  res.status = answer.status;
  if (answer.status != 200) return;
  const std::string_view type = ContentTypeFor(asset.name);
  if (answer.gzip) {
    const std::span<const char> bytes(reinterpret_cast<const char*>(asset.gzip.data()),
                                      asset.gzip.size());
    return SetBody(res, bytes, type);
  }
  // A client that takes no gzip (curl without --compressed): the rare case, decompressed on
  // each request rather than kept twice in the binary.
  auto body = Gunzip(asset.gzip);
  if (!body.ok()) return ReplyFailure(req, res, body.error(), 500);
  auto owned = std::make_shared<const std::string>(std::move(*body));
  SetBody(res, std::span<const char>(owned->data(), owned->size()), type, owned);
}

}  // namespace

void HttpApi::WebPage(const httplib::Request& req, httplib::Response& res) {
  const WebAsset* page = FindWebAsset("index.html");
  if (page == nullptr) return ReplyError(res, 500, "internal", "the web page is not embedded");
  ServeAsset(req, res, *page);
}

void HttpApi::WebAssetFile(const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.matches[1];
  const WebAsset* asset = FindWebAsset(name);
  if (asset == nullptr) {
    std::string known;
    for (const WebAsset& a : EmbeddedWebAssets()) {
      if (!known.empty()) known += ", ";
      known += a.name;
    }
    return ReplyError(res, 404, "not_found",
                      "the web page has no file '" + name + "' (it has: " + known + ")");
  }
  ServeAsset(req, res, *asset);
}

}  // namespace maiev::api
