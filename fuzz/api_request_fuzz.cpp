// The API's request bodies (src/api/request_bodies): scale and rule-test requests. Invariants:
// an error is "invalid" and sendable as JSON (it is the answer); replicas are never negative.
#include "api/request_bodies.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::fuzz::Check;
  const std::string_view body = maiev::fuzz::Text(data, size);
  if (auto scale = maiev::api::ParseScaleRequest(body); maiev::fuzz::Succeeded(scale, "invalid")) {
    Check(scale->replicas >= 0);
  }
  static_cast<void>(maiev::fuzz::Succeeded(maiev::api::ParseRuleTestRequest(body), "invalid"));
  return 0;
}
