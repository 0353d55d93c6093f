#include "rules/compiler.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/message_text.hpp"
#include "rules/lexer.hpp"

namespace maiev::rules::internal {
namespace {

// An operand with what the compiler still needs to know about it while compiling.
struct ParsedOperand {
  Operand operand;
  int column = 0;
  SlotType slot_type = SlotType::kValue;  // kSlot only
  const Token* string_literal = nullptr;  // kConst from a string token, for durations
  Span span;                              // as written, parentheses and braces included
};

Unexpected<Diagnostic> Error(int column, std::string message) {
  return Unexpected<Diagnostic>{Diagnostic{column, std::move(message)}};
}

// A token as a message quotes it: in backquotes, bytes that are not UTF-8 escaped.
std::string Quoted(std::string_view text) { return "`" + EscapeInvalidUtf8(text) + "`"; }

CmpOp ToCmpOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kNe:
      return CmpOp::kNe;
    case TokenKind::kLt:
      return CmpOp::kLt;
    case TokenKind::kGt:
      return CmpOp::kGt;
    case TokenKind::kLe:
      return CmpOp::kLe;
    case TokenKind::kGe:
      return CmpOp::kGe;
    default:
      return CmpOp::kEq;
  }
}

class Compiler {
 public:
  Compiler(const std::vector<Token>& tokens, Binder& binder, Program& program)
      : tokens_(tokens), binder_(binder), program_(program) {}

