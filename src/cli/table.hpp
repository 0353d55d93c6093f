// Aligned text tables for the CLI: columns two spaces apart, cut to the terminal's width (the
// widest columns give way first, down to 6 columns, their cells ending in `…`), and colour only
// when asked for (cli/terminal.hpp decides: a TTY without NO_COLOR). Pure: text in, text out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace maiev::cli {

enum class Colour { kNone, kGreen, kYellow, kRed, kDim, kBold };

// How a table is printed: `width` columns at most (0: no limit, as into a pipe or a file), and
// whether cells carry ANSI colours.
struct TableStyle {
  std::size_t width = 0;
  bool colour = false;
};

struct Cell {
  Cell(std::string value, Colour paint = Colour::kNone)  // NOLINT: implicit from text
      : text(std::move(value)), colour(paint) {}
  Cell(const char* value) : text(value) {}  // NOLINT: implicit from text
  std::string text;
  Colour colour = Colour::kNone;
};

// Columns on a terminal: UTF-8 continuation bytes take no column (`→` is one).
std::size_t Columns(std::string_view text);
// `text` cut to `columns` columns, its last one `…` when something was cut.
std::string Truncate(std::string_view text, std::size_t columns);
// `text` in `colour` (an ANSI SGR sequence and a reset) when `enabled`, else as it is.
std::string Paint(std::string_view text, Colour colour, bool enabled);

// Rows of cells in aligned columns (the last one not padded), each row optionally followed by
// free lines that do not count for the widths (cut to the width, too).
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void Row(std::vector<Cell> cells);
  void Line(std::string line);
  std::string Render(const TableStyle& style = {}) const;

 private:
  // The width of each column: as wide as its widest cell, then narrowed, widest first, until
  // the row fits `width` or every column is down to kMinColumn (6).
  std::vector<std::size_t> Widths(std::size_t width) const;

  struct Entry {
    std::vector<Cell> cells;
    std::vector<std::string> lines;
  };
  std::vector<Entry> rows_;  // the header first
};

}  // namespace maiev::cli
