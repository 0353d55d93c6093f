#include "config/json_text.hpp"

#include <algorithm>
#include <utility>

#include "common/message_text.hpp"

namespace maiev::config {
namespace {

// nlohmann reports the byte offset just past the offending character; people want line:col.
std::pair<size_t, size_t> LineAndColumn(std::string_view text, size_t byte) {
  size_t line = 1;
  size_t column = 1;
  const size_t end = std::min(text.size(), byte == 0 ? 0 : byte - 1);
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// "[json.exception.out_of_range.406] number overflow ..." → "number overflow ...".
std::string WithoutExceptionId(const std::string& what) {
  const auto bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error while parsing
// value - invalid literal; last read: 'x'" → "syntax error while parsing value - ...".
std::string ParseErrorDetail(const std::string& what) {
  const auto colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

Result<nlohmann::json, ConfigError> ParseJsonText(std::string_view text) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = LineAndColumn(text, e.byte);
    return Unexpected{ConfigError{"", "invalid JSON at line " + std::to_string(line) + ", col " +
                                          std::to_string(column) + ": " +
                                          EscapeInvalidUtf8(ParseErrorDetail(e.what()))}};
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range: number overflow
    return Unexpected{ConfigError{"", "invalid JSON: " + WithoutExceptionId(e.what())}};
  }
}

}  // namespace maiev::config
