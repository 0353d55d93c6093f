// What every fuzz target shares: the input as text, and the check of an invariant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"

namespace maiev::fuzz {

inline std::string_view Text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant is a crash the fuzzer reports (and minimises), not an exception a parser
// could swallow.
inline void Check(bool invariant) {
  if (!invariant) __builtin_trap();
}

// An error message can be sent as it is in a JSON answer of the API or an event (nlohmann's
// dump() throws on invalid UTF-8) and is not empty.
inline void CheckMessage(const std::string& message) {
  Check(!message.empty());
  try {
    static_cast<void>(nlohmann::json(message).dump());
  } catch (const nlohmann::json::type_error&) {
    std::fprintf(stderr, "message not UTF-8: %s\n", message.c_str());
    __builtin_trap();
  }
}

// True when `result` holds a value; otherwise checks that its error has `code` and a message
// sendable as JSON, and returns false.
template <class T>
bool Succeeded(const Result<T>& result, std::string_view code) {
  if (result.ok()) return true;
  Check(result.error().code == code);
  CheckMessage(result.error().message);
  return false;
}

// Splits `text` at its first newline: a selector line (a content type, a URL) and the body.
inline std::pair<std::string_view, std::string_view> FirstLine(std::string_view text) {
  const std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return {text, {}};
  return {text.substr(0, nl), text.substr(nl + 1)};
}

}  // namespace maiev::fuzz
