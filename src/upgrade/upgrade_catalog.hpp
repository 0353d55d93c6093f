// The catalog the solver decides upgrades on, assembled from what the swarm runs and what the
// registry holds (docs/UPGRADES.md, "How versions are found"). Pure: the upgrade controller
// gathers the facts (src/control), this turns them into a solver::Catalog.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/scale_config.hpp"
#include "solver/catalog.hpp"
#include "upgrade/policy.hpp"
#include "versions/version.hpp"

namespace maiev::upgrade {

// One tag of an image identity, as the registry has it.
struct ImageVersion {
  std::string tag;
  versions::Version version;
  std::string digest;  // the manifest digest a service update pins ("sha256:…")
  // From the image's `maiev.scale_config` label; empty when it declares none.
  config::Dependencies dependencies;
  // Non-empty: the version is not a candidate, and why, to follow "held back: " (its label was
  // rejected: what and where; its rollout failed before).
  std::string rejection;
};

// A swarm service that has an image identity (SPEC §5).
struct WatchedService {
  std::string name;
  versions::ImageRef image;  // as the service spec names it
  UpdateSettings settings;
  // The running version; nullopt when it is unknown (a tag without a version, a digest that
  // no versioned tag has): such a service is left out of the catalog.
  std::optional<ImageVersion> running;
  // The registry's versions of the same identity newer than the running one, in any order.
  std::vector<ImageVersion> newer;
};

// A version the catalog leaves out, and why (policy, mode, a rejected label).
struct HeldBack {
  std::string service;
  std::string version;  // the version as its tag writes it (`1.2.0` of `worker-1.2.0`)
  std::string reason;   // "held back: …"

  friend bool operator==(const HeldBack&, const HeldBack&) = default;
};

struct UpgradeCatalog {
  solver::Catalog catalog;  // services in the order given: it breaks ties between targets
  std::map<std::string, std::string> running;  // service → running version text
  std::vector<HeldBack> excluded;
  // Services left out because their running version is unknown, with why.
  std::vector<std::pair<std::string, std::string>> unversioned;
  // (service, version text) → the image a step to it deploys: `registry/repo:tag@digest`.
  std::map<std::pair<std::string, std::string>, std::string> pins;
  std::map<std::string, UpdateMode> modes;
};

UpgradeCatalog AssembleCatalog(std::span<const WatchedService> services);

// `registry/repository:tag@digest` for a version of `image`'s repository.
std::string PinnedImage(const versions::ImageRef& image, const ImageVersion& version);

}  // namespace maiev::upgrade
