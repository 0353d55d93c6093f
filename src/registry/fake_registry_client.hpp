// An in-memory RegistryClient for other domains' unit tests: repositories, tags and images are
// whatever the test puts in; calls are counted; a failure can be injected. No clock, no I/O.
// Thread-safe (one mutex).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/registry_client.hpp"

namespace maiev::registry {

class FakeRegistryClient final : public RegistryClient {
 public:
  struct Calls {
    std::size_t list_tags = 0;
    std::size_t resolve_digest = 0;
    std::size_t read_labels = 0;
    friend bool operator==(const Calls&, const Calls&) = default;
  };

  // --- Test set-up -------------------------------------------------------------------------

  // Points `repository:tag` at `digest` (creating the repository; tags keep insertion order).
  void PutTag(const std::string& repository, const std::string& tag, const std::string& digest) {
    std::lock_guard lock(mutex_);
    auto& tags = repositories_[repository];
    for (auto& [name, target] : tags) {
      if (name == tag) {
        target = digest;
        return;
      }
    }
    tags.emplace_back(tag, digest);
  }
  void RemoveTag(const std::string& repository, const std::string& tag) {
    std::lock_guard lock(mutex_);
    auto& tags = repositories_[repository];
    std::erase_if(tags, [&](const auto& entry) { return entry.first == tag; });
  }
  // What ReadLabels answers for `digest` (any repository); image_digest defaults to `digest`.
  void PutImage(const std::string& digest, std::map<std::string, std::string> labels,
                std::string image_digest = {}) {
    std::lock_guard lock(mutex_);
    ImageLabels& image = images_[digest];
    image.digest = digest;
    image.image_digest = image_digest.empty() ? digest : std::move(image_digest);
    image.config_digest = "sha256:" + std::string(64, 'c');
    image.labels = std::move(labels);
  }
  // A tag and its image in one go.
  void PutTaggedImage(const std::string& repository, const std::string& tag,
                      const std::string& digest, std::map<std::string, std::string> labels) {
    PutTag(repository, tag, digest);
    PutImage(digest, std::move(labels));
  }
  // The next call of any method fails with `error` (once).
  void FailNextCall(Error error) {
    std::lock_guard lock(mutex_);
    next_failure_ = std::move(error);
  }

  // Every call fails with `error` until SetDown(std::nullopt): a registry that is gone.
  void SetDown(std::optional<Error> error) {
    std::lock_guard lock(mutex_);
    down_ = std::move(error);
  }

  Calls calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  // --- RegistryClient ----------------------------------------------------------------------

  Result<std::vector<std::string>> ListTags(std::string_view repository) override {
    std::lock_guard lock(mutex_);
    ++calls_.list_tags;
    if (auto failure = TakeFailure()) return Unexpected{std::move(*failure)};
    auto it = repositories_.find(std::string(repository));
    if (it == repositories_.end()) return NotFound("repository " + std::string(repository));
    std::vector<std::string> tags;
    for (const auto& entry : it->second) tags.push_back(entry.first);
    return tags;
  }

  Result<std::string> ResolveDigest(std::string_view repository, std::string_view tag) override {
    std::lock_guard lock(mutex_);
    ++calls_.resolve_digest;
    if (auto failure = TakeFailure()) return Unexpected{std::move(*failure)};
    auto it = repositories_.find(std::string(repository));
    if (it != repositories_.end()) {
      for (const auto& [name, digest] : it->second) {
        if (name == tag) return digest;
      }
    }
    return NotFound(std::string(repository) + ":" + std::string(tag));
  }

  Result<ImageLabels> ReadLabels(std::string_view repository, std::string_view digest) override {
    std::lock_guard lock(mutex_);
    ++calls_.read_labels;
    if (auto failure = TakeFailure()) return Unexpected{std::move(*failure)};
    auto it = images_.find(std::string(digest));
    if (it == images_.end()) return NotFound(std::string(repository) + "@" + std::string(digest));
    return it->second;
  }

 private:
  std::optional<Error> TakeFailure() {
    if (down_) return down_;
    std::optional<Error> failure = std::move(next_failure_);
    next_failure_.reset();
    return failure;
  }
  static Unexpected<Error> NotFound(const std::string& what) {
    return Fail("not_found", "fake registry: no " + what);
  }

  mutable std::mutex mutex_;
  // All guarded by mutex_.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> repositories_;
  std::map<std::string, ImageLabels> images_;
  std::optional<Error> next_failure_;
  std::optional<Error> down_;
  Calls calls_;
};

}  // namespace maiev::registry
