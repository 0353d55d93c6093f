#include "cli/table.hpp"

#include <algorithm>

namespace maiev::cli {
namespace {

// A column is never narrowed below this.
constexpr std::size_t kMinColumn = 6;
constexpr std::size_t kGap = 2;

const char* Sgr(Colour colour) {
  switch (colour) {
    case Colour::kGreen:
      return "\x1b[32m";
    case Colour::kYellow:
      return "\x1b[33m";
    case Colour::kRed:
      return "\x1b[31m";
    case Colour::kDim:
      return "\x1b[2m";
    case Colour::kBold:
      return "\x1b[1m";
    case Colour::kNone:
      break;
  }
  return "";
}

}  // namespace

std::size_t Columns(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

std::string Truncate(std::string_view text, std::size_t columns) {
  if (Columns(text) <= columns) return std::string(text);
  if (columns == 0) return "";
  std::string out;
  std::size_t used = 0;
  for (const char c : text) {
    const bool starts = (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    if (starts && ++used == columns) break;  // the last column is the ellipsis
    out.push_back(c);
  }
  return out + "…";
}

std::string Paint(std::string_view text, Colour colour, bool enabled) {
  if (!enabled || colour == Colour::kNone || text.empty()) return std::string(text);
  return std::string(Sgr(colour)) + std::string(text) + "\x1b[0m";
}

Table::Table(std::vector<std::string> header) {
  Entry entry;
  for (std::string& h : header) entry.cells.emplace_back(std::move(h), Colour::kBold);
  rows_.push_back(std::move(entry));
}

void Table::Row(std::vector<Cell> cells) { rows_.push_back({std::move(cells), {}}); }

void Table::Line(std::string line) { rows_.back().lines.push_back(std::move(line)); }

std::vector<std::size_t> Table::Widths(std::size_t width) const {
  std::vector<std::size_t> widths;
  for (const Entry& row : rows_) {
    if (widths.size() < row.cells.size()) widths.resize(row.cells.size(), 0);
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      widths[i] = std::max(widths[i], Columns(row.cells[i].text));
    }
  }
  if (width == 0 || widths.empty()) return widths;
  std::vector<std::size_t> floor(widths.size());
  for (std::size_t i = 0; i < widths.size(); ++i) floor[i] = std::min(widths[i], kMinColumn);
  std::size_t total = kGap * (widths.size() - 1);
  for (const std::size_t w : widths) total += w;
  while (total > width) {
    // The widest column that may still give way; the later one on a tie (reasons come last).
    std::size_t widest = widths.size();
    for (std::size_t i = 0; i < widths.size(); ++i) {
      if (widths[i] <= floor[i]) continue;
      if (widest == widths.size() || widths[i] >= widths[widest]) widest = i;
    }
    if (widest == widths.size()) break;  // nothing gives way: the terminal is too narrow
    --widths[widest];
    --total;
  }
  return widths;
}

std::string Table::Render(const TableStyle& style) const {
  const std::vector<std::size_t> widths = Widths(style.width);
  std::string out;
  for (const Entry& row : rows_) {
    std::string line;
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const std::string text = Truncate(row.cells[i].text, widths[i]);
      line += Paint(text, row.cells[i].colour, style.colour);
      if (i + 1 < row.cells.size()) line += std::string(widths[i] - Columns(text) + kGap, ' ');
    }
    out += line + "\n";
    for (const std::string& free : row.lines) {
      out += (style.width == 0 ? free : Truncate(free, style.width)) + "\n";
    }
  }
  return out;
}

}  // namespace maiev::cli
