#include "orchestrator/outage_log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/time_format.hpp"

namespace maiev::orchestrator {
namespace {

using ::testing::HasSubstr;
using Severity = OutageLog::Severity;

const Error kNoSocket{"io",
                      "Docker Engine at unix:///var/run/docker.sock: No such file or directory "
                      "(GET /version)"};

TEST(OutageLog, WarnsOnceWhenItGoesDownThenOnlyAtTheReminderInterval) {
  ManualClock clock;  // 2023-11-14T22:13:20Z
  OutageLog log("Docker", Duration{300});
  const OutageLog::Line first = log.Failed(clock.Now(), kNoSocket, Duration{1});
  EXPECT_EQ(first.severity, Severity::kWarning);
  EXPECT_EQ(first.text,
            "Docker unreachable: Docker Engine at unix:///var/run/docker.sock: No such file or "
            "directory (GET /version); retrying, next attempt in 1s, with a reminder every 5m00s");

  // Every 2.6 s for an hour: one reminder per 5 minutes, nothing louder than debug otherwise.
  int warnings = 0;
  std::vector<std::string> reminders;
  for (int i = 0; i < 1384; ++i) {
    clock.Advance(Duration{2.6});
    const OutageLog::Line line = log.Failed(clock.Now(), kNoSocket, Duration{2.6});
    if (line.severity == Severity::kWarning) {
      ++warnings;
      reminders.push_back(line.text);
    } else {
      EXPECT_EQ(line.severity, Severity::kDebug);
    }
  }
  EXPECT_EQ(warnings, 11);  // 1384 × 2.6 s ≈ 59 min 58 s
  ASSERT_FALSE(reminders.empty());
  EXPECT_EQ(
      reminders.front(),
      "Docker still unreachable since 2023-11-14T22:13:20Z (117 failed attempts; next attempt "
      "in 2.6s): Docker Engine at unix:///var/run/docker.sock: No such file or directory "
      "(GET /version)");
  EXPECT_TRUE(log.down());
  EXPECT_EQ(log.down_since(), TimePoint{std::chrono::seconds{1'700'000'000}});
  EXPECT_EQ(log.failures(), 1385);
}

TEST(OutageLog, SaysOnceWhenItIsBackAndHowLongItWasDown) {
  ManualClock clock;
  OutageLog log("Docker", Duration{300});
  EXPECT_EQ(log.Succeeded(clock.Now()), std::nullopt);  // up from the start: nothing to say
  (void)log.Failed(clock.Now(), kNoSocket, Duration{1});
  clock.Advance(Duration{1});
  (void)log.Failed(clock.Now(), kNoSocket, Duration{2});
  clock.Advance(Duration{125});
  const auto back = log.Succeeded(clock.Now());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->severity, Severity::kInfo);
  EXPECT_EQ(back->text, "Docker reachable again after 2m06s (2 failed attempts)");
  EXPECT_FALSE(log.down());
  EXPECT_EQ(log.failures(), 0);
  EXPECT_EQ(log.Succeeded(clock.Now()), std::nullopt);

  // A new outage warns again at once.
  clock.Advance(Duration{10});
  EXPECT_EQ(log.Failed(clock.Now(), kNoSocket, Duration{1}).severity, Severity::kWarning);
}

TEST(OutageLog, FormatsDurationsForPeople) {
  EXPECT_EQ(HumanDuration(Duration{0.25}), "0.25s");
  EXPECT_EQ(HumanDuration(Duration{2.6}), "2.6s");
  EXPECT_EQ(HumanDuration(Duration{42}), "42s");
  EXPECT_EQ(HumanDuration(Duration{300}), "5m00s");
  EXPECT_EQ(HumanDuration(Duration{7390}), "2h03m10s");
  EXPECT_EQ(FormatUtcSeconds(TimePoint{std::chrono::seconds{0}}), "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace maiev::orchestrator
