// The registry role: what maiev asks of a Docker registry (HTTP API v2 / OCI distribution) about
// the images of one registry host. Implementations: HttpRegistryClient (libcurl),
// CachingRegistryClient (remembers what never changes), FakeRegistryClient (tests).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace maiev::registry {

// What an image manifest's config says, by digest. Never changes for a digest.
struct ImageLabels {
  std::string digest;         // the manifest asked for (an image, or a list / index)
  std::string image_digest;   // the linux/amd64 image manifest: `digest` unless it is a list
  std::string config_digest;  // the image config blob
  std::map<std::string, std::string> labels;
  friend bool operator==(const ImageLabels&, const ImageLabels&) = default;
};

// Error codes shared by implementations: "invalid" (a repository, tag or digest that is not
// well formed; nothing was sent), "not_found" (404: no such repository, tag or manifest),
// "auth" (401/403 with the configured credentials, or none), "rate_limited" (429: the registry
// asked to wait; the message says until when), "unavailable" (no connection, a timeout, 5xx),
// "protocol" (a reply maiev cannot read or whose content does not match its digest),
// "unsupported" (a schema 1 manifest, an unknown media type). Messages name the registry, the
// request and the reason, never a credential or a token.
class RegistryClient {
 public:
  virtual ~RegistryClient() = default;

  // Every tag of `repository`, in the registry's order, across all pages.
  virtual Result<std::vector<std::string>> ListTags(std::string_view repository) = 0;

  // The digest `tag` points at now (a manifest list's own digest for a list), as the registry
  // reports it in Docker-Content-Digest: one manifest HEAD.
  virtual Result<std::string> ResolveDigest(std::string_view repository, std::string_view tag) = 0;

  // The labels of the image `digest` names; for a manifest list or OCI index, those of its
  // linux/amd64 image.
  virtual Result<ImageLabels> ReadLabels(std::string_view repository, std::string_view digest) = 0;
};

}  // namespace maiev::registry
