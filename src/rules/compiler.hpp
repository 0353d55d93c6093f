// Parses and binds an expression into its compiled form. Internal to src/rules/.
#pragma once

#include <string_view>

#include "common/result.hpp"
#include "rules/expression.hpp"
#include "rules/program.hpp"

namespace maiev::rules::internal {

// Nesting deeper than this (parentheses, `not`) is rejected rather than risking the stack.
inline constexpr int kMaxNesting = 128;

// Fills `program` (which must be empty) from `text`, resolving names through `binder`.
Result<void, Diagnostic> CompileProgram(std::string_view text, Binder& binder, Program& program);

}  // namespace maiev::rules::internal
