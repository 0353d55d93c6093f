// Registry documents parsed without I/O: manifests (Docker schema 2, manifest lists, OCI image
// manifests and indexes), the platform choice of a list, image config labels, tag lists and the
// registry's error bodies.
// Formats: https://distribution.github.io/distribution/spec/manifest-v2-2/ and
// https://github.com/opencontainers/image-spec (manifest.md, image-index.md, config.md).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace maiev::registry {

inline constexpr std::string_view kDockerManifestV2 =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
// The Accept value of every manifest request: the four types above. Without it a registry may
// answer with a schema 1 manifest, which has no config blob.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

// The image label that carries a service's scale config (SPEC §1).
inline constexpr std::string_view kScaleConfigLabel = "maiev.scale_config";

// "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>": the digests maiev accepts from a
// registry, a webhook or a caller (anything else could not be verified or could escape a URL).
bool IsValidDigest(std::string_view digest);

// A repository name as the registry API takes it: components of lowercase letters and digits
// separated by `.`, `_`, `__` or `-`, joined by `/`; at most 255 characters.
bool IsValidRepository(std::string_view repository);

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // "" when the entry names none
  friend bool operator==(const Platform&, const Platform&) = default;
};

// What maiev runs on: Swarm nodes of the supported kind.
inline const Platform kLinuxAmd64{"linux", "amd64", ""};

struct ManifestEntry {
  std::string digest;
  std::string media_type;
  Platform platform;  // empty fields when the entry has no platform (e.g. an artifact)
  friend bool operator==(const ManifestEntry&, const ManifestEntry&) = default;
};

struct Manifest {
  enum class Kind { kImage, kIndex };
  Kind kind = Kind::kImage;
  std::string media_type;              // the body's mediaType, else the reply's Content-Type
  std::string config_digest;           // kImage: the image config blob
  std::vector<ManifestEntry> entries;  // kIndex: the manifests it lists, in order
};

// Parses a manifest served with `content_type` (parameters such as `; charset=utf-8` are
// ignored). The kind follows the media type; OCI documents without one are told apart by their
// `manifests` or `config` member. Errors: "unsupported" for schema 1 and other media types,
// "protocol" for a body that does not fit its type, with the JSON path (`config.digest`,
// `manifests[2].platform.os`).
Result<Manifest> ParseManifest(std::string_view body, std::string_view content_type);

// The entry of an index for `wanted`: os and architecture equal; when `wanted` names a variant
// the entry must name the same one, otherwise an entry without a variant (or `v1`, amd64's
// baseline) is preferred over the first with one. Error "not_found" naming the platforms the
// index has.
Result<ManifestEntry> ChoosePlatform(const Manifest& index, const Platform& wanted = kLinuxAmd64);

// The labels of an image config blob (`config.Labels`; absent or null → none). Error "protocol"
// for a body that is not an object or a label whose value is not a string, with its path.
Result<std::map<std::string, std::string>> ParseImageConfigLabels(std::string_view body);

// The tags of one tag list reply (`{"name": …, "tags": [...]}`; `tags` may be null).
Result<std::vector<std::string>> ParseTagList(std::string_view body);

// The registry's own words from an error reply (`{"errors": [{"code", "message"}]}`), e.g.
// "MANIFEST_UNKNOWN: manifest unknown"; "" when the body is not such a reply.
std::string RegistryErrorSummary(std::string_view body);

}  // namespace maiev::registry
