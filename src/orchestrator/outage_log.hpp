// What to log about a dependency that a loop keeps retrying (the Docker Engine): a warning when
// it becomes unreachable, a reminder every so often while it stays so, and one line when it is
// back — never a warning per attempt, which would flood the log for as long as an outage lasts.
#pragma once

#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace maiev::orchestrator {

// How often an outage that lasts is recalled in the log.
inline constexpr Duration kOutageReminderInterval{300.0};

// Pure: the caller passes each attempt's time and outcome and logs the line it gets back. Not
// thread-safe: one retrying loop owns one.
class OutageLog {
 public:
  enum class Severity { kDebug, kInfo, kWarning };
  struct Line {
    Severity severity = Severity::kDebug;
    std::string text;
    friend bool operator==(const Line&, const Line&) = default;
  };

  // `subject` names the dependency in the lines, e.g. "Docker".
  explicit OutageLog(std::string subject, Duration reminder = kOutageReminderInterval);

  // After an attempt that failed at `now`; the next one is in `retry_in`. A warning when the
  // dependency was not known to be down, a reminder (warning) once `reminder` has passed since
  // the last one, a debug line otherwise.
  Line Failed(TimePoint now, const Error& error, Duration retry_in);
  // After an attempt that worked at `now`: an info line when it was down, nothing otherwise.
  std::optional<Line> Succeeded(TimePoint now);

  bool down() const { return down_since_.has_value(); }
  std::optional<TimePoint> down_since() const { return down_since_; }
  int failures() const { return failures_; }  // consecutive failed attempts

 private:
  std::string subject_;
  Duration reminder_;
  std::optional<TimePoint> down_since_;
  TimePoint last_warning_{};
  int failures_ = 0;
};

// Writes `line` to the log at its severity.
void Write(const OutageLog::Line& line);

// "0.25s", "42s", "5m00s", "2h03m10s".
std::string HumanDuration(Duration d);

}  // namespace maiev::orchestrator
