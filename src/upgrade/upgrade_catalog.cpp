#include "upgrade/upgrade_catalog.hpp"

#include <algorithm>

namespace maiev::upgrade {
namespace {

solver::CatalogVersion CatalogEntry(const ImageVersion& v) {
  solver::CatalogVersion entry;
  entry.version = v.version.text();
  for (const auto& [name, value] : v.dependencies.provide) entry.provide.emplace_back(name, value);
  entry.require = v.dependencies.require;
  return entry;
}

std::string PolicyReason(UpdatePolicy policy, const versions::Version& running) {
  const auto part = [&](std::size_t i) {
    return std::to_string(i < running.numbers().size() ? running.numbers()[i] : 0);
  };
  switch (policy) {
    case UpdatePolicy::kAll:
      break;
    case UpdatePolicy::kMajor:
      return "held back: maiev.update_policy=major takes releases only";
    case UpdatePolicy::kMinor:
      return "held back: maiev.update_policy=minor takes releases of " + part(0) + ".x only";
    case UpdatePolicy::kPatch:
      return "held back: maiev.update_policy=patch takes releases of " + part(0) + "." + part(1) +
             ".x only";
  }
  return "held back by maiev.update_policy";
}

}  // namespace

std::string PinnedImage(const versions::ImageRef& image, const ImageVersion& version) {
  versions::ImageRef pinned = image;
  pinned.tag = version.tag;
  pinned.digest = version.digest;
  return pinned.ToString();
}

UpgradeCatalog AssembleCatalog(std::span<const WatchedService> services) {
  UpgradeCatalog out;
  for (const WatchedService& service : services) {
    if (!service.running) {
      out.unversioned.emplace_back(
          service.name, "runs " + service.image.ToString() + ", which names no known version");
      continue;
    }
    const ImageVersion& running = *service.running;
    out.modes[service.name] = service.settings.mode;
    out.running[service.name] = running.version.text();
    solver::CatalogService entry;
    entry.name = service.name;
    entry.running = running.version.text();
    entry.versions.push_back(CatalogEntry(running));
    out.pins[{service.name, running.version.text()}] = PinnedImage(service.image, running);

    std::vector<const ImageVersion*> newer;
    for (const ImageVersion& v : service.newer) {
      if (v.version <= running.version || v.version.is_latest()) continue;
      newer.push_back(&v);
    }
    // Newest first; of equal versions (`1.2`, `1.2.0`) the first tag in text order.
    std::sort(newer.begin(), newer.end(), [](const ImageVersion* a, const ImageVersion* b) {
      if (a->version != b->version) return a->version > b->version;
      return a->tag < b->tag;
    });
    for (std::size_t i = 0; i < newer.size(); ++i) {
      const ImageVersion& v = *newer[i];
      if (i > 0 && newer[i - 1]->version == v.version) continue;
      std::string reason;
      if (service.settings.mode == UpdateMode::kOff) {
        reason = "held back: maiev.update=off";
      } else if (!v.rejection.empty()) {
        reason = "held back: " + v.rejection;
      } else if (!PolicyAllows(service.settings.policy, running.version, v.version)) {
        reason = PolicyReason(service.settings.policy, running.version);
      }
      if (!reason.empty()) {
        out.excluded.push_back({service.name, v.version.text(), std::move(reason)});
        continue;
      }
      entry.versions.push_back(CatalogEntry(v));
      out.pins[{service.name, v.version.text()}] = PinnedImage(service.image, v);
    }
    out.catalog.services.push_back(std::move(entry));
  }
  return out;
}

}  // namespace maiev::upgrade
