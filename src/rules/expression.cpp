#include "rules/expression.hpp"

#include <cassert>
#include <utility>

#include "rules/compiler.hpp"
#include "rules/program.hpp"

namespace maiev::rules {

using internal::CmpOp;
using internal::Node;
using internal::Operand;

struct Expression::Program : internal::Program {};

namespace {

const Value kNullValue;
const Value kTrueValue = Value::Bool(true);
const Value kFalseValue = Value::Bool(false);

bool IsNumeric(Value::Kind kind) {
  return kind == Value::Kind::kNumber || kind == Value::Kind::kBool;
}

// REQUIRES: IsNumeric(v.kind()). Booleans compare as 0/1.
double NumericOf(const Value& v) {
  return v.kind() == Value::Kind::kNumber ? v.AsNumber() : (v.AsBool() ? 1.0 : 0.0);
}

template <class T>
bool Ordered(const T& a, CmpOp op, const T& b) {
  switch (op) {
    case CmpOp::kEq:
      return a == b;
    case CmpOp::kNe:
      return a != b;
    case CmpOp::kLt:
      return a < b;
    case CmpOp::kGt:
      return a > b;
    case CmpOp::kLe:
      return a <= b;
    case CmpOp::kGe:
      return a >= b;
  }
  return false;
}

bool CompareValues(const Value& a, CmpOp op, const Value& b);

bool ListsEqual(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!CompareValues(a[i], CmpOp::kEq, b[i])) return false;
  }
  return true;
}

// A comparison with null holds only for `!=`; so does one between unrelated kinds. Numbers and
// booleans compare numerically, strings lexicographically (bytes), lists for equality only.
bool CompareValues(const Value& a, CmpOp op, const Value& b) {
  Value::Kind ka = a.kind();
  Value::Kind kb = b.kind();
  if (IsNumeric(ka) && IsNumeric(kb)) return Ordered(NumericOf(a), op, NumericOf(b));
  if (ka == Value::Kind::kString && kb == Value::Kind::kString) {
    return Ordered(a.AsString(), op, b.AsString());
  }
  if (ka == Value::Kind::kList && kb == Value::Kind::kList) {
    if (op == CmpOp::kEq) return ListsEqual(a.AsList(), b.AsList());
    if (op == CmpOp::kNe) return !ListsEqual(a.AsList(), b.AsList());
    return false;
  }
  return op == CmpOp::kNe;
}

// `item in container`: list membership or substring.
bool Contains(const Value& container, const Value& item) {
  if (container.kind() == Value::Kind::kList) {
    for (const Value& element : container.AsList()) {
      if (CompareValues(item, CmpOp::kEq, element)) return true;
    }
    return false;
  }
  if (container.kind() == Value::Kind::kString && item.kind() == Value::Kind::kString) {
    return container.AsString().find(item.AsString()) != std::string::npos;
  }
  return false;
}

// One value per slot (Evaluate).
struct SingleSlots {
  std::span<const Value> slots;
  std::span<const Value> Values(uint32_t slot) const { return slots.subspan(slot, 1); }
};

// Any number of values per slot; none reads as null (EvaluateAny).
struct MultiSlots {
  std::span<const std::vector<Value>> slots;
  std::span<const Value> Values(uint32_t slot) const {
    const std::vector<Value>& values = slots[slot];
    if (values.empty()) return {&kNullValue, 1};
    return values;
  }
};

// Walks the node array; a comparison holds when it holds for one combination of values.
template <class Slots>
class Evaluator {
 public:
  Evaluator(const internal::Program& program, const Slots& slots)
      : program_(program), slots_(slots) {}

  bool Eval(uint32_t index) const {
    const Node& node = program_.nodes[index];
    switch (node.kind) {
      case Node::Kind::kCompareSlotNumber:
        for (const Value& v : slots_.Values(node.lhs.index)) {
          if (CompareWithNumber(v, node.cmp, node.number)) return true;
        }
        return false;
      case Node::Kind::kOr:
        for (uint32_t i = 0; i < node.count; ++i) {
          if (Eval(program_.children[node.first + i])) return true;
        }
        return false;
      case Node::Kind::kAnd:
        for (uint32_t i = 0; i < node.count; ++i) {
          if (!Eval(program_.children[node.first + i])) return false;
        }
        return true;
      case Node::Kind::kNot:
        return !Eval(node.first);
      case Node::Kind::kTruth:
        return AnyValue(node.lhs, [](const Value& v) { return v.Truthy(); });
      case Node::Kind::kCompare:
        return AnyValue(node.lhs, [&](const Value& a) {
          return AnyValue(node.rhs, [&](const Value& b) { return CompareValues(a, node.cmp, b); });
        });
      case Node::Kind::kIn:
        return EvalIn(node);
    }
    return false;
  }

