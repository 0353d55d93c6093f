#include "registry/registry_host.hpp"

#include <algorithm>
#include <cctype>

namespace maiev::registry {
namespace {

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsValidPort(std::string_view port) { return IsDigits(port) && port.size() <= 5; }

bool IsDnsLabelChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

}  // namespace

std::string CanonicalRegistryHost(std::string_view text) {
  if (auto scheme = text.find("://"); scheme != std::string_view::npos) {
    text.remove_prefix(scheme + 3);
  }
  text = text.substr(0, text.find('/'));
  std::string host(text);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host == "index.docker.io" || host == kDockerHubApiHost || host == "registry.hub.docker.com") {
    return std::string(kDockerHub);
  }
  return host;
}

std::string_view HostName(std::string_view host) {
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    return close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
  }
  // An unbracketed IPv6 address has no port.
  if (std::count(host.begin(), host.end(), ':') > 1) return host;
  return host.substr(0, host.find(':'));
}

bool IsValidRegistryHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view address = host.substr(1, close - 1);
    if (!std::all_of(address.begin(), address.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        })) {
      return false;
    }
    std::string_view rest = host.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && IsValidPort(rest.substr(1)));
  }
  const std::size_t colon = host.find(':');
  std::string_view name = host.substr(0, colon);
  if (colon != std::string_view::npos && !IsValidPort(host.substr(colon + 1))) return false;
  if (name.empty() || name.front() == '.' || name.back() == '.' || name.front() == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsDnsLabelChar(c) || c == '.'; });
}

bool IsLoopbackHost(std::string_view host) {
  std::string name(HostName(host));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1") return true;
  if (!name.starts_with("127.")) return false;
  // A dotted IPv4 address of 127.0.0.0/8: four numbers, each at most 255.
  int parts = 0;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    std::string_view part = std::string_view(name).substr(start, dot - start);
    if (!IsDigits(part) || part.size() > 3 || std::stoi(std::string(part)) > 255) return false;
    ++parts;
    start = dot + 1;
  }
  return parts == 4;
}

std::string RegistryBaseUrl(std::string_view registry, bool insecure) {
  std::string host = CanonicalRegistryHost(registry);
  if (host == kDockerHub) host = kDockerHubApiHost;
  const bool plain = insecure || IsLoopbackHost(host);
  return std::string(plain ? "http://" : "https://") + host;
}

bool MaySendCredentials(std::string_view url, bool registry_plain_http) {
  if (url.starts_with("https://")) return true;
  if (!url.starts_with("http://")) return false;
  return registry_plain_http || IsLoopbackHost(CanonicalRegistryHost(url));
}

}  // namespace maiev::registry
