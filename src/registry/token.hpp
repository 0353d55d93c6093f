// Bearer tokens of the registry token protocol, parsed without I/O.
// Protocol: https://distribution.github.io/distribution/spec/auth/token/ (and /oauth/).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace maiev::registry {

// A token's lifetime when the token service names none or a shorter one (the protocol's
// minimum, as Docker reads it).
inline constexpr Duration kMinimumTokenLifetime{60.0};
// Longer lifetimes are read as this one: a token is fetched again at least daily.
inline constexpr Duration kMaximumTokenLifetime{86'400.0};

struct BearerToken {
  std::string token;  // a secret: never logged, never in an error or an API answer
  TimePoint expires_at;
};

// The reply of a token service: `token` or `access_token` (OAuth2), `expires_in` seconds
// (default and minimum 60, at most a day), `issued_at` (RFC 3339) as the start of the lifetime when
// it is not after `now` (a token service's clock ahead of ours must not make a token outlive its
// lifetime here), else `now`. Errors "protocol" say which member is wrong, never its value.
Result<BearerToken> ParseTokenResponse(std::string_view body, TimePoint now);

// The scope of pulling from a repository: "repository:NAME:pull".
std::string PullScope(std::string_view repository);

}  // namespace maiev::registry
