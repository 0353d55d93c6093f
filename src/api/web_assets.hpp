// The files of the web page (web/, docs/WEB.md), embedded in the binary at build time
// gzip-compressed (cmake/web.cmake generates their data), and what the server answers for one:
// which encoding, which validator, which headers. Pure: no socket, no clock.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace maiev::api {

// One embedded file. The bytes are static: an asset lives as long as the program.
struct WebAsset {
  std::string_view name;  // as in /assets/NAME; the page itself is "index.html"
  // A strong validator of the file's bytes (SHA-256, shortened), unquoted.
  std::string_view hash;
  std::span<const unsigned char> gzip;  // the file, gzip-compressed
  std::size_t size = 0;                 // bytes of the file uncompressed
};

// Every embedded file, sorted by name. Built with -DMAIEV_WEB=OFF, only a placeholder
// index.html.
std::span<const WebAsset> EmbeddedWebAssets();

// The embedded file `name`, or nullptr.
const WebAsset* FindWebAsset(std::string_view name);

// The Content-Type of a file by its extension ("application/octet-stream" when unknown).
std::string_view ContentTypeFor(std::string_view name);

// Whether an Accept-Encoding header value accepts gzip (`gzip`, `x-gzip` or `*` with q > 0).
bool AcceptsGzip(std::string_view accept_encoding);

// An Accept-Encoding header value without the content coding `coding` (e.g. "br"), the others
// as they were.
std::string WithoutCoding(std::string_view accept_encoding, std::string_view coding);

// Whether an If-None-Match header value names `etag` (quoted, as sent in ETag) or is `*`. Weak
// comparison, as RFC 9110 §13.1.2 asks: `W/"x"` matches `"x"`.
bool EtagMatches(std::string_view if_none_match, std::string_view etag);

// The bytes `gzip` decompressed; error "internal" when they are no gzip stream.
Result<std::string> Gunzip(std::span<const unsigned char> gzip);

// The Content-Security-Policy of the page: its own origin only, no inline script or style
// attribute, no framing.
inline constexpr std::string_view kWebContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// What to answer for a GET of an asset.
struct AssetAnswer {
  int status = 200;   // 200, or 304 when If-None-Match names the representation
  bool gzip = false;  // the body is the gzip stream (Content-Encoding: gzip)
  std::vector<std::pair<std::string, std::string>> headers;
};

// The answer for `asset` given the request's Accept-Encoding and If-None-Match values. The gzip
// and the identity representation have distinct ETags (`"HASH-gzip"`, `"HASH"`), as caches keep
// them apart; both carry `Vary: Accept-Encoding`.
AssetAnswer AnswerAsset(const WebAsset& asset, std::string_view accept_encoding,
                        std::string_view if_none_match);

}  // namespace maiev::api
