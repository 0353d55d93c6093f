// Token service replies (src/registry/token). Invariants: an error, sendable as JSON, is
// "protocol"; a token is not empty and expires at most the maximum lifetime after `now`.
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "registry/token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::fuzz::Check;
  const std::string_view body = maiev::fuzz::Text(data, size);
  const maiev::TimePoint now{std::chrono::seconds{1'700'000'000}};
  auto token = maiev::registry::ParseTokenResponse(body, now);
  if (!maiev::fuzz::Succeeded(token, "protocol")) return 0;
  Check(!token->token.empty());
  // Compared, not subtracted: an `issued_at` centuries ago is ns further back than 64 bits hold.
  Check(token->expires_at <= now + std::chrono::duration_cast<maiev::WallClock::duration>(
                                       maiev::registry::kMaximumTokenLifetime));
  return 0;
}
