// UTC timestamps in RFC 3339 form, for log lines and API answers.
#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "common/clock.hpp"

namespace maiev {

// "2026-12-01T19:51:20Z": whole seconds, for people.
inline std::string FormatUtcSeconds(TimePoint t) {
  const std::time_t secs = WallClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "2026-12-01T19:51:20.123Z": milliseconds, for records that are ordered by time.
inline std::string FormatUtcMillis(TimePoint t) {
  std::string text = FormatUtcSeconds(t);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  text.replace(text.size() - 1, 1, fraction);
  return text;
}

}  // namespace maiev
