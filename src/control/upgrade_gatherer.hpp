// The facts an upgrade decision needs, read from the swarm and the registries
// (docs/UPGRADES.md, "How versions are found"): for each service with an image identity, its
// update settings, its running version with the dependencies it declares, and the newer versions
// of its identity that the registry holds, each with the dependencies its image labels declare.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "orchestrator/orchestrator.hpp"
#include "registry/registry_client.hpp"
#include "upgrade/upgrade_catalog.hpp"

namespace maiev::control {

// The registry client for a registry host ("127.0.0.1:5000", "docker.io"); nullptr when maiev
// cannot reach that host (e.g. an invalid name). Called from the gathering thread only.
using RegistryFor = std::function<registry::RegistryClient*(std::string_view host)>;

struct GatherLimits {
  // Newer versions of one identity whose digest and labels are read, newest first: one manifest
  // HEAD each (labels are cached by digest).
  int max_candidates = 20;
  // Versioned tags resolved to find the version a `latest` or digest-only service runs.
  int max_digest_lookups = 50;
};

struct Gathered {
  std::vector<upgrade::WatchedService> services;  // in service-name order
  // Per service: what could not be read or understood (the registry down, a bad label). A
  // service with a note may still be in `services` with fewer candidates.
  std::map<std::string, std::string> notes;
  // Identities whose registry could not be read: the poll backs off and retries them.
  std::vector<std::string> failed_identities;
  std::uint64_t registry_requests = 0;  // calls made by this gathering (tag lists, HEADs, labels)
};

// What the previous gathering learnt that a re-check may try first: for a service that runs
// `latest` or a bare digest, the versioned tag its digest was found under. The tag is verified
// again (one manifest HEAD); when it moved, the search runs as before. Each gathering keeps only
// what it found, so entries of services gone or moved to a versioned tag do not accumulate.
struct GatherMemory {
  std::map<std::string, std::string> tag_of_digest;  // "identity@digest" → tag
};

// Reads every swarm service and the registries of their images. Fails only when the swarm
// cannot be listed; registry failures become notes (the service keeps its running version).
// `memory` (optional) is read and updated.
Result<Gathered> GatherUpgradeFacts(orchestrator::Orchestrator& orchestrator,
                                    const RegistryFor& registry_for, const GatherLimits& limits,
                                    GatherMemory* memory = nullptr);

// The dependencies a scale-config JSON text declares, or why it was rejected ("" for none).
Result<config::Dependencies> DependenciesFromLabel(const std::string& json_text);

}  // namespace maiev::control
