#include "api/web_assets.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace maiev::api {
namespace {

// The names of the page's files carry no version, so a browser must ask again each time (a 304
// when nothing changed): a page newer than its cached scripts would break after an upgrade.
constexpr std::string_view kCacheControl = "no-cache";

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Calls `f` with each comma-separated element of a header value, trimmed and non-empty; stops
// when `f` returns true, and returns whether it did.
template <typename F>
bool AnyElement(std::string_view value, F f) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string_view element = Trimmed(value.substr(0, comma));
    if (!element.empty() && f(element)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// The weight of an Accept-Encoding element's `q` parameter (1 when absent or unreadable).
double Quality(std::string_view parameters) {
  while (!parameters.empty()) {
    const std::size_t semicolon = parameters.find(';');
    const std::string_view p = Trimmed(parameters.substr(0, semicolon));
    if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      const std::string number(p.substr(2));
      char* end = nullptr;
      const double q = std::strtod(number.c_str(), &end);
      return end != number.c_str() ? q : 1.0;
    }
    if (semicolon == std::string_view::npos) break;
    parameters.remove_prefix(semicolon + 1);
  }
  return 1.0;
}

}  // namespace

const WebAsset* FindWebAsset(std::string_view name) {
  const std::span<const WebAsset> assets = EmbeddedWebAssets();
  const auto it =
      std::lower_bound(assets.begin(), assets.end(), name,
                       [](const WebAsset& a, std::string_view n) { return a.name < n; });
  return it != assets.end() && it->name == name ? &*it : nullptr;
}

std::string_view ContentTypeFor(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [extension, type] : kTypes) {
    if (name.ends_with(extension)) return type;
  }
  return "application/octet-stream";
}

bool AcceptsGzip(std::string_view accept_encoding) {
  return AnyElement(accept_encoding, [](std::string_view element) {
    const std::size_t semicolon = element.find(';');
    const std::string_view coding = Trimmed(element.substr(0, semicolon));
    const bool named =
        EqualsIgnoringCase(coding, "gzip") || EqualsIgnoringCase(coding, "x-gzip") || coding == "*";
    return named &&
           Quality(semicolon == std::string_view::npos ? "" : element.substr(semicolon + 1)) > 0;
  });
}

std::string WithoutCoding(std::string_view accept_encoding, std::string_view coding) {
  std::string kept;
  AnyElement(accept_encoding, [&](std::string_view element) {
    if (!EqualsIgnoringCase(Trimmed(element.substr(0, element.find(';'))), coding)) {
      if (!kept.empty()) kept += ", ";
      kept += element;
    }
    return false;
  });
  return kept;
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  return AnyElement(if_none_match, [etag](std::string_view tag) {
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag == etag;
  });
}

Result<std::string> Gunzip(std::span<const unsigned char> gzip) {
  z_stream stream{};
  // 16 + MAX_WBITS: a gzip header and trailer, not a raw zlib stream.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return Fail("internal", "gunzip: cannot start zlib");
  }
  std::string out;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): zlib's API is not const-correct.
  stream.next_in = const_cast<unsigned char*>(gzip.data());
  stream.avail_in = static_cast<uInt>(gzip.size());
  std::array<unsigned char, 16384> chunk{};
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = chunk.data();
    stream.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - stream.avail_out);
  }
  inflateEnd(&stream);
  if (rc != Z_STREAM_END) return Fail("internal", "gunzip: not a complete gzip stream");
  return out;
}

AssetAnswer AnswerAsset(const WebAsset& asset, std::string_view accept_encoding,
                        std::string_view if_none_match) {
  AssetAnswer answer;
  answer.gzip = AcceptsGzip(accept_encoding);
  const std::string etag =
      "\"" + std::string(asset.hash) + (answer.gzip ? std::string("-gzip") : std::string()) + "\"";
  if (!if_none_match.empty() && EtagMatches(if_none_match, etag)) answer.status = 304;
  answer.headers = {
      {"ETag", etag},
      {"Cache-Control", std::string(kCacheControl)},
      {"Vary", "Accept-Encoding"},
      {"Content-Security-Policy", std::string(kWebContentSecurityPolicy)},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  };
  if (answer.gzip && answer.status == 200) answer.headers.emplace_back("Content-Encoding", "gzip");
  return answer;
}

}  // namespace maiev::api
