#include "registry/caching_registry_client.hpp"

#include <algorithm>

namespace maiev::registry {

CachingRegistryClient::CachingRegistryClient(RegistryClient& inner, std::size_t capacity)
    : inner_(inner), capacity_(std::max<std::size_t>(capacity, 1)) {}

Result<std::vector<std::string>> CachingRegistryClient::ListTags(std::string_view repository) {
  return inner_.ListTags(repository);
}

Result<std::string> CachingRegistryClient::ResolveDigest(std::string_view repository,
                                                         std::string_view tag) {
  return inner_.ResolveDigest(repository, tag);
}

Result<ImageLabels> CachingRegistryClient::ReadLabels(std::string_view repository,
                                                      std::string_view digest) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = labels_.find(digest); it != labels_.end()) {
      ++hits_;
      return it->second;
    }
    ++misses_;
  }
  auto read = inner_.ReadLabels(repository, digest);
  if (!read) return read;
  std::lock_guard lock(mutex_);
  if (labels_.emplace(std::string(digest), *read).second) {
    order_.emplace_back(digest);
    while (order_.size() > capacity_) {
      labels_.erase(order_.front());
      order_.pop_front();
    }
  }
  return read;
}

LabelCacheCounters CachingRegistryClient::counters() const {
  std::lock_guard lock(mutex_);
  return LabelCacheCounters{hits_, misses_, labels_.size()};
}

}  // namespace maiev::registry
