// Why an expression, a rule or a trigger has its value: the decisive parts of the expression and
// the values they read, as data (docs/SCALE_CONFIG.md, "Explanations").
//
// Decisive terms: a true `or` is decided by its true operands, a true `and` by all of them; a false
// `and` by its false operands, a false `or` by all of them; `not` flips what its operand needs.
// A comparison, an `in` or a bare operand is a term; so is a `not`, which carries the terms that
// decided its operand. Built by Expression::Explain and RuleSet::Explain, which re-evaluate a pass
// on demand, so evaluating without explaining stays as fast as before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "rules/value.hpp"

namespace maiev::rules {

// One side of a term: what was read, and its value in that pass.
struct TermOperand {
  enum class Kind {
    kLiteral,     // a number, string, boolean or duration literal, or a set `{...}`
    kName,        // a bound name (Expression::Explain; RuleSet::Explain refines it as below)
    kResource,    // a bare resource: true when it has a sample
    kMetric,      // RESOURCE:METRIC
    kRule,        // rules:X, its value
    kRuleSince,   // rules:X:since, seconds
    kExpression,  // a parenthesised expression compared as a value
  };
  Kind kind = Kind::kLiteral;
  std::string text;  // as written: "rmq:latency", "3", "\"25s\"", "{0, 1, 2}", "(a or b)"
  // The value read. A duration literal is its seconds; a set is the list of its elements.
  Value value;
  bool duration = false;         // `value` is seconds (a `:since`, or a literal compared with one)
  std::optional<uint32_t> slot;  // kName and its refinements: the slot read
  // Set by RuleSet::Explain:
  bool no_sample = false;      // kResource, kMetric: the resource had no sample in this pass
  std::optional<size_t> rule;  // kRule, kRuleSince: index in Explanation::rules
  bool previous_pass = false;  // kRule, kRuleSince: the value before this pass (rule not yet
                               // evaluated in it: declared later, or the rule itself)
};

struct Term {
  enum class Kind {
    kTruth,    // a bare operand: its truth value
    kCompare,  // lhs op rhs
    kIn,       // lhs in rhs
    kNot,      // not X: `because` holds the terms that decided X
  };
  Kind kind = Kind::kTruth;
  std::string text;  // as written: "rmq:latency > 3", "not rmq:exists", "rules:panic"
  bool value = false;
  std::string op;             // kCompare: "==", "!=", "<", ">", "<=", ">="; kIn: "in"
  TermOperand lhs;            // kTruth: the operand; kCompare, kIn: the left side as written
  TermOperand rhs;            // kCompare, kIn: the right side as written
  std::vector<Term> because;  // kNot
};

// One expression's value and the terms that decided it (never empty for a compiled expression).
struct Trace {
  bool value = false;
  bool never = false;  // a blank trigger: false, no terms
  std::vector<Term> terms;
};

struct RuleTrace {
  std::string name;
  bool value = false;
  double since_seconds = 0;  // how long it has had `value`, after the pass
  bool changed = false;      // this pass changed its value
  Trace trace;
};

// A whole pass of a rule set: every rule in declaration order, then the triggers.
struct Explanation {
  std::vector<RuleTrace> rules;
  Trace scale_up;
  Trace scale_down;

  // One line, following the scaling precedence: the trigger that fired and why (`scale_up: …`;
  // for scale_down also why scale_up was false, unless it is blank), else why both were false. A
  // rule referred to with its value of this pass is followed by its own terms (`rules:behind ←
  // rmq:latency 133 > 3`), the first time it appears in the line.
  std::string ToString() const;
  // The terms of one trace (a rule's or a trigger's) without following the rules they refer to:
  // "rules:latency_ok, rules:latency_ok:since 45s > 30s".
  std::string TermsText(const Trace& trace) const;
  // {"scale_up": TRACE, "scale_down": TRACE, "rules": {NAME: RULE}, "text": ToString()}, with
  // "rules" holding the rules the triggers' terms refer to with values of this pass (and the rules
  // those refer to).
  nlohmann::json ToJson() const;
};

// "133", "0.3", "2.333", "inf": at most three decimals, none when integral.
std::string FormatNumber(double value);
// "31s", "2.5s", "1m30s", "1h": seconds as a duration, tenths below a minute.
std::string FormatDuration(double seconds);

}  // namespace maiev::rules
