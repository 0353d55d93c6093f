// The rule language (SPEC §3, ../shared/fixtures/rule-language.md): parse once, evaluate often.
//
//   expr    := or
//   or      := and ("or" and)*
//   and     := not ("and" not)*
//   not     := "not" not | cmp
//   cmp     := operand (("=="|"!="|"<"|">"|"<="|">="|"in") operand)?   -- comparisons do not chain
//   operand := NUMBER | "-" NUMBER | STRING | "true" | "false" | set | NAME | "(" expr ")"
//   set     := "{" [operand ("," operand)*] "}"              -- only right of `in`
//   NAME    := IDENT (":" SEGMENT)*   e.g. rmq, rmq:latency, rules:panic:since, a:rpc:echo:args
//   IDENT   := [A-Za-z_][A-Za-z0-9_]*, not a keyword; SEGMENT may also start with a digit
//   NUMBER  := digits ["." digits] [("e"|"E") ["+"|"-"] digits]
//   STRING  := '"' chars '"', with \" and \\ as the only escapes
//
// Names are resolved when an expression is compiled, through a Binder supplied by the caller
// (a scale config binds resources, metrics and rules; a catalog binds capabilities), so an
// unknown name is a compile-time error with its column.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "rules/explanation.hpp"
#include "rules/value.hpp"

namespace maiev::rules {

// A problem in an expression, at a 1-based column of its text.
struct Diagnostic {
  int column = 0;
  std::string message;  // e.g. "unknown rule `missing`"; no column inside

  std::string ToString() const;  // "unknown rule `missing` (col 1)"
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

// A name as written: "rmq:latency" → {"rmq", "latency"}, column of its first character.
struct Reference {
  std::vector<std::string> segments;
  int column = 0;

  std::string Text() const;  // segments joined by ':'
};

// How a bound name is read at evaluation time.
enum class SlotType {
  kValue,     // any Value
  kDuration,  // a number of seconds; a string literal compared with it must be a duration
};

struct Binding {
  uint32_t slot = 0;
  SlotType type = SlotType::kValue;
};

// Resolves names while compiling. Not required to be thread-safe: Compile calls it on the
// calling thread only.
class Binder {
 public:
  virtual ~Binder() = default;
  // Returns where `ref` is read from, or why the name is not known, without the column
  // (e.g. "unknown metric `nope` of resource `rmq`").
  virtual Result<Binding, std::string> Bind(const Reference& ref) = 0;
};

// Parses a duration literal: "25s", "5m", "1h30m", "1.5s", "40 seconds", "2 minutes".
// Units ms, s, m, h, d, w and their long names (sec, seconds, min, minutes, hour, days, ...);
// spaces allowed between parts. Returns seconds, or why `text` is not a duration.
Result<double, std::string> ParseDuration(std::string_view text);

// A compiled expression. Immutable after Compile; safe to evaluate from several threads.
//
// Semantics (rule-language.md): a bare operand is its Value::Truthy(). A comparison with null
// holds only for `!=` (the negation of `==`); numbers and booleans compare numerically (true is
// 1), strings by bytes, lists for `==`/`!=` only; other mixed kinds are unequal. `a in b` is list
// membership when b is a list or a set literal, substring when both are strings, else false. A
// string literal compared with a kDuration slot is a duration (ParseDuration), converted to
// seconds at compile time; an invalid one is a compile error at the string's column.
class Expression {
 public:
  // Parses and binds `text`. Errors carry the column of the offending token.
  static Result<Expression, Diagnostic> Compile(std::string_view text, Binder& binder);

  // Parses `text` without binding and returns every name it uses, in order of appearance.
  static Result<std::vector<Reference>, Diagnostic> References(std::string_view text);

  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  // Evaluates with one value per slot. REQUIRES: slots.size() > every bound slot.
  bool Evaluate(std::span<const Value> slots) const;

  // Evaluates with any number of values per slot: an empty vector reads as null; a comparison
  // (or a bare name) holds when it holds for one of the values. Used by the dependency solver,
  // where several services may provide the same capability.
  bool EvaluateAny(std::span<const std::vector<Value>> slots) const;

  // Evaluates as Evaluate does and says why (explanation.hpp): the decisive terms, the values
  // they read and their text as written. Allocates; for explaining a result, not for every pass.
  // Operands that read a slot are TermOperand::kName. REQUIRES: as Evaluate.
  Trace Explain(std::span<const Value> slots) const;

  const std::string& text() const;

 private:
  struct Program;
  explicit Expression(std::unique_ptr<Program> program);
  std::unique_ptr<Program> program_;
};

}  // namespace maiev::rules
