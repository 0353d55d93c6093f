// What the CLI reads back from the API (src/api/service_json): a service's status and history.
// Invariants: an error is sendable as JSON; what is read writes back to JSON that reads again
// into the same JSON.
#include <nlohmann/json.hpp>

#include "api/service_json.hpp"
#include "fuzz/fuzz_support.hpp"

namespace maiev::api {
namespace {

template <class Read>
void CheckRoundTrip(const nlohmann::json& doc, Read read) {
  auto value = read(doc);
  if (!value.ok()) return fuzz::CheckMessage(value.error().message);
  const nlohmann::json written = ToJson(*value);
  auto again = read(written);
  fuzz::Check(again.ok());
  fuzz::Check(ToJson(*again) == written);
}

}  // namespace
}  // namespace maiev::api

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json doc = nlohmann::json::parse(maiev::fuzz::Text(data, size), nullptr, false);
  if (doc.is_discarded()) return 0;
  maiev::api::CheckRoundTrip(doc, maiev::api::ServiceStatusFromJson);
  maiev::api::CheckRoundTrip(doc, maiev::api::ServiceHistoryFromJson);
  return 0;
}
