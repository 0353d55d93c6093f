#include "rules/lexer.hpp"

#include <charconv>
#include <string>
#include <utility>

#include "common/message_text.hpp"
#include "rules/expression.hpp"

namespace maiev::rules::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Unexpected<Diagnostic> Error(size_t offset, std::string message) {
  return Unexpected<Diagnostic>{Diagnostic{static_cast<int>(offset) + 1, std::move(message)}};
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>, Diagnostic> Run() {
    while (true) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      if (pos_ == text_.size()) break;
      auto status = Next();
      if (!status.ok()) return Unexpected<Diagnostic>{status.error()};
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.column = static_cast<int>(text_.size()) + 1;
    tokens_.push_back(std::move(end));
    return std::move(tokens_);
  }

 private:
  Result<void, Diagnostic> Next() {
    char c = text_[pos_];
    if (IsDigit(c)) return LexNumber();
    if (IsIdentStart(c)) return LexName();
    if (c == '"') return LexString();
    switch (c) {
      case '(':
        return Emit(TokenKind::kLParen, 1);
      case ')':
        return Emit(TokenKind::kRParen, 1);
      case '{':
        return Emit(TokenKind::kLBrace, 1);
      case '}':
        return Emit(TokenKind::kRBrace, 1);
      case ',':
        return Emit(TokenKind::kComma, 1);
      case '-':
        return Emit(TokenKind::kMinus, 1);
      case '<':
        return Peek(1) == '=' ? Emit(TokenKind::kLe, 2) : Emit(TokenKind::kLt, 1);
      case '>':
        return Peek(1) == '=' ? Emit(TokenKind::kGe, 2) : Emit(TokenKind::kGt, 1);
      case '=':
        if (Peek(1) == '=') return Emit(TokenKind::kEq, 2);
        return Error(pos_, "unexpected character `=`; equality is `==`");
      case '!':
        if (Peek(1) == '=') return Emit(TokenKind::kNe, 2);
        return Error(pos_, "unexpected character `!`; negation is `not`");
      case '\'':
        return Error(pos_, "unexpected character `'`; strings are double-quoted");
      default:
        return Error(pos_, "unexpected character `" + CharacterAt(text_, pos_) + "`");
    }
  }

  char Peek(size_t ahead) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  Token Start(TokenKind kind) const {
    Token t;
    t.kind = kind;
    t.column = static_cast<int>(pos_) + 1;
    return t;
  }

  Result<void, Diagnostic> Emit(TokenKind kind, size_t length) {
    Token t = Start(kind);
    t.text = text_.substr(pos_, length);
    pos_ += length;
    tokens_.push_back(std::move(t));
    return {};
  }

  // digits ["." digits] [("e"|"E") ["+"|"-"] digits]; a letter right after is an error, so
  // `5s` is reported as an unquoted duration rather than as two tokens.
  Result<void, Diagnostic> LexNumber() {
    size_t start = pos_;
    size_t end = pos_;
    while (end < text_.size() && IsDigit(text_[end])) ++end;
    if (end < text_.size() && text_[end] == '.') {
      size_t fraction = end + 1;
      while (fraction < text_.size() && IsDigit(text_[fraction])) ++fraction;
      if (fraction == end + 1) return BadNumber(start, fraction);
      end = fraction;
    }
    if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      size_t exponent = end + 1;
      if (exponent < text_.size() && (text_[exponent] == '+' || text_[exponent] == '-')) {
        ++exponent;
      }
      size_t digits = exponent;
      while (digits < text_.size() && IsDigit(text_[digits])) ++digits;
      if (digits > exponent) end = digits;
    }
    if (end < text_.size() && (IsIdentChar(text_[end]) || text_[end] == '.')) {
      size_t bad_end = end;
      while (bad_end < text_.size() && (IsIdentChar(text_[bad_end]) || text_[bad_end] == '.')) {
        ++bad_end;
      }
      return BadNumber(start, bad_end);
    }
    Token t = Start(TokenKind::kNumber);
    t.text = text_.substr(start, end - start);
    auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + end, t.number);
    if (ec != std::errc() || ptr != text_.data() + end) return BadNumber(start, end);
    pos_ = end;
    tokens_.push_back(std::move(t));
    return {};
  }

  Unexpected<Diagnostic> BadNumber(size_t start, size_t end) const {
    std::string_view bad = text_.substr(start, end - start);
    std::string message = "invalid number `" + std::string(bad) + "`";
    if (ParseDuration(bad).ok()) message += "; durations are quoted: \"" + std::string(bad) + "\"";
    return Error(start, std::move(message));
  }

  // IDENT (":" SEGMENT)*; a segment after a colon may also start with a digit.
  Result<void, Diagnostic> LexName() {
    Token t = Start(TokenKind::kName);
    size_t start = pos_;
    while (true) {
      size_t segment = pos_;
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      if (pos_ == segment) return Error(pos_, "expected a name after `:`");
      t.segments.emplace_back(text_.substr(segment, pos_ - segment));
      if (pos_ < text_.size() && text_[pos_] == ':') {
        ++pos_;
        continue;
      }
      break;
    }
    t.text = text_.substr(start, pos_ - start);
    if (t.segments.size() == 1) t.kind = KeywordKind(t.text);
    if (t.kind != TokenKind::kName) t.segments.clear();
    tokens_.push_back(std::move(t));
    return {};
  }

  static TokenKind KeywordKind(std::string_view word) {
    if (word == "and") return TokenKind::kAnd;
    if (word == "or") return TokenKind::kOr;
    if (word == "not") return TokenKind::kNot;
    if (word == "in") return TokenKind::kIn;
    if (word == "true") return TokenKind::kTrue;
    if (word == "false") return TokenKind::kFalse;
    return TokenKind::kName;
  }

  Result<void, Diagnostic> LexString() {
    Token t = Start(TokenKind::kString);
    size_t start = pos_;
    size_t i = pos_ + 1;
    while (i < text_.size() && text_[i] != '"') {
      if (text_[i] == '\\') {
        if (i + 1 >= text_.size()) break;
        char escaped = text_[i + 1];
        if (escaped != '"' && escaped != '\\') {
          return Error(i, R"(unknown escape `\)" + CharacterAt(text_, i + 1) +
                              R"(` in string; accepted: `\"`, `\\`)");
        }
        t.string += escaped;
        i += 2;
        continue;
      }
      t.string += text_[i];
      ++i;
    }
    if (i >= text_.size()) return Error(start, "string is not closed: missing `\"`");
    pos_ = i + 1;
    t.text = text_.substr(start, pos_ - start);
    tokens_.push_back(std::move(t));
    return {};
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

Result<std::vector<Token>, Diagnostic> Lex(std::string_view text) { return Lexer(text).Run(); }

bool IsComparison(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEq:
    case TokenKind::kNe:
    case TokenKind::kLt:
    case TokenKind::kGt:
    case TokenKind::kLe:
    case TokenKind::kGe:
    case TokenKind::kIn:
      return true;
    default:
      return false;
  }
}

}  // namespace maiev::rules::internal
