#include "common/message_text.hpp"

#include <gtest/gtest.h>

namespace maiev {
namespace {

TEST(Utf8SequenceLength, MeasuresValidSequences) {
  EXPECT_EQ(Utf8SequenceLength("a"), 1U);
  EXPECT_EQ(Utf8SequenceLength("é"), 2U);
  EXPECT_EQ(Utf8SequenceLength("→x"), 3U);
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80"), 4U);  // U+1F600
  EXPECT_EQ(Utf8SequenceLength(""), 0U);
}

TEST(Utf8SequenceLength, RefusesWhatRfc3629Forbids) {
  EXPECT_EQ(Utf8SequenceLength("\x96"), 0U);              // a continuation byte alone
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF"), 0U);          // overlong `/`
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80\xAF"), 0U);      // overlong, three bytes
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80"), 0U);      // a surrogate
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80"), 0U);  // above U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xE2\x86"), 0U);          // truncated
  EXPECT_EQ(Utf8SequenceLength("\xFF"), 0U);
}

TEST(EscapeInvalidUtf8, KeepsValidTextAndEscapesStrayBytes) {
  EXPECT_EQ(EscapeInvalidUtf8("rmq → ok"), "rmq → ok");
  EXPECT_EQ(EscapeInvalidUtf8("/\x96?\x08"), "/\\x96?\x08");
  EXPECT_EQ(EscapeInvalidUtf8("\xE2\x86"), "\\xE2\\x86");
  EXPECT_EQ(EscapeInvalidUtf8("a\xFF"
                              "é"),
            "a\\xFFé");
}

TEST(CharacterAt, QuotesAWholeSequenceOrOneEscapedByte) {
  EXPECT_EQ(CharacterAt("a→b", 1), "→");
  EXPECT_EQ(CharacterAt("a\xC3", 1), "\\xC3");
  EXPECT_EQ(CharacterAt("ab", 1), "b");
}

}  // namespace
}  // namespace maiev
