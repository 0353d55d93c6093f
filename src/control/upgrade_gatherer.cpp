#include "control/upgrade_gatherer.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "config/scale_config.hpp"
#include "upgrade/policy.hpp"
#include "versions/version.hpp"

namespace maiev::control {
namespace {

using upgrade::ImageVersion;
using upgrade::WatchedService;

// Tag lists read once per repository in a gathering.
class TagLists {
 public:
  explicit TagLists(Gathered& out) : out_(out) {}

  Result<std::vector<std::string>> For(registry::RegistryClient& client, const std::string& host,
                                       const std::string& repository) {
    const std::string key = host + "/" + repository;
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    ++out_.registry_requests;
    auto tags = client.ListTags(repository);
    if (!tags) return tags;
    cache_[key] = *tags;
    return tags;
  }

 private:
  Gathered& out_;
  std::map<std::string, std::vector<std::string>> cache_;
};

// The version of a tag, with the tag's species; nullopt for a tag without a version or `latest`.
std::optional<versions::Tag> VersionedTag(std::string_view text) {
  auto tag = versions::ParseTag(text);
  if (!tag || !tag->version || tag->version->is_latest()) return std::nullopt;
  return std::move(*tag);
}

ImageVersion MakeVersion(const versions::Tag& tag, std::string digest) {
  return ImageVersion{.tag = tag.text,
                      .version = *tag.version,
                      .digest = std::move(digest),
                      .dependencies = {},
                      .rejection = ""};
}

// Fills the dependencies of `v` from its image labels in the registry.
Status ReadDependencies(registry::RegistryClient& client, const std::string& repository,
                        ImageVersion& v, Gathered& out) {
  ++out.registry_requests;
  auto labels = client.ReadLabels(repository, v.digest);
  if (!labels) return Unexpected<Error>{labels.error()};
  auto it = labels->labels.find(std::string(orchestrator::kScaleConfigLabel));
  if (it == labels->labels.end()) return {};
  auto deps = DependenciesFromLabel(it->second);
  if (deps) {
    v.dependencies = std::move(*deps);
  } else {
    v.rejection = "its scale config label is invalid: " + deps.error().message;
  }
  return {};
}

// The running version of a service whose reference names a version.
std::optional<ImageVersion> RunningFromTag(const versions::ImageRef& ref) {
  auto tag = VersionedTag(ref.tag);
  if (!tag) return std::nullopt;
  return MakeVersion(*tag, ref.digest);
}

}  // namespace

Result<config::Dependencies> DependenciesFromLabel(const std::string& json_text) {
  auto config = config::ParseScaleConfig(json_text);
  if (!config) {
    std::string message = "label " + std::string(orchestrator::kScaleConfigLabel) + ": ";
    for (std::size_t i = 0; i < config.error().size(); ++i) {
      if (i > 0) message += "; ";
      message += config.error()[i].ToString();
    }
    return Fail("invalid", message);
  }
  return std::move(config->dependencies);
}

Result<Gathered> GatherUpgradeFacts(orchestrator::Orchestrator& orchestrator,
                                    const RegistryFor& registry_for, const GatherLimits& limits,
                                    GatherMemory* memory) {
  auto services = orchestrator.ListServices();
  if (!services) return Unexpected<Error>{services.error()};
  std::sort(services->begin(), services->end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  Gathered out;
  TagLists tag_lists(out);
  GatherMemory learnt;  // replaces `memory`: what a service gone or moved used is forgotten
  std::set<std::string> failed;
  for (const orchestrator::ServiceInfo& info : *services) {
    if (info.mode == orchestrator::ServiceMode::kJob || info.image.empty()) continue;
    auto ref = versions::ParseImageRef(info.image);
    if (!ref) {
      out.notes[info.name] = ref.error().message;
      continue;
    }
    WatchedService service;
    service.name = info.name;
    service.image = *ref;
    if (auto settings = upgrade::ReadUpdateSettings(info.labels); settings) {
      service.settings = *settings;
    } else {
      out.notes[info.name] = settings.error().message + "; the service is not upgraded";
      service.settings.mode = upgrade::UpdateMode::kOff;
    }
    registry::RegistryClient* client = registry_for(ref->registry);
    const std::string identity = ref->Identity();
    auto registry_failed = [&](const Error& error) {
      out.notes[info.name] = error.message;
      if (failed.insert(identity).second) out.failed_identities.push_back(identity);
    };

    // The running version: from the tag, or for `latest` and digest-only references, the
    // versioned tag of the same species with the running digest.
    service.running = RunningFromTag(*ref);
    std::optional<std::vector<std::string>> tags;
    if (client != nullptr) {
      auto listed = tag_lists.For(*client, ref->registry, ref->repository);
      if (listed) {
        tags = std::move(*listed);
      } else {
        registry_failed(listed.error());
      }
    } else {
      out.notes[info.name] = "registry " + ref->registry + " is not reachable by maiev";
    }
    const std::string species = ref->Species();
    std::vector<versions::Tag> same_species;
    if (tags) {
      for (const std::string& text : *tags) {
        auto tag = VersionedTag(text);
        if (tag && tag->species == species) same_species.push_back(std::move(*tag));
      }
      std::sort(same_species.begin(), same_species.end(),
                [](const auto& a, const auto& b) { return *a.version > *b.version; });
    }
    if (!service.running && !ref->digest.empty() && client != nullptr) {
      // The tag found last time first, then the others newest first.
      const std::string key = identity + "@" + ref->digest;
      std::vector<const versions::Tag*> order;
      order.reserve(same_species.size());
      for (const versions::Tag& tag : same_species) order.push_back(&tag);
      if (memory != nullptr) {
        if (auto known = memory->tag_of_digest.find(key); known != memory->tag_of_digest.end()) {
          auto at = std::find_if(order.begin(), order.end(),
                                 [&](const versions::Tag* t) { return t->text == known->second; });
          if (at != order.end()) std::rotate(order.begin(), at, at + 1);
        }
      }
      int lookups = 0;
      for (const versions::Tag* tag : order) {
        if (++lookups > limits.max_digest_lookups) break;
        ++out.registry_requests;
        auto digest = client->ResolveDigest(ref->repository, tag->text);
        if (!digest) {
          registry_failed(digest.error());
          break;
        }
        if (*digest == ref->digest) {
          service.running = MakeVersion(*tag, *digest);
          learnt.tag_of_digest[key] = tag->text;
          break;
        }
      }
    }
    if (!service.running) {
      out.services.push_back(std::move(service));  // left out of the catalog, and said why
      continue;
    }

    // What the running version declares: the scale config the service or its local image
    // carries (as the autoscaler reads it), else its image labels in the registry.
    auto source = orchestrator.ReadScaleConfigSource(info);
    if (source && *source) {
      if (auto deps = DependenciesFromLabel((*source)->json); deps) {
        service.running->dependencies = std::move(*deps);
      } else {
        out.notes[info.name] = deps.error().message;
      }
    } else if (client != nullptr && !service.running->digest.empty()) {
      if (auto read = ReadDependencies(*client, ref->repository, *service.running, out); !read) {
        registry_failed(read.error());
      } else if (!service.running->rejection.empty()) {
        // The running version stays in the catalog whatever its label says; it declares nothing.
        out.notes[info.name] = "the running version: " + service.running->rejection;
        service.running->rejection.clear();
      }
    }

    // Newer versions of the identity, newest first, each resolved to a digest and its labels.
    if (client != nullptr && service.settings.mode != upgrade::UpdateMode::kOff) {
      int candidates = 0;
      for (const versions::Tag& tag : same_species) {
        if (*tag.version <= service.running->version) break;
        if (!upgrade::PolicyAllows(service.settings.policy, service.running->version,
                                   *tag.version)) {
          service.newer.push_back(MakeVersion(tag, ""));  // held back by policy: not read
          continue;
        }
        if (++candidates > limits.max_candidates) break;
        ++out.registry_requests;
        auto digest = client->ResolveDigest(ref->repository, tag.text);
        if (!digest) {
          if (digest.error().code == "not_found") continue;  // deleted since the tag list
          registry_failed(digest.error());
          break;
        }
        ImageVersion v = MakeVersion(tag, *digest);
        if (auto read = ReadDependencies(*client, ref->repository, v, out); !read) {
          registry_failed(read.error());
          break;
        }
        service.newer.push_back(std::move(v));
      }
    } else if (service.settings.mode == upgrade::UpdateMode::kOff) {
      // Listed without a digest so that the catalog can say they are held back.
      for (const versions::Tag& tag : same_species) {
        if (*tag.version <= service.running->version) break;
        service.newer.push_back(MakeVersion(tag, ""));
      }
    }
    out.services.push_back(std::move(service));
  }
  if (memory != nullptr) *memory = std::move(learnt);
  return out;
}

}  // namespace maiev::control
