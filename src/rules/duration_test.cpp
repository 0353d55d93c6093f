#include <gtest/gtest.h>

#include "rules/expression.hpp"

namespace maiev::rules {
namespace {

TEST(ParseDuration, AcceptsUnitsLongNamesFractionsAndCompounds) {
  struct Case {
    const char* text;
    double seconds;
  };
  const Case cases[] = {
      {"25s", 25},
      {"5m", 300},
      {"1h", 3600},
      {"1h30m", 5400},
      {"1.5s", 1.5},
      {"40 seconds", 40},
      {"2 minutes", 120},
      {"1 second", 1},
      {"1 minute", 60},
      {"2 hours", 7200},
      {"1d", 86400},
      {"2 days", 172800},
      {"1w", 604800},
      {"500ms", 0.5},
      {"1m30s", 90},
      {"1h 30m 15s", 5415},
      {" 10s ", 10},
      {"0s", 0},
      {"3 min", 180},
      {"10 sec", 10},
      {"1H", 3600},
      {"0.25h", 900},
      {"1 hour 1 second", 3601},
  };
  for (const Case& c : cases) {
    auto parsed = ParseDuration(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.error();
    EXPECT_DOUBLE_EQ(*parsed, c.seconds) << c.text;
  }
}

TEST(ParseDuration, RejectsNonDurations) {
  for (const char* text : {"", " ", "soon", "5", "s", "-5s", "5 parsecs", "1.s", ".5s", "5s x",
                           "1e3s", "5s5", "1,5s", "five seconds", "10 m s"}) {
    auto parsed = ParseDuration(text);
    EXPECT_FALSE(parsed.ok()) << '"' << text << "\" parsed as " << (parsed.ok() ? *parsed : 0);
  }
}

TEST(ParseDuration, ErrorSaysWhatIsAccepted) {
  auto parsed = ParseDuration("soon");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().find("`soon` is not a duration"), std::string::npos);
  EXPECT_NE(parsed.error().find("1h30m"), std::string::npos);
}

// Found by fuzz/rule_expression_fuzz: the text was quoted as it was, not UTF-8 (a decisions query
// `since=` answers with this message as JSON).
TEST(ParseDuration, ErrorEscapesBytesThatAreNotUtf8) {
  auto parsed = ParseDuration("/\x96?\x08");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().find("`/\\x96?\x08` is not a duration"), std::string::npos)
      << parsed.error();
}

}  // namespace
}  // namespace maiev::rules
