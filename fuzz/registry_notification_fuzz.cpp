// Registry notification envelopes (src/registry/push_hint). Invariants: an error, sendable as JSON,
// is "invalid"; there are never more hints than events; each hint names a repository and a tag, and
// a digest only when it is a valid one.
#include "fuzz/fuzz_support.hpp"
#include "registry/manifest.hpp"
#include "registry/push_hint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::fuzz::Check;
  std::size_t events = 0;
  auto hints = maiev::registry::ParseRegistryNotification(maiev::fuzz::Text(data, size), &events);
  if (!maiev::fuzz::Succeeded(hints, "invalid")) return 0;
  Check(hints->size() <= events);
  for (const auto& hint : *hints) {
    Check(!hint.repository.empty() && !hint.tag.empty());
    Check(hint.digest.empty() || maiev::registry::IsValidDigest(hint.digest));
  }
  return 0;
}
