#include "rules/lexer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace maiev::rules::internal {
namespace {

std::vector<TokenKind> Kinds(std::string_view text) {
  auto tokens = Lex(text);
  EXPECT_TRUE(tokens.ok()) << text << ": " << tokens.error().ToString();
  std::vector<TokenKind> kinds;
  if (tokens.ok()) {
    for (const Token& t : *tokens) kinds.push_back(t.kind);
  }
  return kinds;
}

double OnlyNumber(std::string_view text) {
  auto tokens = Lex(text);
  EXPECT_TRUE(tokens.ok()) << text;
  if (!tokens.ok() || tokens->size() != 2 || (*tokens)[0].kind != TokenKind::kNumber) return -999;
  return (*tokens)[0].number;
}

TEST(Lexer, Numbers) {
  EXPECT_DOUBLE_EQ(OnlyNumber("0.200"), 0.2);
  EXPECT_DOUBLE_EQ(OnlyNumber("5"), 5);
  EXPECT_DOUBLE_EQ(OnlyNumber("007"), 7);
  EXPECT_DOUBLE_EQ(OnlyNumber("1e3"), 1000);
  EXPECT_DOUBLE_EQ(OnlyNumber("2.5E-1"), 0.25);
  EXPECT_DOUBLE_EQ(OnlyNumber("1e+2"), 100);
}

TEST(Lexer, MinusIsItsOwnToken) {
  auto tokens = Lex("-1");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 3u);
  EXPECT_EQ((*tokens)[0].kind, TokenKind::kMinus);
  EXPECT_EQ((*tokens)[1].kind, TokenKind::kNumber);
  EXPECT_DOUBLE_EQ((*tokens)[1].number, 1);
}

TEST(Lexer, NamesWithDigitsUnderscoresAndColons) {
  auto tokens = Lex("_q1:call_rate2 rules:latency_ok:since");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 3u);
  EXPECT_EQ((*tokens)[0].segments, (std::vector<std::string>{"_q1", "call_rate2"}));
  EXPECT_EQ((*tokens)[0].text, "_q1:call_rate2");
  EXPECT_EQ((*tokens)[1].segments, (std::vector<std::string>{"rules", "latency_ok", "since"}));
  EXPECT_EQ((*tokens)[1].column, 16);
}

TEST(Lexer, KeywordsOnlyAsWholeNames) {
  EXPECT_EQ(
      Kinds("and or not in true false"),
      (std::vector<TokenKind>{TokenKind::kAnd, TokenKind::kOr, TokenKind::kNot, TokenKind::kIn,
                              TokenKind::kTrue, TokenKind::kFalse, TokenKind::kEnd}));
  EXPECT_EQ(Kinds("android rules:and nothing"),
            (std::vector<TokenKind>{TokenKind::kName, TokenKind::kName, TokenKind::kName,
                                    TokenKind::kEnd}));
  EXPECT_EQ(Kinds("AND"), (std::vector<TokenKind>{TokenKind::kName, TokenKind::kEnd}));
}

TEST(Lexer, OperatorsWithAndWithoutSpaces) {
  EXPECT_EQ(Kinds("a<=1"), (std::vector<TokenKind>{TokenKind::kName, TokenKind::kLe,
                                                   TokenKind::kNumber, TokenKind::kEnd}));
  EXPECT_EQ(Kinds("a!=-1"),
            (std::vector<TokenKind>{TokenKind::kName, TokenKind::kNe, TokenKind::kMinus,
                                    TokenKind::kNumber, TokenKind::kEnd}));
  EXPECT_EQ(Kinds("(a>=1)==(b<2)"),
            (std::vector<TokenKind>{TokenKind::kLParen, TokenKind::kName, TokenKind::kGe,
                                    TokenKind::kNumber, TokenKind::kRParen, TokenKind::kEq,
                                    TokenKind::kLParen, TokenKind::kName, TokenKind::kLt,
                                    TokenKind::kNumber, TokenKind::kRParen, TokenKind::kEnd}));
  EXPECT_EQ(Kinds("{1,2}"),
            (std::vector<TokenKind>{TokenKind::kLBrace, TokenKind::kNumber, TokenKind::kComma,
                                    TokenKind::kNumber, TokenKind::kRBrace, TokenKind::kEnd}));
}

TEST(Lexer, AnyWhitespaceSeparates) {
  auto tokens = Lex("\ta\n>\r\n 1  ");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 4u);
  EXPECT_EQ((*tokens)[1].column, 4);   // columns count bytes, newlines included
  EXPECT_EQ((*tokens)[3].column, 11);  // kEnd sits one past the last character
}

TEST(Lexer, StringsUnescapeAndKeepTheirText) {
  auto tokens = Lex(R"("a \"b\" \\ c")");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ((*tokens)[0].string, R"(a "b" \ c)");
  EXPECT_EQ((*tokens)[0].text, R"("a \"b\" \\ c")");
  auto empty = Lex(R"("")");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0].string, "");
}

// Found by fuzz/rule_expression_fuzz: the message quoted the stray byte as it was, which is not
// UTF-8, so a config error holding it could not be answered as JSON.
TEST(Lexer, QuotesABadCharacterWholeAndAStrayByteEscaped) {
  auto arrow = Lex("a → b");
  ASSERT_FALSE(arrow.ok());
  EXPECT_EQ(arrow.error().message, "unexpected character `→`");
  EXPECT_EQ(arrow.error().column, 3);
  auto stray = Lex("a \x96 b");
  ASSERT_FALSE(stray.ok());
  EXPECT_EQ(stray.error().message, "unexpected character `\\x96`");
  auto escape = Lex("\"\\\xE2\x86\"");  // a truncated sequence after a backslash
  ASSERT_FALSE(escape.ok());
  EXPECT_EQ(escape.error().message, R"(unknown escape `\\xE2` in string; accepted: `\"`, `\\`)");
}

TEST(Lexer, ComparisonKinds) {
  EXPECT_TRUE(IsComparison(TokenKind::kIn));
  EXPECT_TRUE(IsComparison(TokenKind::kGe));
  EXPECT_FALSE(IsComparison(TokenKind::kAnd));
  EXPECT_FALSE(IsComparison(TokenKind::kMinus));
}

}  // namespace
}  // namespace maiev::rules::internal
