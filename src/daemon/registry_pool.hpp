// One registry client per registry host that the swarm's images name, made on first use: an
// HttpRegistryClient (credentials from the Docker config.json, plain HTTP for loopback and
// insecure hosts) behind a CachingRegistryClient (labels by digest). Wiring for `maiev serve`.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "registry/caching_registry_client.hpp"
#include "registry/docker_config.hpp"
#include "registry/http_registry_client.hpp"

namespace maiev::daemon {

class RegistryPool {
 public:
  RegistryPool(registry::DockerConfig credentials, std::set<std::string> insecure,
               const Clock& clock);

  // The client of `host`; nullptr for a host that is not a valid registry name.
  registry::RegistryClient* For(std::string_view host);
  // Summed over every client made so far.
  registry::RegistryCounters counters() const;

 private:
  struct Entry {
    std::unique_ptr<registry::HttpRegistryClient> http;
    std::unique_ptr<registry::CachingRegistryClient> cached;
  };
  const registry::DockerConfig credentials_;
  const std::set<std::string> insecure_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> clients_;
};

}  // namespace maiev::daemon
