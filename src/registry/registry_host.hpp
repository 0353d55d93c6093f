// Registry hosts as image references name them, and how they are reached.
#pragma once

#include <string>
#include <string_view>

namespace maiev::registry {

// The host Docker Hub's image references name, and the host its API answers on.
inline constexpr std::string_view kDockerHub = "docker.io";
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";

// The registry host `text` names, as image references write it: scheme and path dropped,
// lowercase, Docker Hub's aliases (`https://index.docker.io/v1/`, `index.docker.io`,
// `registry-1.docker.io`, `registry.hub.docker.com`) read as "docker.io".
// `http://127.0.0.1:5000/v2/` → "127.0.0.1:5000".
std::string CanonicalRegistryHost(std::string_view text);

// host[:port] with a DNS name or IPv4 address, or `[IPv6]` with an optional port.
bool IsValidRegistryHost(std::string_view host);

// The host of host[:port] / [v6]:port, without brackets (an unbracketed IPv6 address whole).
std::string_view HostName(std::string_view host);

// 127.0.0.0/8, `localhost` and `::1` (with or without a port).
bool IsLoopbackHost(std::string_view host);

// "scheme://host[:port]" the API of `registry` answers on: HTTPS, except plain HTTP for
// loopback hosts and hosts the operator marked insecure (as dockerd's insecure-registries);
// docker.io is reached at registry-1.docker.io.
std::string RegistryBaseUrl(std::string_view registry, bool insecure);

// Whether credentials may be sent to `url` (a token service's realm) on behalf of a registry
// reached over plain HTTP (`registry_plain_http`) or HTTPS: always over HTTPS; over plain HTTP
// only to a loopback host, or when the registry itself is plain HTTP (loopback or marked
// insecure, the operator's choice). Never to anything but http(s).
bool MaySendCredentials(std::string_view url, bool registry_plain_http);

}  // namespace maiev::registry
