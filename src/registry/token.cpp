#include "registry/token.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

namespace maiev::registry {
namespace {

using nlohmann::json;

std::optional<int> Digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

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
    auto issued = ParseRfc3339(it->get<std::string>());
    if (!issued) {
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

std::optional<TimePoint> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  auto year = Digits(text.substr(0, 4));
  auto month = Digits(text.substr(5, 2));
  auto day = Digits(text.substr(8, 2));
  auto hour = Digits(text.substr(11, 2));
  auto minute = Digits(text.substr(14, 2));
  auto second = Digits(text.substr(17, 2));
  if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  std::string_view rest = text.substr(19);
  double fraction = 0.0;
  if (!rest.empty() && rest.front() == '.') {
    std::size_t end = 1;
    double scale = 0.1;
    while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') {
      fraction += (rest[end] - '0') * scale;
      scale /= 10;
      ++end;
    }
    if (end == 1) return std::nullopt;
    rest.remove_prefix(end);
  }
  std::chrono::minutes offset{0};
  if (rest == "Z" || rest == "z") {
    // UTC
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    auto hours = Digits(rest.substr(1, 2));
    auto minutes = Digits(rest.substr(4, 2));
    if (!hours || !minutes || *hours > 23 || *minutes > 59) return std::nullopt;
    offset = std::chrono::minutes{*hours * 60 + *minutes};
    if (rest[0] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  const TimePoint local = TimePoint{std::chrono::sys_days{date}} + std::chrono::hours{*hour} +
                          std::chrono::minutes{*minute} + std::chrono::seconds{*second} +
                          std::chrono::duration_cast<WallClock::duration>(Duration{fraction});
  return local - offset;
}

}  // namespace maiev::registry
