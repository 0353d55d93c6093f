// Tokens of the rule language. Internal to src/rules/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "rules/expression.hpp"

namespace maiev::rules::internal {

enum class TokenKind {
  kNumber,  // 0.200, 5, 1e3 (unsigned; a leading `-` is its own token)
  kString,  // "text" with \" and \\ escapes
  kName,    // rmq, rmq:latency, rules:panic:since
  kAnd,
  kOr,
  kNot,
  kIn,
  kTrue,
  kFalse,
  kEq,     // ==
  kNe,     // !=
  kLt,     // <
  kGt,     // >
  kLe,     // <=
  kGe,     // >=
  kMinus,  // -
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kComma,
  kEnd,  // one past the last character
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  int column = 0;                     // 1-based
  std::string_view text;              // as written, quotes included
  double number = 0;                  // kNumber
  std::string string;                 // kString: unescaped contents
  std::vector<std::string> segments;  // kName
};

// Splits `text` into tokens ending with one kEnd token, or reports the first bad character.
Result<std::vector<Token>, Diagnostic> Lex(std::string_view text);

bool IsComparison(TokenKind kind);

}  // namespace maiev::rules::internal
