// The HTTP headers a registry client reads, parsed without I/O: the authentication challenge
// (WWW-Authenticate), pagination (Link) and rate limiting (Retry-After).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace maiev::registry {

// One challenge of a WWW-Authenticate header (RFC 9110 §11.6.1), e.g.
// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`.
struct AuthChallenge {
  std::string scheme;                         // lowercase: "basic", "bearer", …
  std::map<std::string, std::string> params;  // names lowercase; values unquoted and unescaped

  // The value of a parameter (name in lowercase), "" when absent.
  std::string Param(std::string_view name) const;
  friend bool operator==(const AuthChallenge&, const AuthChallenge&) = default;
};

// Every challenge of a WWW-Authenticate value, in order. A value is a token or a quoted string
// (which may hold commas, `=` and backslash-escaped quotes); a token68 (`Basic dXNlcg==`) is kept
// under the name "token68". Error code "protocol" with the offset of the first character that
// does not fit (an unterminated quote, a parameter without a name, an empty value).
Result<std::vector<AuthChallenge>> ParseAuthChallenges(std::string_view header);

// The first challenge of `scheme` (lowercase), or nullptr.
const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges,
                                   std::string_view scheme);

// `reference` resolved against the absolute URL `base` (RFC 3986 §5.2, without dot-segment
// removal): absolute URLs as they are, `//host/p`, `/p?q`, `?q` and relative paths against base.
std::string ResolveUrl(std::string_view base, std::string_view reference);

// "scheme://authority" of an absolute URL, lowercase; "" when `url` has no scheme.
std::string UrlOrigin(std::string_view url);

// The target of the `rel="next"` link of a Link header (RFC 8288), resolved against
// `request_url` — the registry sends `</v2/name/tags/list?last=x&n=100>; rel="next"`. nullopt
// when no link has rel `next` (the last page). Error code "protocol" when the header is not a
// list of `<URI>; params`.
Result<std::optional<std::string>> NextPageLink(std::string_view link_header,
                                                std::string_view request_url);

// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7), the only form a sender may
// generate; nullopt for anything else.
std::optional<TimePoint> ParseHttpDate(std::string_view text);

// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as the wait from `now` (never
// negative: a date in the past is no wait). nullopt when the value is neither.
std::optional<Duration> ParseRetryAfter(std::string_view value, TimePoint now);

}  // namespace maiev::registry
