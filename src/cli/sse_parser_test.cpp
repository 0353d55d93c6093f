#include "cli/sse_parser.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace maiev::cli {
namespace {

std::vector<SseEvent> FeedAll(SseParser& parser, const std::vector<std::string>& chunks) {
  std::vector<SseEvent> events;
  for (const std::string& chunk : chunks) {
    parser.Feed(chunk, [&events](const SseEvent& e) {
      events.push_back(e);
      return true;
    });
  }
  return events;
}

TEST(SseParserTest, ReadsEventsSplitAnywhereAcrossChunks) {
  const std::string stream =
      ": keepalive\n\nid: 7\nevent: decision\ndata: {\"service\":\"w\"}\n\n"
      "id: 8\r\nevent: cycle\r\ndata: {}\r\n\r\n";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    const auto events = FeedAll(parser, {stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(events.size(), 2U) << "cut at " << cut;
    EXPECT_EQ(events[0].id, "7");
    EXPECT_EQ(events[0].type, "decision");
    EXPECT_EQ(events[0].data, R"({"service":"w"})");
    EXPECT_EQ(events[1].type, "cycle");
    EXPECT_EQ(parser.last_id(), "8");
  }
}

TEST(SseParserTest, JoinsDataLinesAndDefaultsTheType) {
  SseParser parser;
  const auto events = FeedAll(parser, {"data: a\ndata:b\n\n"});
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, "message");
  EXPECT_EQ(events[0].data, "a\nb");
  EXPECT_EQ(events[0].id, "");
}

TEST(SseParserTest, AnEventWithoutDataIsNotDispatchedAndCommentsAreIgnored) {
  SseParser parser;
  EXPECT_TRUE(FeedAll(parser, {": keepalive\n\nevent: x\n\n"}).empty());
}

TEST(SseParserTest, StopsWhenTheCallbackSaysSo) {
  SseParser parser;
  int seen = 0;
  const bool more = parser.Feed("data: 1\n\ndata: 2\n\n", [&seen](const SseEvent&) {
    ++seen;
    return false;
  });
  EXPECT_FALSE(more);
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace maiev::cli
