// Test support shared by the upgrade loop's tests (src/control) and its routes' (src/api): a
// swarm service pinned to a tag of the fake registry, images pushed to that registry with a
// scale-config label. Header-only; tests only.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "orchestrator/orchestrator.hpp"
#include "registry/fake_registry_client.hpp"

namespace maiev::control::upgrade_testing {

inline constexpr std::string_view kRegistry = "127.0.0.1:5000";

// "sha256:" and 64 times `c`.
inline std::string Digest(char c) { return "sha256:" + std::string(64, c); }

// A scale config (size 1 to 3) that provides `provide` (JSON members) and requires `require`
// (JSON strings).
inline std::string Label(const std::string& provide, const std::string& require) {
  return R"({"min": 1, "max": 3, "dependencies": {"provide": {)" + provide + R"(}, "require": [)" +
         require + "]}}";
}

// A service running repo `name` at `tag` (pinned), 2 replicas all on that image, its last
// rolling update completed.
inline orchestrator::ServiceInfo PinnedService(const std::string& name, const std::string& tag,
                                               char digest,
                                               std::map<std::string, std::string> labels = {}) {
  orchestrator::ServiceInfo s;
  s.id = "id-" + name;
  s.name = name;
  s.replicas = 2;
  s.running_tasks = 2;
  s.image = std::string(kRegistry) + "/" + name + ":" + tag + "@" + Digest(digest);
  s.running_images = {{s.image, 2}};
  s.labels = std::move(labels);
  s.update_status.state = orchestrator::UpdateState::kCompleted;
  return s;
}

// `name:tag` in `registry`, with `label` (if any) as its maiev.scale_config.
inline void PushImage(registry::FakeRegistryClient& registry, const std::string& name,
                      const std::string& tag, char digest, const std::string& label = "") {
  std::map<std::string, std::string> labels;
  if (!label.empty()) labels["maiev.scale_config"] = label;
  registry.PutTaggedImage(name, tag, Digest(digest), labels);
}

}  // namespace maiev::control::upgrade_testing