 private:
  static bool CompareWithNumber(const Value& v, CmpOp op, double number) {
    switch (v.kind()) {
      case Value::Kind::kNumber:
        return Ordered(v.AsNumber(), op, number);
      case Value::Kind::kBool:
        return Ordered(v.AsBool() ? 1.0 : 0.0, op, number);
      default:
        return op == CmpOp::kNe;
    }
  }

  bool EvalIn(const Node& node) const {
    if (node.rhs.kind == Operand::Kind::kSet) {
      return AnyValue(node.lhs, [&](const Value& item) {
        for (uint32_t i = 0; i < node.rhs.count; ++i) {
          const Operand& element = program_.set_elements[node.rhs.index + i];
          if (AnyValue(element,
                       [&](const Value& e) { return CompareValues(item, CmpOp::kEq, e); })) {
            return true;
          }
        }
        return false;
      });
    }
    return AnyValue(node.lhs, [&](const Value& item) {
      return AnyValue(node.rhs, [&](const Value& container) { return Contains(container, item); });
    });
  }

  template <class F>
  bool AnyValue(const Operand& operand, const F& f) const {
    switch (operand.kind) {
      case Operand::Kind::kSlot:
        for (const Value& v : slots_.Values(operand.index)) {
          if (f(v)) return true;
        }
        return false;
      case Operand::Kind::kConst:
        return f(program_.constants[operand.index]);
      case Operand::Kind::kExpr:
        return f(Eval(operand.index) ? kTrueValue : kFalseValue);
      case Operand::Kind::kSet:  // the compiler allows a set only after `in`
        return false;
    }
    return false;
  }

  const internal::Program& program_;
  const Slots& slots_;
};

std::string_view OpText(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "==";
    case CmpOp::kNe:
      return "!=";
    case CmpOp::kLt:
      return "<";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGe:
      return ">=";
  }
  return "?";
}

// Evaluates like Evaluator<SingleSlots> and keeps the decisive terms (explanation.hpp).
class Tracer {
 public:
  Tracer(const internal::Program& program, std::span<const Value> slots)
      : program_(program), slots_{slots}, evaluator_(program, slots_) {}

  // Appends the terms that decided node `index` to `out`; returns its value.
  bool Collect(uint32_t index, std::vector<Term>& out) const {
    const Node& node = program_.nodes[index];
    switch (node.kind) {
      case Node::Kind::kOr:
      case Node::Kind::kAnd:
        return CollectList(node, out);
      case Node::Kind::kNot: {
        Term term;
        term.kind = Term::Kind::kNot;
        term.text = Text(program_.sources[index].text);
        term.value = !Collect(node.first, term.because);
        out.push_back(std::move(term));
        return out.back().value;
      }
      default:
        out.push_back(Leaf(index));
        return out.back().value;
    }
  }

 private:
  // A true `or`: its true operands; a false one: all. A true `and`: all; a false one: its false
  // operands. Either way: the operands whose value is the list's.
  bool CollectList(const Node& node, std::vector<Term>& out) const {
    std::vector<std::vector<Term>> parts(node.count);
    std::vector<bool> values(node.count);
    bool any = false;
    bool all = true;
    for (uint32_t i = 0; i < node.count; ++i) {
      values[i] = Collect(program_.children[node.first + i], parts[i]);
      any = any || values[i];
      all = all && values[i];
    }
    const bool value = node.kind == Node::Kind::kOr ? any : all;
    for (uint32_t i = 0; i < node.count; ++i) {
      if (values[i] != value) continue;
      for (Term& term : parts[i]) out.push_back(std::move(term));
    }
    return value;
  }

