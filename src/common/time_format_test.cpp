#include "common/time_format.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace maiev {
namespace {

using ::testing::HasSubstr;

constexpr TimePoint kMay1 = TimePoint{std::chrono::seconds{1714558830}};  // 2024-05-01T10:20:30Z

std::int64_t NanosSinceEpoch(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

TEST(FormatUtc, WritesWholeSecondsOrMilliseconds) {
  EXPECT_EQ(FormatUtcSeconds(TimePoint{std::chrono::seconds{0}}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtcSeconds(kMay1 + std::chrono::milliseconds{999}), "2024-05-01T10:20:30Z");
  EXPECT_EQ(FormatUtcMillis(kMay1 + std::chrono::milliseconds{7}), "2024-05-01T10:20:30.007Z");
}

// Found by fuzzing: before 1970 the fraction was negative and the second was rounded up.
TEST(FormatUtc, RoundsDownBefore1970) {
  const TimePoint half_before = TimePoint{} - std::chrono::milliseconds{500};
  EXPECT_EQ(FormatUtcSeconds(half_before), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatUtcMillis(half_before), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(FormatUtcMillis(TimePoint{} - std::chrono::milliseconds{1}),
            "1969-12-31T23:59:59.999Z");
  auto read = ParseRfc3339(FormatUtcMillis(half_before));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, half_before);
}

TEST(ParseRfc3339, ReadsUtcAndOffsets) {
  EXPECT_EQ(ParseRfc3339("2024-05-01T10:20:30Z").value(), kMay1);
  EXPECT_EQ(ParseRfc3339("2024-05-01T12:20:30+02:00").value(), kMay1);
  EXPECT_EQ(ParseRfc3339("2024-05-01T04:50:30-05:30").value(), kMay1);
  EXPECT_EQ(ParseRfc3339("2024-05-02T00:20:30+14:00").value(), kMay1);
}

TEST(ParseRfc3339, ReadsFractionsToTheNanosecond) {
  const std::int64_t base = NanosSinceEpoch(kMay1);
  EXPECT_EQ(NanosSinceEpoch(*ParseRfc3339("2024-05-01T10:20:30.5Z")) - base, 500'000'000);
  EXPECT_EQ(NanosSinceEpoch(*ParseRfc3339("2024-05-01T10:20:30.123Z")) - base, 123'000'000);
  EXPECT_EQ(NanosSinceEpoch(*ParseRfc3339("2024-05-01T10:20:30.123456789Z")) - base, 123456789);
  // Digits beyond the nanosecond are read and dropped, as the engine may write them.
  EXPECT_EQ(NanosSinceEpoch(*ParseRfc3339("2024-05-01T10:20:30.1234567891Z")) - base, 123456789);
  EXPECT_EQ(NanosSinceEpoch(*ParseRfc3339("2024-05-01T12:20:30.25+02:00")) - base, 250'000'000);
}

TEST(ParseRfc3339, ReadsWhatFormatUtcMillisWrites) {
  const TimePoint t = kMay1 + std::chrono::milliseconds{42};
  EXPECT_EQ(ParseRfc3339(FormatUtcMillis(t)).value(), t);
  EXPECT_EQ(ParseRfc3339(FormatUtcSeconds(t)).value(), kMay1);
}

TEST(ParseRfc3339, ReadsLeapDaysAndLeapSeconds) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z").ok());
  EXPECT_EQ(ParseRfc3339("2016-12-31T23:59:60Z").value(),
            ParseRfc3339("2017-01-01T00:00:00Z").value());
}

TEST(ParseRfc3339, RefusesWhatIsNotAnRfc3339Time) {
  for (const char* text :
       {"", "2024-05-01", "2024-05-01T10:20:30", "2024-05-01 10:20:30Z", "2024-05-01t10:20:30Z",
        "2024-05-01T10:20:30z", "2024-5-01T10:20:30Z", "+024-05-01T10:20:30Z",
        "2024-05-01T-1:20:30Z", "2024-05-01T10:20:30.Z", "2024-05-01T10:20:30ZZ",
        "2024-05-01T10:20:30+0200", "2024-05-01T10:20:30+02", "2024-05-01T10:20:30+24:00",
        "2024-05-01T10:20:30+02:60", "2024-05-01T10:20:30 Z"}) {
    EXPECT_FALSE(ParseRfc3339(text).ok()) << text;
  }
}

TEST(ParseRfc3339, LenientlyReadsLowercaseAndASpace) {
  using enum Rfc3339Reading;
  EXPECT_EQ(ParseRfc3339("2024-05-01t10:20:30z", kLenient).value(), kMay1);
  EXPECT_EQ(ParseRfc3339("2024-05-01 10:20:30Z", kLenient).value(), kMay1);
  EXPECT_EQ(ParseRfc3339("2024-05-01 12:20:30.000+02:00", kLenient).value(), kMay1);
  for (const char* text :
       {"2024-05-01X10:20:30Z", "2024-05-01T10:20:30", "2024-05-01T10:20:30 z",
        "2024-05-01T10:20:30+0200", "20240501T102030Z", "2024-02-30 10:20:30Z"}) {
    EXPECT_FALSE(ParseRfc3339(text, kLenient).ok()) << text;
  }
}

TEST(ParseRfc3339, RefusesDatesAndTimesThatDoNotExist) {
  for (const char* text : {"2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2023-02-29T00:00:00Z",
                           "2024-04-31T00:00:00Z", "2024-05-00T00:00:00Z", "2024-05-01T24:00:00Z",
                           "2024-05-01T10:60:00Z", "2024-05-01T10:20:61Z"}) {
    EXPECT_FALSE(ParseRfc3339(text).ok()) << text;
  }
}

TEST(ParseRfc3339, RefusesTimesTheClockCannotHold) {
  EXPECT_FALSE(ParseRfc3339("0001-01-01T00:00:00Z").ok());  // the engine's zero time
  EXPECT_FALSE(ParseRfc3339("9999-12-31T23:59:59Z").ok());
}

TEST(ParseRfc3339, SaysWhatItGotAndWhatIsAccepted) {
  auto t = ParseRfc3339("2024-13-01T00:00:00Z");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "invalid");
  EXPECT_EQ(t.error().message,
            "invalid time \"2024-13-01T00:00:00Z\"; accepted: "
            "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)");
}

}  // namespace
}  // namespace maiev