  Result<uint32_t, Diagnostic> Run() {
    auto root = ParseOr();
    if (!root.ok()) return root;
    const Token& next = Peek();
    if (next.kind == TokenKind::kEnd) return root;
    if (next.kind == TokenKind::kRParen) return Error(next.column, "unmatched `)`");
    return Error(next.column,
                 "expected an operator or the end of the expression, found " + Quoted(next.text));
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Advance() { return tokens_[pos_++]; }

  // Offset of the next token's first byte, and one past the last byte consumed.
  uint32_t NextBegin() const { return static_cast<uint32_t>(Peek().column - 1); }
  uint32_t ConsumedEnd() const {
    if (pos_ == 0) return 0;
    const Token& last = tokens_[pos_ - 1];
    return static_cast<uint32_t>(last.column - 1 + static_cast<int>(last.text.size()));
  }

  uint32_t Emit(Node node, NodeSource source) {
    program_.nodes.push_back(node);
    program_.sources.push_back(source);
    truth_of_.emplace_back();
    return static_cast<uint32_t>(program_.nodes.size() - 1);
  }

  uint32_t EmitList(Node::Kind kind, const std::vector<uint32_t>& children, Span text) {
    Node node;
    node.kind = kind;
    node.first = static_cast<uint32_t>(program_.children.size());
    node.count = static_cast<uint32_t>(children.size());
    program_.children.insert(program_.children.end(), children.begin(), children.end());
    return Emit(node, NodeSource{text, {}, {}, false, false});
  }

  uint32_t AddConstant(Value value) {
    program_.constants.push_back(std::move(value));
    return static_cast<uint32_t>(program_.constants.size() - 1);
  }

  // or := and ("or" and)*   and := not ("and" not)*
  Result<uint32_t, Diagnostic> ParseOr() { return ParseList(TokenKind::kOr, Node::Kind::kOr); }
  Result<uint32_t, Diagnostic> ParseAnd() { return ParseList(TokenKind::kAnd, Node::Kind::kAnd); }

  Result<uint32_t, Diagnostic> ParseList(TokenKind separator, Node::Kind kind) {
    auto parse_child = [&] { return separator == TokenKind::kOr ? ParseAnd() : ParseNot(); };
    const uint32_t begin = NextBegin();
    auto first = parse_child();
    if (!first.ok() || Peek().kind != separator) return first;
    std::vector<uint32_t> children{*first};
    while (Peek().kind == separator) {
      Advance();
      auto next = parse_child();
      if (!next.ok()) return next;
      children.push_back(*next);
    }
    return EmitList(kind, children, Span{begin, ConsumedEnd()});
  }

  // not := "not" not | cmp
  Result<uint32_t, Diagnostic> ParseNot() {
    if (Peek().kind != TokenKind::kNot) return ParseComparison();
    const Token& word = Advance();
    if (++depth_ > kMaxNesting) return Error(word.column, "expression nests too deeply");
    auto child = ParseNot();
    --depth_;
    if (!child.ok()) return child;
    Node node;
    node.kind = Node::Kind::kNot;
    node.first = *child;
    const auto begin = static_cast<uint32_t>(word.column - 1);
    return Emit(node, NodeSource{Span{begin, ConsumedEnd()}, {}, {}, false, false});
  }

  // cmp := operand (op operand)?   -- no chaining
  Result<uint32_t, Diagnostic> ParseComparison() {
    auto lhs = ParseOperand();
    if (!lhs.ok()) return Unexpected<Diagnostic>{std::move(lhs).error()};
    if (!IsComparison(Peek().kind)) return EmitTruth(*lhs);
    const Token& op = Advance();
    auto rhs = ParseOperand();
    if (!rhs.ok()) return Unexpected<Diagnostic>{std::move(rhs).error()};
    if (IsComparison(Peek().kind)) {
      return Error(Peek().column, "comparisons do not chain; use `and`");
    }
    if (lhs->operand.kind == Operand::Kind::kSet) return SetMisplaced(*lhs);
    if (op.kind == TokenKind::kIn) return EmitIn(*lhs, *rhs);
    if (rhs->operand.kind == Operand::Kind::kSet) return SetMisplaced(*rhs);
    return EmitCompare(ToCmpOp(op.kind), *lhs, *rhs);
  }

  static Unexpected<Diagnostic> SetMisplaced(const ParsedOperand& set) {
    return Error(set.column, "a set `{...}` can only follow `in`");
  }

  Result<uint32_t, Diagnostic> EmitTruth(const ParsedOperand& operand) {
    if (operand.operand.kind == Operand::Kind::kSet) return SetMisplaced(operand);
    // A parenthesised expression is already a node.
    if (operand.operand.kind == Operand::Kind::kExpr) return operand.operand.index;
    Node node;
    node.kind = Node::Kind::kTruth;
    node.lhs = operand.operand;
    const bool duration = operand.slot_type == SlotType::kDuration;
    uint32_t index = Emit(node, NodeSource{operand.span, operand.span, {}, false, duration});
    truth_of_[index] = operand;
    return index;
  }

  Result<uint32_t, Diagnostic> EmitIn(ParsedOperand lhs, const ParsedOperand& rhs) {
    if (lhs.slot_type == SlotType::kDuration && rhs.operand.kind == Operand::Kind::kSet) {
      for (uint32_t i = 0; i < rhs.operand.count; ++i) {
        auto status = ConvertDuration(set_sources_[rhs.operand.index + i]);
        if (!status.ok()) return Unexpected<Diagnostic>{status.error()};
        program_.set_elements[rhs.operand.index + i] = set_sources_[rhs.operand.index + i].operand;
      }
    }
    Node node;
    node.kind = Node::Kind::kIn;
    node.lhs = lhs.operand;
    node.rhs = rhs.operand;
    return Emit(node, Source(lhs, rhs, false));
  }

  Result<uint32_t, Diagnostic> EmitCompare(CmpOp op, ParsedOperand lhs, ParsedOperand rhs) {
    if (lhs.slot_type == SlotType::kDuration) {
      auto status = ConvertDuration(rhs);
      if (!status.ok()) return Unexpected<Diagnostic>{status.error()};
    }
    if (rhs.slot_type == SlotType::kDuration) {
      auto status = ConvertDuration(lhs);
      if (!status.ok()) return Unexpected<Diagnostic>{status.error()};
    }
    Node node;
    node.cmp = op;
    if (const Value* number = NumberConstant(rhs);
        number && lhs.operand.kind == Operand::Kind::kSlot) {
      node.kind = Node::Kind::kCompareSlotNumber;
      node.lhs = lhs.operand;
      node.number = number->AsNumber();
      return Emit(node, Source(lhs, rhs, false));
    }
    if (const Value* number = NumberConstant(lhs);
        number && rhs.operand.kind == Operand::Kind::kSlot) {
      node.kind = Node::Kind::kCompareSlotNumber;
      node.cmp = Mirror(op);
      node.lhs = rhs.operand;
      node.number = number->AsNumber();
      return Emit(node, Source(lhs, rhs, true));
    }
    node.kind = Node::Kind::kCompare;
    node.lhs = lhs.operand;
    node.rhs = rhs.operand;
    return Emit(node, Source(lhs, rhs, false));
  }

  // A comparison or `in` as written: `lhs op rhs`.
  static NodeSource Source(const ParsedOperand& lhs, const ParsedOperand& rhs, bool swapped) {
    const bool duration =
        lhs.slot_type == SlotType::kDuration || rhs.slot_type == SlotType::kDuration;
    return NodeSource{Span{lhs.span.begin, rhs.span.end}, lhs.span, rhs.span, swapped, duration};
  }

  const Value* NumberConstant(const ParsedOperand& operand) const {
    if (operand.operand.kind != Operand::Kind::kConst) return nullptr;
    const Value& value = program_.constants[operand.operand.index];
    return value.kind() == Value::Kind::kNumber ? &value : nullptr;
  }

  // A string literal compared with a duration slot is a duration, in seconds.
  Result<void, Diagnostic> ConvertDuration(ParsedOperand& operand) {
    if (operand.string_literal == nullptr) return {};
    auto seconds = ParseDuration(operand.string_literal->string);
    if (!seconds.ok()) {
      return Error(operand.column, "invalid duration " + Quoted(operand.string_literal->text));
    }
    operand.operand.index = AddConstant(Value::Number(*seconds));
    operand.string_literal = nullptr;
    return {};
  }

  // operand := NUMBER | "-" NUMBER | STRING | true | false | set | NAME | "(" expr ")"
  Result<ParsedOperand, Diagnostic> ParseOperand() {
    const uint32_t begin = NextBegin();
    auto parsed = ParseOperandAt();
    if (parsed.ok()) parsed->span = Span{begin, ConsumedEnd()};
    return parsed;
  }

  Result<ParsedOperand, Diagnostic> ParseOperandAt() {
    const Token& token = Peek();
    ParsedOperand parsed;
    parsed.column = token.column;
    parsed.operand.kind = Operand::Kind::kConst;
    switch (token.kind) {
      case TokenKind::kNumber:
        Advance();
        parsed.operand.index = AddConstant(Value::Number(token.number));
        return parsed;
      case TokenKind::kMinus:
        return ParseNegative();
      case TokenKind::kString:
        Advance();
        parsed.operand.index = AddConstant(Value::String(token.string));
        parsed.string_literal = &token;
        return parsed;
      case TokenKind::kTrue:
      case TokenKind::kFalse:
        Advance();
        parsed.operand.index = AddConstant(Value::Bool(token.kind == TokenKind::kTrue));
        return parsed;
      case TokenKind::kName:
        return ParseName();
      case TokenKind::kLParen:
        return ParseGroup();
      case TokenKind::kLBrace:
        return ParseSet();
      case TokenKind::kEnd:
        return Error(token.column, "expression ends where a value was expected");
      default:
        return Error(token.column, "expected a value, found " + Quoted(token.text));
    }
  }

  Result<ParsedOperand, Diagnostic> ParseNegative() {
    const Token& minus = Advance();
    const Token& number = Peek();
    if (number.kind == TokenKind::kEnd) {
      return Error(number.column, "expression ends where a value was expected");
    }
    if (number.kind != TokenKind::kNumber) {
      return Error(number.column, "expected a number after `-`");
    }
    Advance();
    ParsedOperand parsed;
    parsed.column = minus.column;
    parsed.operand.kind = Operand::Kind::kConst;
    parsed.operand.index = AddConstant(Value::Number(-number.number));
    return parsed;
  }

  Result<ParsedOperand, Diagnostic> ParseName() {
    const Token& token = Advance();
    Reference ref{token.segments, token.column};
    auto binding = binder_.Bind(ref);
    if (!binding.ok()) return Error(token.column, binding.error());
    ParsedOperand parsed;
    parsed.column = token.column;
    parsed.operand.kind = Operand::Kind::kSlot;
    parsed.operand.index = binding->slot;
    parsed.slot_type = binding->type;
    if (binding->slot + 1 > program_.slot_limit) program_.slot_limit = binding->slot + 1;
    return parsed;
  }

  Result<ParsedOperand, Diagnostic> ParseGroup() {
    const Token& open = Advance();
    if (++depth_ > kMaxNesting) return Error(open.column, "expression nests too deeply");
    auto inner = ParseOr();
    --depth_;
    if (!inner.ok()) return Unexpected<Diagnostic>{std::move(inner).error()};
    if (Peek().kind != TokenKind::kRParen) return Error(Peek().column, "missing `)`");
    Advance();
    // `(rmq:latency)` keeps its value, so it can still be compared.
    if (truth_of_[*inner].has_value()) {
      ParsedOperand unwrapped = *truth_of_[*inner];
      unwrapped.column = open.column;
      return unwrapped;
    }
    ParsedOperand parsed;
    parsed.column = open.column;
    parsed.operand.kind = Operand::Kind::kExpr;
    parsed.operand.index = *inner;
    return parsed;
  }

  // set := "{" [operand ("," operand)*] "}"
  Result<ParsedOperand, Diagnostic> ParseSet() {
    const Token& open = Advance();
    std::vector<ParsedOperand> elements;
    if (Peek().kind != TokenKind::kRBrace) {
      while (true) {
        auto element = ParseOperand();
        if (!element.ok()) return element;
        if (element->operand.kind == Operand::Kind::kSet) {
          return Error(element->column, "sets cannot contain sets");
        }
        elements.push_back(*element);
        if (Peek().kind != TokenKind::kComma) break;
        Advance();
      }
    }
    if (Peek().kind != TokenKind::kRBrace) {
      if (Peek().kind == TokenKind::kEnd) return Error(Peek().column, "missing `}`");
      return Error(Peek().column, "expected `,` or `}`, found " + Quoted(Peek().text));
    }
    Advance();
    ParsedOperand parsed;
    parsed.column = open.column;
    parsed.operand.kind = Operand::Kind::kSet;
    parsed.operand.index = static_cast<uint32_t>(program_.set_elements.size());
    parsed.operand.count = static_cast<uint32_t>(elements.size());
    for (const ParsedOperand& element : elements) {
      program_.set_elements.push_back(element.operand);
      set_sources_.push_back(element);
    }
    return parsed;
  }

  const std::vector<Token>& tokens_;
  Binder& binder_;
  Program& program_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::vector<std::optional<ParsedOperand>> truth_of_;  // per node: the operand a kTruth node tests
  std::vector<ParsedOperand> set_sources_;              // parallel to program_.set_elements
};

}  // namespace

Result<void, Diagnostic> CompileProgram(std::string_view text, Binder& binder, Program& program) {
  auto tokens = Lex(text);
  if (!tokens.ok()) return Unexpected<Diagnostic>{std::move(tokens).error()};
  program.text = std::string(text);
  auto root = Compiler(*tokens, binder, program).Run();
  if (!root.ok()) return Unexpected<Diagnostic>{std::move(root).error()};
  program.root = *root;
  // Kept for the service's life (one program per rule and trigger of every service): without
  // the spare capacity of growth, a program takes about a quarter less.
  program.nodes.shrink_to_fit();
  program.children.shrink_to_fit();
  program.set_elements.shrink_to_fit();
  program.constants.shrink_to_fit();
  program.sources.shrink_to_fit();
  return {};
}

}  // namespace maiev::rules::internal
