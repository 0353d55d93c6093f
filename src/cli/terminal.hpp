// What the CLI's standard output is: a terminal (its width, whether colour is welcome) or a pipe
// or file (no width limit, no colour), and the raw keyboard mode of `maiev top`.
#pragma once

#include <memory>
#include <optional>

#include "cli/table.hpp"

namespace maiev::cli {

// Tables for standard output: cut to the terminal's width (COLUMNS when set, else the
// terminal's own; no limit when stdout is not a terminal and COLUMNS is unset), coloured only
// on a terminal when NO_COLOR is unset or empty and TERM is not "dumb".
TableStyle StdoutStyle();

// Standard input in non-canonical mode without echo while alive, as it was after; keys are read
// one at a time, without waiting for Enter. Does nothing when stdin is not a terminal.
class RawKeyboard {
 public:
  RawKeyboard();
  ~RawKeyboard();
  RawKeyboard(const RawKeyboard&) = delete;
  RawKeyboard& operator=(const RawKeyboard&) = delete;

  // The next key pressed within `timeout_ms`, or nullopt; end of input reads as 'q'.
  std::optional<char> Next(int timeout_ms) const;

 private:
  bool active_ = false;
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace maiev::cli
