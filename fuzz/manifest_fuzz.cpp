// Registry documents (src/registry/manifest). The first line of the input is the reply's
// Content-Type, the rest its body: read as a manifest (an index's platform chosen), a config
// blob's labels, a tag list and an error reply. Invariants: errors, sendable as JSON, have the
// documented codes; an image has a valid config digest, an index entries with valid digests,
// and a chosen platform is one of its entries.
#include <algorithm>

#include "fuzz/fuzz_support.hpp"
#include "registry/manifest.hpp"

namespace maiev::registry {
namespace {

void CheckManifest(std::string_view body, std::string_view content_type) {
  auto manifest = ParseManifest(body, content_type);
  if (!manifest.ok()) {
    fuzz::Check(manifest.error().code == "unsupported" || manifest.error().code == "protocol");
    return fuzz::CheckMessage(manifest.error().message);
  }
  if (manifest->kind == Manifest::Kind::kImage) {
    fuzz::Check(IsValidDigest(manifest->config_digest));
    return;
  }
  for (const ManifestEntry& e : manifest->entries) fuzz::Check(IsValidDigest(e.digest));
  auto chosen = ChoosePlatform(*manifest);
  if (!chosen.ok()) {
    fuzz::Check(chosen.error().code == "not_found");
    return fuzz::CheckMessage(chosen.error().message);
  }
  fuzz::Check(std::find(manifest->entries.begin(), manifest->entries.end(), *chosen) !=
              manifest->entries.end());
}

}  // namespace
}  // namespace maiev::registry

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace maiev::registry;  // NOLINT(google-build-using-namespace): one short function
  const std::string_view text = maiev::fuzz::Text(data, size);
  const auto [content_type, body] = maiev::fuzz::FirstLine(text);
  CheckManifest(body, content_type);
  for (const std::string_view type : {kDockerManifestV2, kDockerManifestList, kOciIndex}) {
    CheckManifest(body, type);
  }
  if (auto labels = ParseImageConfigLabels(text); !labels.ok()) {
    maiev::fuzz::CheckMessage(labels.error().message);
  }
  if (auto tags = ParseTagList(text); !tags.ok()) maiev::fuzz::CheckMessage(tags.error().message);
  static_cast<void>(RegistryErrorSummary(text));
  static_cast<void>(IsValidRepository(text));
  return 0;
}
