// A RegistryClient that remembers what never changes: the labels (and the platform choice of a
// manifest list) of a digest. Tags move, so tag lists and tag → digest resolutions always go to
// the registry: a re-check costs one tag list and one manifest HEAD per candidate, and labels are
// read once per digest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "registry/registry_client.hpp"

namespace maiev::registry {

// Digests remembered before the oldest is forgotten (a few hundred bytes each).
inline constexpr std::size_t kDefaultLabelCacheEntries = 4096;

struct LabelCacheCounters {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;  // ReadLabels calls passed to the registry
  std::size_t entries = 0;
  friend bool operator==(const LabelCacheCounters&, const LabelCacheCounters&) = default;
};

// Thread-safe when `inner` is: `mutex_` guards the cache and is not held while `inner` is
// called (two threads missing the same digest both ask the registry; the answers are equal).
// Errors are not cached.
class CachingRegistryClient final : public RegistryClient {
 public:
  // `inner` must outlive this client.
  explicit CachingRegistryClient(RegistryClient& inner,
                                 std::size_t capacity = kDefaultLabelCacheEntries);

  Result<std::vector<std::string>> ListTags(std::string_view repository) override;
  Result<std::string> ResolveDigest(std::string_view repository, std::string_view tag) override;
  Result<ImageLabels> ReadLabels(std::string_view repository, std::string_view digest) override;

  LabelCacheCounters counters() const;

 private:
  RegistryClient& inner_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::string, ImageLabels, std::less<>> labels_;  // guarded by mutex_; by digest
  std::deque<std::string> order_;                           // guarded by mutex_; oldest first
  std::uint64_t hits_ = 0;                                  // guarded by mutex_
  std::uint64_t misses_ = 0;                                // guarded by mutex_
};

}  // namespace maiev::registry