  Term Leaf(uint32_t index) const {
    const Node& node = program_.nodes[index];
    const internal::NodeSource& source = program_.sources[index];
    Term term;
    term.text = Text(source.text);
    term.value = evaluator_.Eval(index);
    switch (node.kind) {
      case Node::Kind::kTruth:
        term.kind = Term::Kind::kTruth;
        term.lhs = OperandOf(node.lhs, source.lhs, source.duration);
        break;
      case Node::Kind::kCompareSlotNumber: {
        term.kind = Term::Kind::kCompare;
        TermOperand slot =
            OperandOf(node.lhs, source.swapped ? source.rhs : source.lhs, source.duration);
        TermOperand number;
        number.text = Text(source.swapped ? source.lhs : source.rhs);
        number.value = Value::Number(node.number);
        number.duration = source.duration;
        term.op = OpText(source.swapped ? internal::Mirror(node.cmp) : node.cmp);
        if (source.swapped) std::swap(slot, number);
        term.lhs = std::move(slot);
        term.rhs = std::move(number);
        break;
      }
      default:
        term.kind = node.kind == Node::Kind::kIn ? Term::Kind::kIn : Term::Kind::kCompare;
        term.op = node.kind == Node::Kind::kIn ? "in" : OpText(node.cmp);
        term.lhs = OperandOf(node.lhs, source.lhs, source.duration);
        term.rhs = OperandOf(node.rhs, source.rhs, source.duration);
        break;
    }
    return term;
  }

  TermOperand OperandOf(const Operand& operand, internal::Span span, bool duration) const {
    TermOperand out;
    out.text = Text(span);
    out.duration = duration;
    switch (operand.kind) {
      case Operand::Kind::kSlot:
        out.kind = TermOperand::Kind::kName;
        out.slot = operand.index;
        out.value = slots_.slots[operand.index];
        break;
      case Operand::Kind::kConst:
        out.value = program_.constants[operand.index];
        break;
      case Operand::Kind::kExpr:
        out.kind = TermOperand::Kind::kExpression;
        out.value = Value::Bool(evaluator_.Eval(operand.index));
        out.duration = false;
        break;
      case Operand::Kind::kSet: {
        std::vector<Value> elements;
        for (uint32_t i = 0; i < operand.count; ++i) {
          const Operand& element = program_.set_elements[operand.index + i];
          elements.push_back(element.kind == Operand::Kind::kSlot
                                 ? slots_.slots[element.index]
                                 : program_.constants[element.index]);
        }
        out.value = Value::List(std::move(elements));
        break;
      }
    }
    return out;
  }

  std::string Text(internal::Span span) const {
    return program_.text.substr(span.begin, span.end - span.begin);
  }

  const internal::Program& program_;
  SingleSlots slots_;
  Evaluator<SingleSlots> evaluator_;
};

// Records every name and binds each to its own slot.
class RecordingBinder final : public Binder {
 public:
  Result<Binding, std::string> Bind(const Reference& ref) override {
    references.push_back(ref);
    return Binding{static_cast<uint32_t>(references.size() - 1), SlotType::kValue};
  }
  std::vector<Reference> references;
};

}  // namespace

std::string Diagnostic::ToString() const {
  return message + " (col " + std::to_string(column) + ")";
}

std::string Reference::Text() const {
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += ':';
    out += segments[i];
  }
  return out;
}

Result<Expression, Diagnostic> Expression::Compile(std::string_view text, Binder& binder) {
  auto program = std::make_unique<Program>();
  auto status = internal::CompileProgram(text, binder, *program);
  if (!status.ok()) return Unexpected<Diagnostic>{status.error()};
  return Expression(std::move(program));
}

Result<std::vector<Reference>, Diagnostic> Expression::References(std::string_view text) {
  RecordingBinder binder;
  internal::Program program;
  auto status = internal::CompileProgram(text, binder, program);
  if (!status.ok()) return Unexpected<Diagnostic>{status.error()};
  return std::move(binder.references);
}

Expression::Expression(std::unique_ptr<Program> program) : program_(std::move(program)) {}
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

bool Expression::Evaluate(std::span<const Value> slots) const {
  assert(slots.size() >= program_->slot_limit);
  SingleSlots view{slots};
  return Evaluator<SingleSlots>(*program_, view).Eval(program_->root);
}

bool Expression::EvaluateAny(std::span<const std::vector<Value>> slots) const {
  assert(slots.size() >= program_->slot_limit);
  MultiSlots view{slots};
  return Evaluator<MultiSlots>(*program_, view).Eval(program_->root);
}

Trace Expression::Explain(std::span<const Value> slots) const {
  assert(slots.size() >= program_->slot_limit);
  Trace trace;
  trace.value = Tracer(*program_, slots).Collect(program_->root, trace.terms);
  return trace;
}

const std::string& Expression::text() const { return program_->text; }

}  // namespace maiev::rules
