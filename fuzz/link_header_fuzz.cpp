// Link, Retry-After and HTTP dates (src/registry/http_headers). The first line of the input is
// a request URL, the rest a header value. Invariants: an error is "protocol" and sendable as
// JSON; an absolute path resolves on the origin of the URL it is resolved against; a Retry-After
// is never a negative wait.
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "registry/http_headers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::fuzz::Check;
  const auto [url, header] = maiev::fuzz::FirstLine(maiev::fuzz::Text(data, size));

  constexpr std::string_view kRequest = "https://registry.example:5000/v2/a/b/tags/list?n=100";
  for (const std::string_view request : {kRequest, url}) {
    auto next = maiev::registry::NextPageLink(header, request);
    if (!next.ok()) {
      Check(next.error().code == "protocol");
      maiev::fuzz::CheckMessage(next.error().message);
    }
  }
  // An absolute path stays on the request's origin (the client refuses a next page elsewhere).
  if (header.empty() || header.front() != '/') {
    const std::string path = "/" + std::string(header);
    Check(maiev::registry::UrlOrigin(maiev::registry::ResolveUrl(kRequest, path)) ==
          maiev::registry::UrlOrigin(kRequest));
  }
  static_cast<void>(maiev::registry::ResolveUrl(url, header));
  static_cast<void>(maiev::registry::UrlOrigin(url));

  const maiev::TimePoint now{std::chrono::seconds{1'700'000'000}};
  for (const std::string_view value : {url, header}) {
    if (auto wait = maiev::registry::ParseRetryAfter(value, now)) Check(wait->count() >= 0);
    static_cast<void>(maiev::registry::ParseHttpDate(value));
  }
  return 0;
}
