// Duration literals of the rule language: "25s", "5m", "1h30m", "1.5s", "40 seconds", "2 minutes".
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>

#include "common/message_text.hpp"
#include "rules/expression.hpp"

namespace maiev::rules {
namespace {

struct Unit {
  std::string_view name;
  double seconds;
};

constexpr std::array<Unit, 22> kUnits = {{
    {"ms", 0.001},
    {"millisecond", 0.001},
    {"milliseconds", 0.001},
    {"s", 1},
    {"sec", 1},
    {"secs", 1},
    {"second", 1},
    {"seconds", 1},
    {"m", 60},
    {"min", 60},
    {"mins", 60},
    {"minute", 60},
    {"minutes", 60},
    {"h", 3600},
    {"hour", 3600},
    {"hours", 3600},
    {"d", 86400},
    {"day", 86400},
    {"days", 86400},
    {"w", 604800},
    {"week", 604800},
    {"weeks", 604800},
}};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Unexpected<std::string> NotADuration(std::string_view text) {
  return Unexpected<std::string>{"`" + EscapeInvalidUtf8(text) +
                                 "` is not a duration; accepted: a number and a unit (ms, s, m, "
                                 "h, d, w, or their long names), repeated, e.g. \"25s\", "
                                 "\"1h30m\", \"1.5 minutes\""};
}

}  // namespace

Result<double, std::string> ParseDuration(std::string_view text) {
  size_t i = 0;
  double total = 0;
  int parts = 0;
  auto skip_space = [&] {
    while (i < text.size() && IsSpace(text[i])) ++i;
  };
  skip_space();
  while (i < text.size()) {
    // A non-negative decimal number: digits, optionally a fraction.
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i < text.size() && text[i] == '.') {
      ++i;
      size_t fraction = i;
      while (i < text.size() && IsDigit(text[i])) ++i;
      if (i == fraction) return NotADuration(text);
    }
    if (i == start || !IsDigit(text[start])) return NotADuration(text);
    double amount = 0;
    auto [end, ec] = std::from_chars(text.data() + start, text.data() + i, amount);
    if (ec != std::errc() || end != text.data() + i) return NotADuration(text);

    skip_space();
    size_t unit_start = i;
    while (i < text.size() && IsAlpha(text[i])) ++i;
    std::string unit(text.substr(unit_start, i - unit_start));
    for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const Unit* found = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == unit) found = &u;
    }
    if (found == nullptr) return NotADuration(text);
    total += amount * found->seconds;
    ++parts;
    skip_space();
  }
  if (parts == 0) return NotADuration(text);
  return total;
}

}  // namespace maiev::rules
