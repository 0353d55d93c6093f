// Text from outside (a config, a request, a reply) quoted in an error message. Messages go into
// JSON answers, events, logs and terminals, so they must be valid UTF-8: nlohmann's dump()
// throws on anything else.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace maiev {

// The length of the valid UTF-8 sequence (RFC 3629: no overlong form, no surrogate, at most
// U+10FFFF) that starts `text`; 0 when `text` is empty or does not start with one.
std::size_t Utf8SequenceLength(std::string_view text);

// `text` with every byte that is not part of a valid UTF-8 sequence written as `\xNN` (two
// uppercase hex digits); valid text is returned as it is.
std::string EscapeInvalidUtf8(std::string_view text);

// The character at `offset` as a message quotes it: its whole UTF-8 sequence (`→`, not one byte
// of it), or the byte as `\xNN` when it starts none. REQUIRES: offset < text.size().
std::string CharacterAt(std::string_view text, std::size_t offset);

}  // namespace maiev
