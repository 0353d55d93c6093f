#include "solver/catalog.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "common/message_text.hpp"
#include "rules/expression.hpp"

namespace maiev::solver {
namespace {

using nlohmann::json;

Unexpected<Error> Invalid(const std::string& path, const std::string& what) {
  return Fail("invalid", path + ": " + what);
}

std::string Quoted(std::string_view s) { return "`" + std::string(s) + "`"; }

// A capability name must be a single rule-language name, so that requirements can refer to it.
Status CheckCapabilityName(const std::string& name, const std::string& path) {
  auto refs = rules::Expression::References(name);
  if (!refs.ok() || refs->size() != 1 || (*refs)[0].Text() != name) {
    return Invalid(path, "capability name " + Quoted(name) +
                             " is not a rule-language name (accepted: identifiers joined by "
                             "`:`, e.g. `producer:rpc:echo`)");
  }
  return {};
}

Status ParseProvide(const json& j, const std::string& path, CatalogVersion& out) {
  if (j.is_null()) return {};
  if (!j.is_object()) {
    return Invalid(path, "expected an object of capability → value");
  }
  for (const auto& [name, value] : j.items()) {
    const std::string item_path = path + "." + name;
    if (auto st = CheckCapabilityName(name, item_path); !st) return st;
    out.provide.emplace_back(name, rules::Value::FromJson(value));
  }
  return {};
}

Status ParseRequire(const json& j, const std::string& path, CatalogVersion& out) {
  if (j.is_null()) return {};
  if (!j.is_array()) return Invalid(path, "expected a list of expressions (strings)");
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) {
      return Invalid(path + "[" + std::to_string(i) + "]", "expected an expression (a string)");
    }
    out.require.push_back(j[i].get<std::string>());
  }
  return {};
}

// {"provide": {...}, "require": [...]}; both optional (an empty object means "none").
Status ParseDependencies(const json& j, const std::string& path, CatalogVersion& out) {
  if (j.is_null()) return {};
  if (!j.is_object()) return Invalid(path, "expected an object with `provide` and `require`");
  if (auto it = j.find("provide"); it != j.end()) {
    if (auto st = ParseProvide(*it, path + ".provide", out); !st) return st;
  }
  if (auto it = j.find("require"); it != j.end()) {
    if (auto st = ParseRequire(*it, path + ".require", out); !st) return st;
  }
  return {};
}

Result<std::string> RequireString(const json& j, const char* key, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end()) return Invalid(path, std::string("missing `") + key + "`");
  if (!it->is_string() || it->get<std::string>().empty()) {
    return Invalid(path + "." + key, "expected a non-empty string");
  }
  return it->get<std::string>();
}

// Solver form: "versions": {VERSION: {"provide", "require"}}.
Status ParseVersionsObject(const json& j, const std::string& path, CatalogService& out) {
  if (!j.is_object()) return Invalid(path, "expected an object of version → dependencies");
  for (const auto& [version, deps] : j.items()) {
    CatalogVersion v;
    v.version = version;
    if (auto st = ParseDependencies(deps, path + "." + version, v); !st) return st;
    out.versions.push_back(std::move(v));
  }
  return {};
}

// Planner form: "versions_list": [{"version", "dependencies", "available"}].
Status ParseVersionsList(const json& j, const std::string& path, CatalogService& out) {
  if (!j.is_array()) return Invalid(path, "expected a list of versions");
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    const json& item = j[i];
    if (!item.is_object()) return Invalid(item_path, "expected an object");
    auto version = RequireString(item, "version", item_path);
    if (!version) return Unexpected<Error>{version.error()};
    CatalogVersion v;
    v.version = *version;
    if (auto it = item.find("dependencies"); it != item.end()) {
      if (auto st = ParseDependencies(*it, item_path + ".dependencies", v); !st) return st;
    }
    if (auto it = item.find("available"); it != item.end()) {
      if (!it->is_boolean()) return Invalid(item_path + ".available", "expected true or false");
      v.available = it->get<bool>();
    }
    out.versions.push_back(std::move(v));
  }
  return {};
}

Result<CatalogService> ParseService(const json& j, const std::string& path) {
  if (!j.is_object()) return Invalid(path, "expected a service object with `name`");
  auto name = RequireString(j, "name", path);
  if (!name) return Unexpected<Error>{name.error()};
  CatalogService service;
  service.name = *name;
  const std::string where = path + " (service " + Quoted(service.name) + ")";
  auto versions = j.find("versions");
  auto versions_list = j.find("versions_list");
  if (versions != j.end()) {
    if (auto st = ParseVersionsObject(*versions, where + ".versions", service); !st) {
      return Unexpected<Error>{st.error()};
    }
  } else if (versions_list != j.end()) {
    if (auto st = ParseVersionsList(*versions_list, where + ".versions_list", service); !st) {
      return Unexpected<Error>{st.error()};
    }
  } else {
    return Invalid(where, "missing `versions` (object) or `versions_list` (list)");
  }
  if (service.versions.empty()) return Invalid(where, "a service needs at least one version");
  std::set<std::string> seen;
  for (const auto& v : service.versions) {
    if (!seen.insert(v.version).second) {
      return Invalid(where, "version " + Quoted(v.version) + " is listed twice");
    }
  }
  if (auto it = j.find("version"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return Invalid(where + ".version", "expected the running version");
    service.running = it->get<std::string>();
  }
  return service;
}

Result<json> ParseJson(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range: number overflow
    return Fail("parse", "not JSON: " + EscapeInvalidUtf8(e.what()));
  }
}

}  // namespace

std::map<std::string, std::string> Catalog::RecordedRunning() const {
  std::map<std::string, std::string> running;
  for (const auto& s : services) {
    if (s.running) running[s.name] = *s.running;
  }
  return running;
}

Result<Catalog> ParseCatalog(std::string_view json_text) {
  auto parsed = ParseJson(json_text);
  if (!parsed) return Unexpected<Error>{parsed.error()};
  const json& root = *parsed;

  const json* list = nullptr;
  std::string path;
  if (root.is_object()) {
    auto it = root.find("catalog");
    if (it == root.end()) return Invalid("(root)", "expected a list of services or `catalog`");
    list = &*it;
    path = "catalog";
  } else if (root.is_array() && root.size() == 1 && root[0].is_array()) {
    list = &root[0];  // `[catalog]`, the original solver's argument list
    path = "[0]";
  } else {
    list = &root;
    path = "";
  }
  if (!list->is_array()) return Invalid(path.empty() ? "(root)" : path, "expected a list");

  Catalog catalog;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto service = ParseService((*list)[i], path + "[" + std::to_string(i) + "]");
    if (!service) return Unexpected<Error>{service.error()};
    if (!names.insert(service->name).second) {
      return Invalid(path + "[" + std::to_string(i) + "]",
                     "service " + Quoted(service->name) + " is listed twice");
    }
    catalog.services.push_back(std::move(service).value());
  }
  return catalog;
}

Result<std::map<std::string, std::string>> ParseRunningPhase(std::string_view json_text) {
  auto parsed = ParseJson(json_text);
  if (!parsed) return Unexpected<Error>{parsed.error()};
  if (!parsed->is_object()) {
    return Invalid("(root)", "expected an object of service → running version");
  }
  std::map<std::string, std::string> running;
  for (const auto& [service, version] : parsed->items()) {
    if (!version.is_string()) return Invalid(service, "expected a version (a string)");
    running[service] = version.get<std::string>();
  }
  return running;
}

}  // namespace maiev::solver
