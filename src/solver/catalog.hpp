// The service catalog the dependency solver works on (SPEC §5), in the original's JSON format.
//
// Two shapes are accepted (see docs/SOLVER.md):
//  - solver form: `[catalog]` or a bare `catalog`, where catalog is a list of
//    {"name": S, "versions": {VERSION: {"provide": {...}, "require": [...]}}};
//  - planner form: {"catalog": [...], ...}, where each entry is {"name": S, "version": RUNNING,
//    "versions_list": [{"version": V, "dependencies": {"provide", "require"}, "available"}]}.
// Parsing checks shapes only; requirement expressions are compiled by Problem::Build.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "rules/value.hpp"

namespace maiev::solver {

struct CatalogVersion {
  std::string version;  // as written
  // Capability name → value, in name order. Names are checked to be rule-language names.
  std::vector<std::pair<std::string, rules::Value>> provide;
  std::vector<std::string> require;  // rule-language expressions over capabilities
  bool available = true;             // false: known but not a candidate (planner form)
};

struct CatalogService {
  std::string name;
  std::vector<CatalogVersion> versions;  // as listed in the input
  std::optional<std::string> running;    // the running version the input records, if any
};

struct Catalog {
  std::vector<CatalogService> services;  // in input order: it breaks ties between targets

  // The running versions the input records (planner form), by service name.
  std::map<std::string, std::string> RecordedRunning() const;
};

// Parses a catalog from JSON text. Errors (code "parse" for non-JSON, "invalid" for wrong
// shapes) name the field path, e.g. `catalog[2].versions_list[3].dependencies.require[0]`.
Result<Catalog> ParseCatalog(std::string_view json_text);

// Parses a running phase, {"service": "version", ...}. Errors as for ParseCatalog.
Result<std::map<std::string, std::string>> ParseRunningPhase(std::string_view json_text);

}  // namespace maiev::solver
