#include "common/message_text.hpp"

namespace maiev {

std::size_t Utf8SequenceLength(std::string_view text) {
  if (text.empty()) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  // The range of the second byte narrows for the leads where it rules out overlong forms,
  // surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..).
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

std::string EscapeInvalidUtf8(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::size_t length = Utf8SequenceLength(text);
    if (length > 0) {
      out.append(text.substr(0, length));
    } else {
      const auto b = static_cast<unsigned char>(text[0]);
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      length = 1;
    }
    text.remove_prefix(length);
  }
  return out;
}

std::string CharacterAt(std::string_view text, std::size_t offset) {
  const std::string_view rest = text.substr(offset);
  const std::size_t length = Utf8SequenceLength(rest);
  return EscapeInvalidUtf8(rest.substr(0, length > 0 ? length : 1));
}

}  // namespace maiev
