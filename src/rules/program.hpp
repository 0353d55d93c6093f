// The compiled form of an expression. Internal to src/rules/.
//
// A flat array of nodes; children are indices. Names are pre-bound to slots, literals live in a
// constant table (strings are compared in place, never copied), and the most common shape,
// `NAME <op> NUMBER`, is one node with the number inline. Evaluation allocates nothing.
// Where each node was written is kept beside the nodes (Program::sources), read only to explain
// a result, so the evaluator's nodes stay small.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rules/value.hpp"

namespace maiev::rules::internal {

enum class CmpOp : uint8_t { kEq, kNe, kLt, kGt, kLe, kGe };

// `a op b` == `b Mirror(op) a`.
constexpr CmpOp Mirror(CmpOp op) {
  switch (op) {
    case CmpOp::kLt:
      return CmpOp::kGt;
    case CmpOp::kGt:
      return CmpOp::kLt;
    case CmpOp::kLe:
      return CmpOp::kGe;
    case CmpOp::kGe:
      return CmpOp::kLe;
    default:
      return op;
  }
}

struct Operand {
  enum class Kind : uint8_t {
    kSlot,   // index = slot
    kConst,  // index = constant
    kExpr,   // index = node; its boolean result
    kSet,    // index = first element in Program::set_elements, count = number of elements
  };
  Kind kind = Kind::kConst;
  uint32_t index = 0;
  uint32_t count = 0;
};

struct Node {
  enum class Kind : uint8_t {
    kOr,                 // children: Program::children[first, first + count)
    kAnd,                // same
    kNot,                // first = child node
    kTruth,              // lhs is true
    kCompare,            // lhs cmp rhs
    kIn,                 // lhs in rhs (list, string or set)
    kCompareSlotNumber,  // slot lhs.index cmp number
  };
  Kind kind = Kind::kTruth;
  CmpOp cmp = CmpOp::kEq;
  uint32_t first = 0;
  uint32_t count = 0;
  Operand lhs;
  Operand rhs;
  double number = 0;
};

// A part of Program::text: bytes [begin, end).
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Where a node was written, for explanations (Expression::Explain).
struct NodeSource {
  Span text;              // the whole node; a `not` from its keyword, a list from its first operand
  Span lhs;               // kTruth: its operand; comparisons and `in`: the left side as written
  Span rhs;               // comparisons and `in`: the right side as written
  bool swapped = false;   // kCompareSlotNumber written `NUMBER op NAME`: Node::lhs is on the right
  bool duration = false;  // a `:since` is read or compared: its numbers are seconds
};

struct Program {
  std::string text;
  std::vector<Node> nodes;
  std::vector<uint32_t> children;
  std::vector<Operand> set_elements;
  std::vector<Value> constants;
  uint32_t root = 0;
  uint32_t slot_limit = 0;  // one past the highest bound slot
  // Parallel to nodes; last, so that what the evaluator reads keeps its place.
  std::vector<NodeSource> sources;
};

}  // namespace maiev::rules::internal
