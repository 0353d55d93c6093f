#include "rules/expression.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace maiev::rules {
namespace {

// Binds a fixed set of names to slots 0, 1, 2, ... in the order given; names listed in
// `durations` are kDuration.
class MapBinder final : public Binder {
 public:
  MapBinder(std::vector<std::string> names, std::vector<std::string> durations = {})
      : durations_(std::move(durations)) {
    for (size_t i = 0; i < names.size(); ++i) slots_[names[i]] = static_cast<uint32_t>(i);
    for (const auto& d : durations_) {
      if (!slots_.contains(d)) slots_[d] = static_cast<uint32_t>(slots_.size());
    }
  }

  Result<Binding, std::string> Bind(const Reference& ref) override {
    auto it = slots_.find(ref.Text());
    if (it == slots_.end()) return Unexpected<std::string>{"unknown name `" + ref.Text() + "`"};
    bool duration = std::find(durations_.begin(), durations_.end(), ref.Text()) != durations_.end();
    return Binding{it->second, duration ? SlotType::kDuration : SlotType::kValue};
  }

 private:
  std::map<std::string, uint32_t> slots_;
  std::vector<std::string> durations_;
};

// Compiles `text` over names a, b, c (slots 0..2) and d:since (slot 3, a duration) and
// evaluates it with `slots`.
bool Eval(const std::string& text, std::vector<Value> slots) {
  MapBinder binder({"a", "b", "c"}, {"d:since"});
  auto expression = Expression::Compile(text, binder);
  EXPECT_TRUE(expression.ok()) << text << ": " << expression.error().ToString();
  if (!expression.ok()) return false;
  slots.resize(4);
  return expression->Evaluate(slots);
}

Diagnostic CompileError(const std::string& text) {
  MapBinder binder({"a", "b", "c"}, {"d:since"});
  auto expression = Expression::Compile(text, binder);
  EXPECT_FALSE(expression.ok()) << text;
  if (expression.ok()) return {};
  return expression.error();
}

Value N(double d) { return Value::Number(d); }
Value S(std::string s) { return Value::String(std::move(s)); }
Value B(bool b) { return Value::Bool(b); }

TEST(ExpressionPrecedence, AndBindsTighterThanOr) {
  // true or (false and false) → true; (true or false) and false would be false.
  EXPECT_TRUE(Eval("a or b and c", {B(true), B(false), B(false)}));
  EXPECT_FALSE(Eval("(a or b) and c", {B(true), B(false), B(false)}));
}

TEST(ExpressionPrecedence, NotBindsTighterThanAndAndOr) {
  EXPECT_FALSE(Eval("not a and b", {B(true), B(true)}));
  EXPECT_TRUE(Eval("not a or b", {B(true), B(true)}));
  EXPECT_TRUE(Eval("not (a and b)", {B(true), B(false)}));
}

TEST(ExpressionPrecedence, NotAppliesToTheWholeComparison) {
  EXPECT_TRUE(Eval("not a > 5", {N(1)}));
  EXPECT_FALSE(Eval("not a > 5", {N(6)}));
}

TEST(ExpressionPrecedence, DoubleNegationCancels) {
  EXPECT_TRUE(Eval("not not a", {B(true)}));
  EXPECT_FALSE(Eval("not not not a", {B(true)}));
}

TEST(ExpressionPrecedence, LongOrAndChainsShortCircuitCorrectly) {
  EXPECT_TRUE(Eval("a > 1 or a > 2 or a > 3 or a == 0", {N(0)}));
  EXPECT_FALSE(Eval("a >= 0 and a < 5 and a != 3", {N(3)}));
  EXPECT_TRUE(Eval("a >= 0 and a < 5 and a != 3", {N(4)}));
}

TEST(ExpressionComparison, AllOperatorsOnNumbers) {
  EXPECT_TRUE(Eval("a == 2", {N(2)}));
  EXPECT_FALSE(Eval("a != 2", {N(2)}));
  EXPECT_TRUE(Eval("a < 3", {N(2)}));
  EXPECT_FALSE(Eval("a > 3", {N(2)}));
  EXPECT_TRUE(Eval("a <= 2", {N(2)}));
  EXPECT_TRUE(Eval("a >= 2", {N(2)}));
  EXPECT_FALSE(Eval("a >= 2.001", {N(2)}));
}

TEST(ExpressionComparison, TwoSlotsCompare) {
  EXPECT_TRUE(Eval("a < b", {N(1), N(2)}));
  EXPECT_FALSE(Eval("a > b", {N(1), N(2)}));
  EXPECT_TRUE(Eval("a == b", {S("x"), S("x")}));
}

TEST(ExpressionComparison, NullComparisonsHoldOnlyForNotEqual) {
  for (const char* op : {"==", "<", ">", "<=", ">="}) {
    EXPECT_FALSE(Eval(std::string("a ") + op + " 0", {Value()})) << op;
    EXPECT_FALSE(Eval(std::string("a ") + op + " b", {Value(), Value()})) << op;
    EXPECT_FALSE(Eval(std::string("a ") + op + " \"x\"", {Value()})) << op;
  }
  EXPECT_TRUE(Eval("a != 0", {Value()}));
  EXPECT_TRUE(Eval("a != b", {Value(), Value()}));
  EXPECT_FALSE(Eval("not a != 0", {Value()}));
}

TEST(ExpressionComparison, BooleansCompareAsZeroOrOne) {
  EXPECT_TRUE(Eval("a == 1", {B(true)}));
  EXPECT_TRUE(Eval("a == 0", {B(false)}));
  EXPECT_TRUE(Eval("a > 0.5", {B(true)}));
  EXPECT_TRUE(Eval("a == b", {B(true), N(1)}));
  EXPECT_TRUE(Eval("a == true", {N(1)}));
  EXPECT_TRUE(Eval("a != false", {B(true)}));
}

TEST(ExpressionComparison, StringsCompareByBytes) {
  EXPECT_TRUE(Eval("a == \"rpc\"", {S("rpc")}));
  EXPECT_TRUE(Eval("a != \"rpc\"", {S("http")}));
  EXPECT_TRUE(Eval("a < \"b\"", {S("a")}));
  EXPECT_FALSE(Eval("a == \"RPC\"", {S("rpc")}));
}

TEST(ExpressionComparison, MixedKindsAreUnequal) {
  EXPECT_FALSE(Eval("a == 1", {S("1")}));
  EXPECT_TRUE(Eval("a != 1", {S("1")}));
  EXPECT_FALSE(Eval("a < 1", {S("0")}));
  EXPECT_FALSE(Eval("a == \"x\"", {Value::List({S("x")})}));
}

TEST(ExpressionComparison, ListsCompareForEqualityOnly) {
  Value list = Value::List({N(1), S("x")});
  EXPECT_TRUE(Eval("a == b", {list, list}));
  EXPECT_FALSE(Eval("a != b", {list, list}));
  EXPECT_FALSE(Eval("a < b", {list, list}));
  EXPECT_TRUE(Eval("a != b", {list, Value::List({N(1)})}));
}

TEST(ExpressionComparison, ParenthesisedComparisonsCompareAsBooleans) {
  EXPECT_TRUE(Eval("(a > 1) == (b > 1)", {N(2), N(3)}));
  EXPECT_FALSE(Eval("(a > 1) == (b > 1)", {N(2), N(0)}));
  EXPECT_TRUE(Eval("(a > 1) == 1", {N(2)}));
}

TEST(ExpressionComparison, ParenthesisedNameKeepsItsValue) {
  EXPECT_TRUE(Eval("(a) > 1", {N(2)}));
  EXPECT_TRUE(Eval("((a)) == 0.5", {N(0.5)}));
}

TEST(ExpressionComparison, LiteralsOnBothSides) {
  EXPECT_TRUE(Eval("1 < 2", {}));
  EXPECT_FALSE(Eval("\"a\" == \"b\"", {}));
  EXPECT_TRUE(Eval("-1 < 0", {}));
}

TEST(ExpressionTruth, BareOperandsUseTruthiness) {
  EXPECT_FALSE(Eval("a", {Value()}));
  EXPECT_FALSE(Eval("a", {N(0)}));
  EXPECT_TRUE(Eval("a", {N(-0.5)}));
  EXPECT_FALSE(Eval("a", {S("")}));
  EXPECT_TRUE(Eval("a", {S("x")}));
  EXPECT_FALSE(Eval("a", {Value::List({})}));
  EXPECT_TRUE(Eval("a", {Value::List({N(0)})}));
  EXPECT_TRUE(Eval("true", {}));
  EXPECT_FALSE(Eval("false", {}));
  EXPECT_TRUE(Eval("1", {}));
}

TEST(ExpressionIn, ListMembership) {
  Value args = Value::List({S("*args"), S("**kwargs")});
  EXPECT_TRUE(Eval("\"*args\" in a", {args}));
  EXPECT_FALSE(Eval("\"args\" in a", {args}));
  EXPECT_TRUE(Eval("1 in a", {Value::List({B(true)})}));
  EXPECT_FALSE(Eval("b in a", {args, Value()}));
}

TEST(ExpressionIn, Substring) {
  EXPECT_TRUE(Eval("\"run\" in a", {S("running")}));
  EXPECT_FALSE(Eval("\"walk\" in a", {S("running")}));
  EXPECT_TRUE(Eval("\"\" in a", {S("x")}));
  EXPECT_FALSE(Eval("1 in a", {S("1")}));
}

TEST(ExpressionIn, SetLiteral) {
  EXPECT_TRUE(Eval("a in {0, 1, 2}", {N(2)}));
  EXPECT_FALSE(Eval("a in {0, 1, 2}", {N(3)}));
  EXPECT_TRUE(Eval("a in {\"x\", -1}", {N(-1)}));
  EXPECT_FALSE(Eval("a in {}", {N(0)}));
  EXPECT_TRUE(Eval("a in {b, c}", {N(5), N(4), N(5)}));
  EXPECT_FALSE(Eval("a in {0}", {Value()}));
}

TEST(ExpressionIn, NullOrScalarContainerHoldsNothing) {
  EXPECT_FALSE(Eval("1 in a", {Value()}));
  EXPECT_FALSE(Eval("1 in a", {N(1)}));
}

TEST(ExpressionDuration, StringComparedWithDurationSlotIsSeconds) {
  EXPECT_TRUE(Eval("d:since > \"25s\"", {Value(), Value(), Value(), N(26)}));
  EXPECT_FALSE(Eval("d:since > \"25s\"", {Value(), Value(), Value(), N(25)}));
  EXPECT_TRUE(Eval("\"1m\" < d:since", {Value(), Value(), Value(), N(61)}));
  EXPECT_TRUE(Eval("d:since >= \"1h30m\"", {Value(), Value(), Value(), N(5400)}));
  EXPECT_TRUE(Eval("d:since > 20", {Value(), Value(), Value(), N(21)}));
  EXPECT_TRUE(Eval("d:since in {\"1m\", \"2m\"}", {Value(), Value(), Value(), N(120)}));
}

TEST(ExpressionDuration, StringComparedWithValueSlotStaysAString) {
  EXPECT_TRUE(Eval("a == \"25s\"", {S("25s")}));
  EXPECT_FALSE(Eval("a > \"25s\"", {N(30)}));
}

TEST(ExpressionDuration, InvalidDurationIsErrorAtItsColumn) {
  EXPECT_EQ(CompileError("d:since > \"soon\""), (Diagnostic{11, "invalid duration `\"soon\"`"}));
  EXPECT_EQ(CompileError("\"5\" < d:since"), (Diagnostic{1, "invalid duration `\"5\"`"}));
  EXPECT_EQ(CompileError("d:since in {\"1m\", \"x\"}"),
            (Diagnostic{19, "invalid duration `\"x\"`"}));
}

TEST(ExpressionErrors, ReportsMessageAndColumn) {
  struct Case {
    const char* text;
    Diagnostic expected;
  };
  const Case cases[] = {
      {"", {1, "expression ends where a value was expected"}},
      {"   ", {4, "expression ends where a value was expected"}},
      {"a and", {6, "expression ends where a value was expected"}},
      {"not", {4, "expression ends where a value was expected"}},
      {"a == -", {7, "expression ends where a value was expected"}},
      {"a == -b", {7, "expected a number after `-`"}},
      {"a > and b", {5, "expected a value, found `and`"}},
      {"a b", {3, "expected an operator or the end of the expression, found `b`"}},
      {"a > 1)", {6, "unmatched `)`"}},
      {"((a > 1)", {9, "missing `)`"}},
      {"(a > 1 b", {8, "missing `)`"}},
      {"a == b == c", {8, "comparisons do not chain; use `and`"}},
      {"a in b in c", {8, "comparisons do not chain; use `and`"}},
      {"a in {1, 2", {11, "missing `}`"}},
      {"a in {1 2}", {9, "expected `,` or `}`, found `2`"}},
      {"{1} == a", {1, "a set `{...}` can only follow `in`"}},
      {"a == {1}", {6, "a set `{...}` can only follow `in`"}},
      {"{1}", {1, "a set `{...}` can only follow `in`"}},
      {"{1} in a", {1, "a set `{...}` can only follow `in`"}},
      {"a in {{1}}", {7, "sets cannot contain sets"}},
      {"zz > 1", {1, "unknown name `zz`"}},
      {"a > 1 and zz:y", {11, "unknown name `zz:y`"}},
      {"a = 1", {3, "unexpected character `=`; equality is `==`"}},
      {"!a", {1, "unexpected character `!`; negation is `not`"}},
      {"a == 'x'", {6, "unexpected character `'`; strings are double-quoted"}},
      {"a == \"x", {6, "string is not closed: missing `\"`"}},
      {"a == \"x\\n\"", {8, "unknown escape `\\n` in string; accepted: `\\\"`, `\\\\`"}},
      {"a > 5s", {5, "invalid number `5s`; durations are quoted: \"5s\""}},
      {"a > 1.", {5, "invalid number `1.`"}},
      {"a > 1.2.3", {5, "invalid number `1.2.3`"}},
      {"a: > 1", {3, "expected a name after `:`"}},
      {"a > 1 + 2", {7, "unexpected character `+`"}},
      {"a > 1 && b", {7, "unexpected character `&`"}},
      {"a > 1 || b", {7, "unexpected character `|`"}},
      {"a ≥ 1", {3, "unexpected character `≥`"}},
  };
  for (const Case& c : cases) EXPECT_EQ(CompileError(c.text), c.expected) << c.text;
}

// Found by fuzz/rule_expression_fuzz (`i"\xFF\xFF\xFF\xFF"`): a message quoted a string token's
// bytes as they were, which are not always UTF-8.
TEST(ExpressionErrors, QuotedTokensEscapeBytesThatAreNotUtf8) {
  EXPECT_EQ(
      CompileError("a \"\xFF\xFF\""),
      (Diagnostic{3, R"(expected an operator or the end of the expression, found `"\xFF\xFF"`)"}));
  EXPECT_EQ(CompileError("a > \xFF"), (Diagnostic{5, R"(unexpected character `\xFF`)"}));
  EXPECT_EQ(
      CompileError("a > \"\xFF\" \"\xFF\""),
      (Diagnostic{9, R"(expected an operator or the end of the expression, found `"\xFF"`)"}));
  EXPECT_EQ(CompileError("d:since > \"\xC0\xAF\""),
            (Diagnostic{11, R"(invalid duration `"\xC0\xAF"`)"}));
  EXPECT_EQ(CompileError("a in {1 \"\xE2\x86\"}"),
            (Diagnostic{9, R"(expected `,` or `}`, found `"\xE2\x86"`)"}));
}

TEST(ExpressionErrors, DeepNestingIsRejectedNotCrashing) {
  std::string deep(10000, '(');
  EXPECT_EQ(CompileError(deep + "a").message, "expression nests too deeply");
  std::string nots;
  for (int i = 0; i < 10000; ++i) nots += "not ";
  EXPECT_EQ(CompileError(nots + "a").message, "expression nests too deeply");
}

TEST(ExpressionErrors, NestingWithinTheLimitCompiles) {
  std::string text = std::string(50, '(') + "a" + std::string(50, ')');
  EXPECT_TRUE(Eval(text, {B(true)}));
}

TEST(Diagnostic, ToStringAppendsColumn) {
  EXPECT_EQ((Diagnostic{1, "unknown rule `missing`"}).ToString(), "unknown rule `missing` (col 1)");
}

TEST(ExpressionReferences, ListsEveryNameInOrderWithColumns) {
  auto refs =
      Expression::References("consumer:rpc:get > 0 and \"*args\" in producer:rpc:echo:args");
  ASSERT_TRUE(refs.ok()) << refs.error().ToString();
  ASSERT_EQ(refs->size(), 2u);
  EXPECT_EQ((*refs)[0].segments, (std::vector<std::string>{"consumer", "rpc", "get"}));
  EXPECT_EQ((*refs)[0].column, 1);
  EXPECT_EQ((*refs)[1].Text(), "producer:rpc:echo:args");
  EXPECT_EQ((*refs)[1].column, 37);
}

TEST(ExpressionReferences, RepeatedNamesAppearEachTime) {
  auto refs = Expression::References("a > 1 or a < -1");
  ASSERT_TRUE(refs.ok());
  ASSERT_EQ(refs->size(), 2u);
  EXPECT_EQ((*refs)[1].column, 10);
}

TEST(ExpressionReferences, NoNamesInALiteralExpression) {
  auto refs = Expression::References("\"run\" in \"running\"");
  ASSERT_TRUE(refs.ok());
  EXPECT_TRUE(refs->empty());
}

TEST(ExpressionReferences, SyntaxErrorsAreReported) {
  auto refs = Expression::References("a >");
  ASSERT_FALSE(refs.ok());
  EXPECT_EQ(refs.error(), (Diagnostic{4, "expression ends where a value was expected"}));
}

TEST(ExpressionReferences, SegmentsAfterAColonMayStartWithADigit) {
  auto refs = Expression::References("svc:v2:1st > 0");
  ASSERT_TRUE(refs.ok());
  EXPECT_EQ((*refs)[0].segments, (std::vector<std::string>{"svc", "v2", "1st"}));
}

bool EvalAny(const std::string& text, std::vector<std::vector<Value>> slots) {
  MapBinder binder({"a", "b"});
  auto expression = Expression::Compile(text, binder);
  EXPECT_TRUE(expression.ok()) << text;
  if (!expression.ok()) return false;
  slots.resize(2);
  return expression->EvaluateAny(slots);
}

TEST(ExpressionEvaluateAny, EmptyReadsAsNull) {
  EXPECT_FALSE(EvalAny("a > 0", {{}}));
  EXPECT_FALSE(EvalAny("a", {{}}));
  EXPECT_FALSE(EvalAny("a == 0", {{}}));
  EXPECT_TRUE(EvalAny("a != 0", {{}}));
  EXPECT_TRUE(EvalAny("not a", {{}}));
}

TEST(ExpressionEvaluateAny, HoldsWhenOneValueHolds) {
  EXPECT_TRUE(EvalAny("a > 0", {{N(0), N(2)}}));
  EXPECT_FALSE(EvalAny("a > 1", {{N(0), N(1)}}));
  EXPECT_TRUE(EvalAny("a", {{N(0), N(1)}}));
  EXPECT_FALSE(EvalAny("a", {{N(0), B(false)}}));
  EXPECT_TRUE(EvalAny("a in {3}", {{N(1), N(3)}}));
}

TEST(ExpressionEvaluateAny, MembershipInAnyProvidedList) {
  std::vector<Value> providers = {Value::List({S("x")}), Value::List({S("*args"), S("**kwargs")})};
  EXPECT_TRUE(EvalAny("\"*args\" in a", {providers}));
  EXPECT_FALSE(EvalAny("\"y\" in a", {providers}));
}

TEST(ExpressionEvaluateAny, TwoSlotsTryEveryPair) {
  EXPECT_TRUE(EvalAny("a == b", {{N(1), N(2)}, {N(3), N(2)}}));
  EXPECT_FALSE(EvalAny("a == b", {{N(1), N(2)}, {N(3), N(4)}}));
  EXPECT_FALSE(EvalAny("a == b", {{N(1)}, {}}));
}

TEST(ExpressionEvaluateAny, NotNegatesTheWholeAny) {
  // Some provider has a > 1, so "not a > 1" is false even though another has a == 0.
  EXPECT_FALSE(EvalAny("not a > 1", {{N(0), N(2)}}));
}

TEST(Expression, KeepsItsText) {
  MapBinder binder({"a"});
  auto expression = Expression::Compile("a  >  1", binder);
  ASSERT_TRUE(expression.ok());
  EXPECT_EQ(expression->text(), "a  >  1");
}

TEST(Expression, MovedExpressionStillEvaluates) {
  MapBinder binder({"a"});
  auto compiled = Expression::Compile("a > 1", binder);
  ASSERT_TRUE(compiled.ok());
  Expression moved = std::move(compiled).value();
  std::vector<Value> slots = {N(2)};
  EXPECT_TRUE(moved.Evaluate(slots));
}

}  // namespace
}  // namespace maiev::rules
