// Docker config.json credentials (src/registry/docker_config) and base64. Invariants: an error
// is "invalid" and sendable as JSON; every entry has credentials and Find answers them for its
// registry; base64 round-trips.
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "registry/docker_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maiev::fuzz::Check;
  const std::string_view text = maiev::fuzz::Text(data, size);
  auto config = maiev::registry::ParseDockerConfig(text);
  if (maiev::fuzz::Succeeded(config, "invalid")) {
    for (const auto& [registry, credentials] : config->auths) {
      Check(!credentials.empty());
      auto found = config->Find(registry);
      Check(found.has_value() && *found == credentials);
    }
  }
  if (auto decoded = maiev::registry::DecodeBase64(text)) {
    Check(maiev::registry::DecodeBase64(maiev::registry::EncodeBase64(*decoded)) == *decoded);
  }
  const std::string encoded = maiev::registry::EncodeBase64(text);
  Check(maiev::registry::DecodeBase64(encoded) == std::string(text));
  return 0;
}
