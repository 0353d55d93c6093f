#include "daemon/registry_pool.hpp"

#include "registry/registry_host.hpp"

namespace maiev::daemon {

RegistryPool::RegistryPool(registry::DockerConfig credentials, std::set<std::string> insecure,
                           const Clock& clock)
    : credentials_(std::move(credentials)), insecure_(std::move(insecure)), clock_(clock) {}

registry::RegistryClient* RegistryPool::For(std::string_view host) {
  if (!registry::IsValidRegistryHost(host)) return nullptr;
  std::lock_guard lock(mutex_);
  if (auto it = clients_.find(host); it != clients_.end()) return it->second.cached.get();
  registry::RegistryEndpoint endpoint;
  endpoint.registry = std::string(host);
  endpoint.insecure = insecure_.contains(endpoint.registry);
  if (auto found = credentials_.Find(host)) endpoint.credentials = *found;
  Entry entry;
  entry.http = std::make_unique<registry::HttpRegistryClient>(std::move(endpoint), clock_);
  entry.cached = std::make_unique<registry::CachingRegistryClient>(*entry.http);
  registry::RegistryClient* client = entry.cached.get();
  clients_.emplace(std::string(host), std::move(entry));
  return client;
}

registry::RegistryCounters RegistryPool::counters() const {
  std::lock_guard lock(mutex_);
  registry::RegistryCounters sum;
  for (const auto& [host, entry] : clients_) {
    const registry::RegistryCounters c = entry.http->counters();
    sum.requests += c.requests;
    sum.token_requests += c.token_requests;
    sum.errors += c.errors;
    sum.rate_limited += c.rate_limited;
  }
  return sum;
}

}  // namespace maiev::daemon
