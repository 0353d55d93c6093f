#include "common/time_format.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>

namespace maiev {
namespace {

// The number the decimal digits of `text` spell, or -1 for anything else (a sign, nothing).
// REQUIRES: text.size() <= 9
int Digits(std::string_view text) {
  if (text.empty()) return -1;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// "+02:00" → 120, "-05:30" → -330, "Z" (or "z" when `lenient`) → 0; nullopt for anything else.
std::optional<int> OffsetMinutes(std::string_view zone, bool lenient) {
  if (zone == "Z" || (lenient && zone == "z")) return 0;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') {
    return std::nullopt;
  }
  const int hours = Digits(zone.substr(1, 2));
  const int minutes = Digits(zone.substr(4, 2));
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return std::nullopt;
  return (zone[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
}

}  // namespace

std::string FormatUtcSeconds(TimePoint t) {
  // Rounded down, as a calendar reads: 0.5 s before 1970 is 1969-12-31T23:59:59.500Z.
  const std::time_t secs = static_cast<std::time_t>(
      std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatUtcMillis(TimePoint t) {
  std::string text = FormatUtcSeconds(t);
  const auto since_epoch = t.time_since_epoch();
  const auto millis = (std::chrono::floor<std::chrono::milliseconds>(since_epoch) -
                       std::chrono::floor<std::chrono::seconds>(since_epoch))
                          .count();
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  text.replace(text.size() - 1, 1, fraction);
  return text;
}

Result<TimePoint> ParseRfc3339(std::string_view text, Rfc3339Reading reading) {
  const bool lenient = reading == Rfc3339Reading::kLenient;
  const auto invalid = [text] {
    return Fail("invalid", "invalid time \"" + std::string(text) +
                               "\"; accepted: " + std::string(kRfc3339Form));
  };
  // YYYY-MM-DDTHH:MM:SS, then the fraction and the zone.
  constexpr std::size_t kBase = 19;
  const auto is_separator = [lenient](char c) {
    return c == 'T' || (lenient && (c == 't' || c == ' '));
  };
  if (text.size() <= kBase || text[4] != '-' || text[7] != '-' || !is_separator(text[10]) ||
      text[13] != ':' || text[16] != ':') {
    return invalid();
  }
  const int year = Digits(text.substr(0, 4));
  const int month = Digits(text.substr(5, 2));
  const int day = Digits(text.substr(8, 2));
  const int hour = Digits(text.substr(11, 2));
  const int minute = Digits(text.substr(14, 2));
  const int second = Digits(text.substr(17, 2));
  std::size_t pos = kBase;
  std::int64_t nanos = 0;
  if (text[pos] == '.') {
    const std::size_t first = ++pos;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      if (pos - first < 9) nanos = nanos * 10 + (text[pos] - '0');
    }
    if (pos == first) return invalid();
    for (std::size_t digits = pos - first; digits < 9; ++digits) nanos *= 10;
  }
  const std::optional<int> offset = OffsetMinutes(text.substr(pos), lenient);
  if (year < 0 || month < 0 || day < 0 || !offset) return invalid();
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 60) {
    return invalid();
  }
  // Whole seconds first: 64-bit seconds hold any four-digit year, the clock's ticks may not.
  const std::chrono::seconds since_epoch =
      std::chrono::sys_days{date}.time_since_epoch() + std::chrono::hours{hour} +
      std::chrono::minutes{minute - *offset} + std::chrono::seconds{second};
  constexpr auto kEarliest =
      std::chrono::ceil<std::chrono::seconds>(TimePoint::min().time_since_epoch());
  constexpr auto kLatest =
      std::chrono::floor<std::chrono::seconds>(TimePoint::max().time_since_epoch());
  // kLatest is excluded: the fraction may add up to a second.
  if (since_epoch < kEarliest || since_epoch >= kLatest) return invalid();
  return TimePoint{
      std::chrono::duration_cast<WallClock::duration>(since_epoch) +
      std::chrono::duration_cast<WallClock::duration>(std::chrono::nanoseconds{nanos})};
}

}  // namespace maiev
