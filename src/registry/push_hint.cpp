#include "registry/push_hint.hpp"

#include <nlohmann/json.hpp>

#include "common/message_text.hpp"
#include "registry/manifest.hpp"
#include "registry/registry_host.hpp"
#include "versions/version.hpp"

namespace maiev::registry {
namespace {

using nlohmann::json;

constexpr std::string_view kRepositoryRule =
    "a repository name (lowercase letters and digits separated by `.`, `_`, `-` and `/`)";

Unexpected<Error> Invalid(std::string_view what, const std::string& path,
                          std::string_view expected) {
  return Fail("invalid", std::string(what) + ", " + path + ": expected " + std::string(expected));
}

Result<json> ParseBody(std::string_view body, std::string_view what) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    return Fail("invalid", std::string(what) + " is not JSON: " + EscapeInvalidUtf8(e.what()));
  }
}

// A string member: "" when absent or null, an error for another type.
Result<std::string> OptionalString(const json& object, const char* key, std::string_view what,
                                   const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Invalid(what, path + "." + key, "a string");
  return it->get<std::string>();
}

Result<const json*> RequiredObject(const json& object, const char* key, std::string_view what,
                                   const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) {
    return Invalid(what, path.empty() ? key : path + "." + key, "an object");
  }
  return &*it;
}

Status ValidateTag(std::string_view tag, std::string_view what, const std::string& path) {
  if (versions::ParseTag(tag).ok()) return {};
  return Invalid(what, path, "a tag (up to 128 of [A-Za-z0-9_.-], not starting with `.` or `-`)");
}

// Manifest media types all name a manifest or an index; blobs (layers, configs,
// application/octet-stream) do not, and their URLs name /blobs/.
bool IsManifestTarget(std::string_view media_type, std::string_view url) {
  if (url.find("/manifests/") != std::string_view::npos) return true;
  if (url.find("/blobs/") != std::string_view::npos) return false;
  return media_type.find("manifest") != std::string_view::npos ||
         media_type.find("image.index") != std::string_view::npos;
}

// The registry host of an event: request.host, else the authority of target.url.
Result<std::string> EventRegistry(const json& event, std::string_view url,
                                  const std::string& path) {
  constexpr std::string_view kWhat = "registry notification";
  std::string host;
  std::string where = path + ".request.host";
  if (auto request = event.find("request"); request != event.end() && request->is_object()) {
    auto value = OptionalString(*request, "host", kWhat, path + ".request");
    if (!value) return Unexpected{value.error()};
    host = std::move(*value);
  }
  if (host.empty() && url.find("://") != std::string_view::npos) {
    host = std::string(url);
    where = path + ".target.url";
  }
  if (host.empty()) return std::string();
  std::string canonical = CanonicalRegistryHost(host);
  if (!IsValidRegistryHost(canonical)) return Invalid(kWhat, where, "a registry host[:port]");
  return canonical;
}

// The hint of one push event; nullopt when the event is one maiev ignores.
Result<std::optional<PushHint>> ParsePushEvent(const json& event, const std::string& path) {
  constexpr std::string_view kWhat = "registry notification";
  auto target = RequiredObject(event, "target", kWhat, path);
  if (!target) return Unexpected{target.error()};
  const std::string target_path = path + ".target";
  PushHint hint;
  auto media_type = OptionalString(**target, "mediaType", kWhat, target_path);
  if (!media_type) return Unexpected{media_type.error()};
  auto url = OptionalString(**target, "url", kWhat, target_path);
  if (!url) return Unexpected{url.error()};
  auto tag = OptionalString(**target, "tag", kWhat, target_path);
  if (!tag) return Unexpected{tag.error()};
  if (tag->empty() || !IsManifestTarget(*media_type, *url)) return std::optional<PushHint>();
  if (Status s = ValidateTag(*tag, kWhat, target_path + ".tag"); !s.ok()) {
    return Unexpected{s.error()};
  }
  hint.tag = std::move(*tag);
  auto repository = OptionalString(**target, "repository", kWhat, target_path);
  if (!repository) return Unexpected{repository.error()};
  if (!IsValidRepository(*repository)) {
    return Invalid(kWhat, target_path + ".repository", kRepositoryRule);
  }
  hint.repository = std::move(*repository);
  auto digest = OptionalString(**target, "digest", kWhat, target_path);
  if (!digest) return Unexpected{digest.error()};
  if (!digest->empty() && !IsValidDigest(*digest)) {
    return Invalid(kWhat, target_path + ".digest", "a digest (sha256:<64 hex digits>)");
  }
  hint.digest = std::move(*digest);
  auto registry = EventRegistry(event, *url, path);
  if (!registry) return Unexpected{registry.error()};
  hint.registry = std::move(*registry);
  return std::optional<PushHint>(std::move(hint));
}

}  // namespace

Result<std::vector<PushHint>> ParseRegistryNotification(std::string_view body,
                                                        std::size_t* event_count) {
  constexpr std::string_view kWhat = "registry notification";
  auto doc = ParseBody(body, kWhat);
  if (!doc) return Unexpected{doc.error()};
  if (!doc->is_object()) return Invalid(kWhat, "(top level)", "an object with `events`");
  auto events = doc->find("events");
  if (events == doc->end() || !events->is_array()) return Invalid(kWhat, "events", "an array");
  std::vector<PushHint> hints;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const json& event = (*events)[i];
    const std::string path = "events[" + std::to_string(i) + "]";
    if (!event.is_object()) return Invalid(kWhat, path, "an object");
    auto action = event.find("action");
    if (action == event.end() || !action->is_string()) {
      return Invalid(kWhat, path + ".action", "a string (push, pull, mount, delete)");
    }
    if (action->get<std::string>() != "push") continue;
    auto hint = ParsePushEvent(event, path);
    if (!hint) return Unexpected{hint.error()};
    if (*hint) hints.push_back(std::move(**hint));
  }
  if (event_count != nullptr) *event_count = events->size();
  return hints;
}

Result<PushHint> ParseDockerHubWebhook(std::string_view body) {
  constexpr std::string_view kWhat = "Docker Hub webhook";
  auto doc = ParseBody(body, kWhat);
  if (!doc) return Unexpected{doc.error()};
  if (!doc->is_object()) {
    return Invalid(kWhat, "(top level)", "an object with `push_data` and `repository`");
  }
  auto push_data = RequiredObject(*doc, "push_data", kWhat, "");
  if (!push_data) return Unexpected{push_data.error()};
  auto repository = RequiredObject(*doc, "repository", kWhat, "");
  if (!repository) return Unexpected{repository.error()};
  PushHint hint;
  hint.registry = std::string(kDockerHub);
  auto tag = OptionalString(**push_data, "tag", kWhat, "push_data");
  if (!tag) return Unexpected{tag.error()};
  if (Status s = ValidateTag(*tag, kWhat, "push_data.tag"); !s.ok()) return Unexpected{s.error()};
  hint.tag = std::move(*tag);
  auto name = OptionalString(**repository, "repo_name", kWhat, "repository");
  if (!name) return Unexpected{name.error()};
  // Official images are named without their namespace.
  hint.repository = name->find('/') == std::string::npos && !name->empty() ? "library/" + *name
                                                                           : std::move(*name);
  if (!IsValidRepository(hint.repository)) {
    return Invalid(kWhat, "repository.repo_name", kRepositoryRule);
  }
  return hint;
}

}  // namespace maiev::registry
