#include "orchestrator/outage_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "common/time_format.hpp"

namespace maiev::orchestrator {

OutageLog::OutageLog(std::string subject, Duration reminder)
    : subject_(std::move(subject)), reminder_(reminder) {}

OutageLog::Line OutageLog::Failed(TimePoint now, const Error& error, Duration retry_in) {
  ++failures_;
  const std::string next = "next attempt in " + HumanDuration(retry_in);
  if (!down_since_) {
    down_since_ = now;
    last_warning_ = now;
    return {Severity::kWarning, subject_ + " unreachable: " + error.message + "; retrying, " +
                                    next + ", with a reminder every " + HumanDuration(reminder_)};
  }
  if (now - last_warning_ >= reminder_) {
    last_warning_ = now;
    return {Severity::kWarning,
            subject_ + " still unreachable since " + FormatUtcSeconds(*down_since_) + " (" +
                std::to_string(failures_) + " failed attempts; " + next + "): " + error.message};
  }
  return {Severity::kDebug, subject_ + " still unreachable (attempt " + std::to_string(failures_) +
                                "; " + next + "): " + error.message};
}

std::optional<OutageLog::Line> OutageLog::Succeeded(TimePoint now) {
  const std::optional<TimePoint> since = std::exchange(down_since_, std::nullopt);
  const int failures = std::exchange(failures_, 0);
  if (!since) return std::nullopt;
  return Line{Severity::kInfo, subject_ + " reachable again after " + HumanDuration(now - *since) +
                                   " (" + std::to_string(failures) + " failed attempts)"};
}

void Write(const OutageLog::Line& line) {
  switch (line.severity) {
    case OutageLog::Severity::kDebug:
      spdlog::debug("{}", line.text);
      return;
    case OutageLog::Severity::kInfo:
      spdlog::info("{}", line.text);
      return;
    case OutageLog::Severity::kWarning:
      spdlog::warn("{}", line.text);
      return;
  }
}

std::string HumanDuration(Duration d) {
  const double seconds = std::max(0.0, d.count());
  char buf[48];
  if (seconds < 10 && seconds != std::floor(seconds)) {
    std::snprintf(buf, sizeof buf, "%.2gs", seconds);
    return buf;
  }
  const auto whole = static_cast<long long>(std::llround(seconds));
  const long long h = whole / 3600;
  const long long m = whole / 60 % 60;
  const long long s = whole % 60;
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", h, m, s);
  } else if (m > 0) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%llds", s);
  }
  return buf;
}

}  // namespace maiev::orchestrator
