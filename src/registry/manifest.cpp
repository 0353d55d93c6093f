#include "registry/manifest.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/message_text.hpp"

namespace maiev::registry {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxRepositoryLength = 255;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsLowerHex(char c) { return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'); }

// distribution/reference: alnum runs joined by `.`, `_`, `__` or one or more `-`.
bool IsValidComponent(std::string_view component) {
  if (component.empty() || !IsLowerAlnum(component.front()) || !IsLowerAlnum(component.back())) {
    return false;
  }
  for (std::size_t i = 0; i < component.size();) {
    if (IsLowerAlnum(component[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < component.size() && !IsLowerAlnum(component[end])) ++end;
    std::string_view separator = component.substr(i, end - i);
    const bool dashes = separator.find_first_not_of('-') == std::string_view::npos;
    if (separator != "." && separator != "_" && separator != "__" && !dashes) return false;
    i = end;
  }
  return true;
}

// The media type without parameters, lowercase and trimmed.
std::string BareMediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  std::string out(content_type);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Result<json> ParseJson(std::string_view body, std::string_view what) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    return Fail("protocol", std::string(what) + " is not JSON: " + EscapeInvalidUtf8(e.what()));
  }
}

Unexpected<Error> Malformed(std::string_view what, const std::string& path,
                            std::string_view expected) {
  return Fail("protocol", std::string(what) + ", " + path + ": expected " + std::string(expected));
}

// A string member; "" when absent, an error when present with another type.
Result<std::string> OptionalString(const json& object, const char* key, std::string_view what,
                                   const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Malformed(what, path + key, "a string");
  return it->get<std::string>();
}

Result<std::string> RequiredDigest(const json& object, std::string_view what,
                                   const std::string& path) {
  auto it = object.find("digest");
  if (it == object.end() || !it->is_string() || !IsValidDigest(it->get<std::string>())) {
    return Malformed(what, path + "digest", "a digest (sha256:<64 hex digits>)");
  }
  return it->get<std::string>();
}

Result<ManifestEntry> ParseEntry(const json& item, std::size_t index) {
  constexpr std::string_view kWhat = "manifest index";
  const std::string path = "manifests[" + std::to_string(index) + "].";
  if (!item.is_object()) return Malformed(kWhat, path.substr(0, path.size() - 1), "an object");
  ManifestEntry entry;
  auto digest = RequiredDigest(item, kWhat, path);
  if (!digest) return Unexpected{digest.error()};
  entry.digest = std::move(*digest);
  auto media_type = OptionalString(item, "mediaType", kWhat, path);
  if (!media_type) return Unexpected{media_type.error()};
  entry.media_type = std::move(*media_type);
  auto platform = item.find("platform");
  if (platform == item.end() || platform->is_null()) return entry;
  if (!platform->is_object()) return Malformed(kWhat, path + "platform", "an object");
  const std::string platform_path = path + "platform.";
  for (auto [key, field] : {std::pair{"os", &entry.platform.os},
                            std::pair{"architecture", &entry.platform.architecture},
                            std::pair{"variant", &entry.platform.variant}}) {
    auto value = OptionalString(*platform, key, kWhat, platform_path);
    if (!value) return Unexpected{value.error()};
    *field = std::move(*value);
  }
  return entry;
}

Result<Manifest> ParseIndex(const json& doc, Manifest manifest) {
  auto manifests = doc.find("manifests");
  if (manifests == doc.end() || !manifests->is_array()) {
    return Malformed("manifest index", "manifests", "an array");
  }
  manifest.kind = Manifest::Kind::kIndex;
  for (std::size_t i = 0; i < manifests->size(); ++i) {
    auto entry = ParseEntry((*manifests)[i], i);
    if (!entry) return Unexpected{entry.error()};
    manifest.entries.push_back(std::move(*entry));
  }
  return manifest;
}

Result<Manifest> ParseImage(const json& doc, Manifest manifest) {
  auto config = doc.find("config");
  if (config == doc.end() || !config->is_object()) {
    return Malformed("image manifest", "config", "an object");
  }
  auto digest = RequiredDigest(*config, "image manifest", "config.");
  if (!digest) return Unexpected{digest.error()};
  manifest.kind = Manifest::Kind::kImage;
  manifest.config_digest = std::move(*digest);
  return manifest;
}

std::string Describe(const Platform& p) {
  std::string text =
      (p.os.empty() ? "?" : p.os) + "/" + (p.architecture.empty() ? "?" : p.architecture);
  if (!p.variant.empty()) text += "/" + p.variant;
  return text;
}

}  // namespace

bool IsValidDigest(std::string_view digest) {
  std::size_t hex_length = 0;
  if (digest.starts_with("sha256:")) {
    hex_length = 64;
  } else if (digest.starts_with("sha512:")) {
    hex_length = 128;
  } else {
    return false;
  }
  std::string_view hex = digest.substr(7);
  return hex.size() == hex_length && std::all_of(hex.begin(), hex.end(), IsLowerHex);
}

bool IsValidRepository(std::string_view repository) {
  if (repository.empty() || repository.size() > kMaxRepositoryLength) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = repository.find('/', start);
    if (!IsValidComponent(repository.substr(start, slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

Result<Manifest> ParseManifest(std::string_view body, std::string_view content_type) {
  auto doc = ParseJson(body, "manifest");
  if (!doc) return Unexpected{doc.error()};
  if (!doc->is_object()) return Malformed("manifest", "(top level)", "an object");
  Manifest manifest;
  auto declared = OptionalString(*doc, "mediaType", "manifest", "");
  if (!declared) return Unexpected{declared.error()};
  manifest.media_type = declared->empty() ? BareMediaType(content_type) : *declared;
  const std::string& type = manifest.media_type;
  if (type == kDockerManifestList || type == kOciIndex)
    return ParseIndex(*doc, std::move(manifest));
  if (type == kDockerManifestV2 || type == kOciManifest)
    return ParseImage(*doc, std::move(manifest));
  if (type.starts_with("application/vnd.docker.distribution.manifest.v1")) {
    return Fail("unsupported", "manifest of type " + EscapeInvalidUtf8(type) +
                                   " (schema 1) has no config blob; push the image again "
                                   "with a current Docker to get a schema 2 manifest");
  }
  // Untyped or generic (`application/json`): OCI documents may leave mediaType out.
  if (type.empty() || type == "application/json") {
    if (doc->contains("manifests")) return ParseIndex(*doc, std::move(manifest));
    if (doc->contains("config")) return ParseImage(*doc, std::move(manifest));
  }
  return Fail("unsupported", "manifest of type \"" + EscapeInvalidUtf8(type) +
                                 "\"; accepted: " + std::string(kManifestAccept));
}

Result<ManifestEntry> ChoosePlatform(const Manifest& index, const Platform& wanted) {
  const ManifestEntry* chosen = nullptr;
  for (const ManifestEntry& entry : index.entries) {
    const Platform& p = entry.platform;
    if (p.os != wanted.os || p.architecture != wanted.architecture) continue;
    if (!wanted.variant.empty()) {
      if (p.variant == wanted.variant) return entry;
      continue;
    }
    if (p.variant.empty() || p.variant == "v1") return entry;
    if (chosen == nullptr) chosen = &entry;
  }
  if (chosen != nullptr) return *chosen;
  std::string available;
  for (const ManifestEntry& entry : index.entries) {
    available += (available.empty() ? "" : ", ") + Describe(entry.platform);
  }
  return Fail("not_found", "manifest list has no " + Describe(wanted) + " image (it has: " +
                               (available.empty() ? "no entries" : available) + ")");
}

Result<std::map<std::string, std::string>> ParseImageConfigLabels(std::string_view body) {
  constexpr std::string_view kWhat = "image config";
  auto doc = ParseJson(body, kWhat);
  if (!doc) return Unexpected{doc.error()};
  if (!doc->is_object()) return Malformed(kWhat, "(top level)", "an object");
  std::map<std::string, std::string> labels;
  auto config = doc->find("config");
  if (config == doc->end() || config->is_null()) return labels;
  if (!config->is_object()) return Malformed(kWhat, "config", "an object");
  auto found = config->find("Labels");
  if (found == config->end() || found->is_null()) return labels;
  if (!found->is_object()) return Malformed(kWhat, "config.Labels", "an object");
  for (const auto& [key, value] : found->items()) {
    if (!value.is_string()) return Malformed(kWhat, "config.Labels[\"" + key + "\"]", "a string");
    labels.emplace(key, value.get<std::string>());
  }
  return labels;
}

Result<std::vector<std::string>> ParseTagList(std::string_view body) {
  constexpr std::string_view kWhat = "tag list";
  auto doc = ParseJson(body, kWhat);
  if (!doc) return Unexpected{doc.error()};
  if (!doc->is_object()) return Malformed(kWhat, "(top level)", "an object");
  std::vector<std::string> tags;
  auto found = doc->find("tags");
  if (found == doc->end()) return Malformed(kWhat, "tags", "an array");
  if (found->is_null()) return tags;  // a repository whose tags were all deleted
  if (!found->is_array()) return Malformed(kWhat, "tags", "an array");
  for (std::size_t i = 0; i < found->size(); ++i) {
    const json& tag = (*found)[i];
    if (!tag.is_string()) return Malformed(kWhat, "tags[" + std::to_string(i) + "]", "a string");
    tags.push_back(tag.get<std::string>());
  }
  return tags;
}

std::string RegistryErrorSummary(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return {};
  auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array()) return {};
  std::string summary;
  for (const json& error : *errors) {
    if (!error.is_object()) continue;
    auto text = [&error](const char* key) {
      auto it = error.find(key);
      return it != error.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string code = text("code");
    const std::string message = text("message");
    if (code.empty() && message.empty()) continue;
    if (!summary.empty()) summary += "; ";
    summary += code.empty() ? message : message.empty() ? code : code + ": " + message;
  }
  // The registry's words go into error messages: a bounded excerpt.
  constexpr std::size_t kMaxSummary = 300;
  if (summary.size() > kMaxSummary) summary = summary.substr(0, kMaxSummary) + "…";
  return summary;
}

}  // namespace maiev::registry
