// Credentials never reach a log line or an error message: text built from anything a broker, a
// registry or a library returned passes through Redact before it leaves its module.
#pragma once

#include <string>
#include <string_view>

namespace maiev {

// Replaces every occurrence of `secret` in `text` (a no-op for an empty secret).
inline std::string Redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  static constexpr std::string_view kMask = "***";
  for (auto pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + kMask.size())) {
    text.replace(pos, secret.size(), kMask);
  }
  return text;
}

}  // namespace maiev
