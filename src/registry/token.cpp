#include "registry/token.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/time_format.hpp"

namespace maiev::registry {
namespace {

using nlohmann::json;

// The token member: `token`, else `access_token`; "" when neither is a non-empty string.
std::string TokenMember(const json& doc) {
  for (const char* key : {"token", "access_token"}) {
    auto it = doc.find(key);
    if (it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  return {};
}

}  // namespace

Result<BearerToken> ParseTokenResponse(std::string_view body, TimePoint now) {
  // The parser's message could quote the body, which holds the token: only the position is kept.
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    return Fail("protocol",
                "token service reply is not JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {  // out_of_range: a number too large for a double
    return Fail("protocol", "token service reply is not JSON (a number out of range)");
  }
  if (!doc.is_object()) return Fail("protocol", "token service reply: expected an object");
  BearerToken out;
  out.token = TokenMember(doc);
  if (out.token.empty()) {
    return Fail("protocol", "token service reply: no `token` or `access_token` string");
  }
  Duration lifetime = kMinimumTokenLifetime;
  if (auto it = doc.find("expires_in"); it != doc.end() && !it->is_null()) {
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      return Fail("protocol", "token service reply, expires_in: expected a number of seconds");
    }
    lifetime =
        std::clamp(Duration{it->get<double>()}, kMinimumTokenLifetime, kMaximumTokenLifetime);
  }
  TimePoint start = now;
  if (auto it = doc.find("issued_at"); it != doc.end() && it->is_string()) {
    auto issued = ParseRfc3339(it->get<std::string>(), Rfc3339Reading::kLenient);
    if (!issued.ok()) {
      return Fail("protocol", "token service reply, issued_at: expected an RFC 3339 time");
    }
    if (*issued <= now) start = *issued;
  }
  out.expires_at = start + std::chrono::duration_cast<WallClock::duration>(lifetime);
  return out;
}

std::string PullScope(std::string_view repository) {
  return "repository:" + std::string(repository) + ":pull";
}

}  // namespace maiev::registry
