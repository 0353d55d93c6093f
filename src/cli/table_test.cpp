#include "cli/table.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(TableTest, AlignsColumnsTwoSpacesApartWithoutPaddingTheLast) {
  Table table({"NAME", "STATE"});
  table.Row({"worker", "monitored"});
  table.Row({"a", "paused"});
  EXPECT_EQ(table.Render(), "NAME    STATE\nworker  monitored\na       paused\n");
}

TEST(TableTest, CountsMultiByteCharactersAsOneColumn) {
  Table table({"CHANGE", "X"});
  table.Row({"1 → 3", "y"});
  EXPECT_EQ(Lines(table.Render())[1], "1 → 3   y");
  EXPECT_EQ(Columns("1 → 3"), 5U);
}

TEST(TableTest, FitsTheWidthByNarrowingTheWidestColumnFirst) {
  Table table({"SERVICE", "REASON"});
  table.Row({"worker", "at max 6: scale_up: rules:behind ← rmq:latency 13.3 > 3"});
  table.Line("  why: a free line that is much longer than the terminal is wide");
  const std::string text = table.Render({.width = 40});
  for (const std::string& line : Lines(text)) EXPECT_LE(Columns(line), 40U) << line;
  const auto lines = Lines(text);
  EXPECT_EQ(lines[1].substr(0, 9), "worker   ");  // the narrow column is whole
  EXPECT_THAT(lines[1], HasSubstr("…"));          // the reason gave way
  EXPECT_THAT(lines[2], HasSubstr("…"));
}

TEST(TableTest, NoWidthLimitKeepsEverything) {
  Table table({"A"});
  const std::string long_cell(300, 'x');
  table.Row({long_cell});
  EXPECT_THAT(table.Render(), HasSubstr(long_cell));
}

TEST(TableTest, ColumnsNeverNarrowBelowSixEvenWhenTheTerminalIsTooNarrow) {
  Table table({"SERVICE", "STATE"});
  table.Row({"a-very-long-service-name", "monitored"});
  const auto lines = Lines(table.Render({.width = 5}));
  EXPECT_EQ(lines[0], "SERVI…  STATE");
  EXPECT_EQ(lines[1], "a-ver…  monit…");
}

TEST(TableTest, ColourOnlyWhenAskedFor) {
  Table table({"STATE"});
  table.Row({Cell("paused", Colour::kYellow)});
  EXPECT_THAT(table.Render(), Not(HasSubstr("\x1b[")));
  const std::string coloured = table.Render({.colour = true});
  EXPECT_THAT(coloured, HasSubstr("\x1b[33mpaused\x1b[0m"));
  EXPECT_THAT(coloured, HasSubstr("\x1b[1mSTATE\x1b[0m"));
}

TEST(TableTest, TruncateKeepsWholeCharacters) {
  EXPECT_EQ(Truncate("a→b→c", 3), "a→…");
  EXPECT_EQ(Truncate("abc", 3), "abc");
  EXPECT_EQ(Truncate("abc", 0), "");
}

}  // namespace
}  // namespace maiev::cli
