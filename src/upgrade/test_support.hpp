// Builders for the upgrade tests: image versions and watched services in a line each.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "upgrade/upgrade_catalog.hpp"

namespace maiev::upgrade::testing {

inline ImageVersion Image(const std::string& tag,
                          std::vector<std::pair<std::string, double>> provide = {},
                          std::vector<std::string> require = {}) {
  ImageVersion v{.tag = tag,
                 .version = versions::ParseTag(tag).value().version.value(),
                 .digest = "",
                 .dependencies = {},
                 .rejection = ""};
  v.digest = "sha256:" + std::string(64 - std::min<std::size_t>(tag.size(), 64), '0') +
             tag.substr(0, std::min<std::size_t>(tag.size(), 64));
  for (auto& [name, value] : provide) v.dependencies.provide[name] = rules::Value::Number(value);
  v.dependencies.require = std::move(require);
  return v;
}

inline WatchedService Service(const std::string& name, ImageVersion running,
                              std::vector<ImageVersion> newer = {}, UpdateSettings settings = {}) {
  WatchedService s;
  s.name = name;
  s.image = versions::ParseImageRef("127.0.0.1:5000/" + name + ":" + running.tag).value();
  s.settings = settings;
  s.running = std::move(running);
  s.newer = std::move(newer);
  return s;
}

}  // namespace maiev::upgrade::testing
