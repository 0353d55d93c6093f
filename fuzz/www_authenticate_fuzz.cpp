// WWW-Authenticate values (src/registry/http_headers): every challenge of any text. Invariants:
// an error is "protocol"; schemes and parameter names are lowercase and not empty.
#include <cctype>

#include "fuzz/fuzz_support.hpp"
#include "registry/http_headers.hpp"

namespace {

bool IsLowercase(std::string_view text) {
  for (const char c : text) {
    if (std::isupper(static_cast<unsigned char>(c)) != 0) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::fuzz::Check;
  auto challenges = maiev::registry::ParseAuthChallenges(maiev::fuzz::Text(data, size));
  if (!maiev::fuzz::Succeeded(challenges, "protocol")) return 0;
  for (const auto& challenge : *challenges) {
    Check(!challenge.scheme.empty() && IsLowercase(challenge.scheme));
    for (const auto& [name, value] : challenge.params) Check(!name.empty() && IsLowercase(name));
    static_cast<void>(challenge.Param("realm"));
  }
  static_cast<void>(maiev::registry::FindChallenge(*challenges, "bearer"));
  return 0;
}
