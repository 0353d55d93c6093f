// Times the dependency solver and the upgrade planner (docs/PERFORMANCE.md) on the fixture
// catalogs and on seeded synthetic catalogs of N services × M versions, of three kinds.
//
//   solver_bench [--fixtures DIR] [--quick] [--kind breaking|ceilings|fine] [--size NxM]
//                [--no-plan]
//
// --size keeps one size (e.g. 200x50); --no-plan times the target only.
//
// Times are CPU milliseconds of one core: parse (JSON → Catalog), build (Problem::Build: version
// order, compiled requirements, support tables), solve (Solve) and plan (PlanUpgrade).
//
// Synthetic catalogs: service i's versions 1.0.0 … M.0.0 provide `sI:api`, an integer level
// non-decreasing with the version, and `sI:feat` (features, growing); each version requires 2–4
// expressions on up to 3 fixed dependencies of the service, chosen among the services listed
// before it (layers, so requirements chain from the top of the catalog to its first services).
//  - "breaking": lower bounds on their api rising with the version, feature membership,
//    occasionally an upper bound (a breaking change), an `or` over two services, and in about 2%
//    of versions something nothing provides. All-newest is nearly consistent.
//  - "ceilings": mostly (70%) upper bounds on the dependencies' api levels (`s12:api <= 7`), the
//    rest lower bounds, both near the level the version was built against; api levels 0–10, so
//    several versions share a level. Each version's newest dependencies are often out of bounds,
//    so the optimum trades one service's rank against another's along the chains.
//  - "fine": the same with one api level per version (0 … M-1): every version's bounds differ,
//    no two versions of a service behave alike.
// "unsat" catalogs also make every version of one service require an impossible api level. The
// running phase ("running" rows) is the best consistent phase among the older half of each
// service's versions; "fresh" rows solve without one.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "solver/catalog.hpp"
#include "solver/problem.hpp"
#include "solver/solver.hpp"

namespace {

// CPU time of this (single-threaded) process: figures stay comparable on a busy machine.
struct Clock {
  using time_point = std::clock_t;
  static time_point now() { return std::clock(); }
};
using maiev::solver::Catalog;
using maiev::solver::CatalogService;
using maiev::solver::CatalogVersion;

double MillisecondsSince(Clock::time_point start) {
  return 1000.0 * static_cast<double>(Clock::now() - start) / CLOCKS_PER_SEC;
}

struct Synthetic {
  Catalog catalog;
  std::map<std::string, std::string> running;
};

enum class Kind { kBreaking, kCeilings, kFine };

const char* Name(Kind kind) {
  switch (kind) {
    case Kind::kBreaking:
      return "breaking";
    case Kind::kCeilings:
      return "ceilings";
    case Kind::kFine:
      return "fine";
  }
  return "?";
}

Synthetic Generate(Kind kind, int n, int m, unsigned seed, bool unsat) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int max_api = kind == Kind::kFine ? std::max(1, m - 1) : 10;
  constexpr int kFeatures = 8;
  auto name = [](int s) { return "s" + std::to_string(s); };
  auto api = [&](int k) { return k * max_api / std::max(1, m - 1); };  // k = 0 … m-1
  Synthetic out;
  for (int s = 0; s < n; ++s) {
    CatalogService service;
    service.name = name(s);
    // Dependencies point to services listed earlier (layers), as in a real deployment.
    std::vector<int> deps;
    const int dep_count = std::min(s, 3);
    while (static_cast<int>(deps.size()) < dep_count) {
      const int d = pick(0, s - 1);
      if (std::find(deps.begin(), deps.end(), d) == deps.end()) deps.push_back(d);
    }
    for (int k = 0; k < m; ++k) {
      CatalogVersion v;
      v.version = std::to_string(k + 1) + ".0.0";
      v.provide.emplace_back(name(s) + ":api", maiev::rules::Value::Number(api(k)));
      std::vector<maiev::rules::Value> features;
      for (int f = 0; f <= k * kFeatures / std::max(1, m); ++f) {
        features.push_back(maiev::rules::Value::String("f" + std::to_string(f)));
      }
      v.provide.emplace_back(name(s) + ":feat", maiev::rules::Value::List(std::move(features)));
      const int requirements = deps.empty() ? 0 : pick(2, 4);
      for (int q = 0; q < requirements; ++q) {
        const int d = deps[pick(0, static_cast<int>(deps.size()) - 1)];
        const int level = std::max(0, api(k) - pick(0, 4));
        if (kind != Kind::kBreaking) {
          if (pick(0, 9) < 7) {
            v.require.push_back(name(d) + ":api <= " + std::to_string(level + pick(1, 5)));
          } else {
            v.require.push_back(name(d) + ":api >= " + std::to_string(level));
          }
          continue;
        }
        switch (pick(0, 19)) {
          case 0:
            v.require.push_back(name(d) + ":api < " + std::to_string(level + pick(2, 6)));
            break;
          case 1:
            v.require.push_back(name(d) + ":api >= " + std::to_string(level) + " or " +
                                name(deps[0]) + ":api >= " + std::to_string(level));
            break;
          case 2:
          case 3:
            v.require.push_back("\"f" + std::to_string(pick(0, k * kFeatures / std::max(1, m))) +
                                "\" in " + name(d) + ":feat");
            break;
          default:
            v.require.push_back(name(d) + ":api >= " + std::to_string(level));
        }
      }
      if (kind == Kind::kBreaking && pick(0, 49) == 0) {
        v.require.emplace_back("legacy:bus > 0");  // provided by nobody
      }
      if (unsat && s == n / 2) v.require.push_back(name(deps[0]) + ":api > 99");  // n ≥ 3
      service.versions.push_back(std::move(v));
    }
    out.catalog.services.push_back(std::move(service));
  }
  // Running phase: the best consistent phase among the older half of the versions, so that the
  // planner starts from a phase that could really be running.
  Catalog older = out.catalog;
  for (auto& service : older.services) {
    for (int k = (m + 1) / 2; k < m; ++k) service.versions[k].available = false;
  }
  auto problem = maiev::solver::Problem::Build(older, {});
  auto solution = problem ? maiev::solver::Solve(*problem)
                          : maiev::solver::Solve(maiev::solver::Problem::Build({}, {}).value());
  for (int s = 0; s < n && solution; ++s) {
    out.running[problem->service(s).name] = problem->service(s).versions[solution->ranks[s]];
  }
  return out;
}

struct Timing {
  double build_ms = 0, solve_ms = 0, plan_ms = 0;
  std::string outcome;
};

Timing Run(const Catalog& catalog, const maiev::solver::ProblemOptions& options, bool plan_too) {
  Timing t;
  auto start = Clock::now();
  auto problem = maiev::solver::Problem::Build(catalog, options);
  t.build_ms = MillisecondsSince(start);
  if (!problem) {
    t.outcome = "bad input: " + problem.error().message;
    return t;
  }
  start = Clock::now();
  auto solution = maiev::solver::Solve(*problem);
  t.solve_ms = MillisecondsSince(start);
  if (!solution) {
    t.outcome = solution.error().code + " (" + std::to_string(solution.error().reasons.size()) +
                " reasons)";
    return t;
  }
  t.outcome = "rank " + std::to_string(solution->total_rank) + ", " +
              std::to_string(solution->nodes) + " nodes";
  if (solution->sat_calls > 0)
    t.outcome += ", " + std::to_string(solution->sat_calls) + " SAT calls";
  if (!plan_too) return t;
  start = Clock::now();
  auto plan = maiev::solver::PlanUpgrade(*problem, solution->ranks);
  t.plan_ms = MillisecondsSince(start);
  t.outcome +=
      plan ? ", plan " + std::to_string(plan->size()) + " steps" : ", plan: " + plan.error().code;
  if (!plan && plan.error().code == "limit") t.outcome += " — " + plan.error().message;
  return t;
}

void Print(const std::string& name, const Timing& t) {
  std::printf("%-44s build %9.2f ms  solve %9.2f ms  plan %9.2f ms  %s\n", name.c_str(), t.build_ms,
              t.solve_ms, t.plan_ms, t.outcome.c_str());
}

void Fixture(const std::string& dir, const std::string& file) {
  std::ifstream in(dir + "/catalogs/" + file);
  std::ostringstream text;
  text << in.rdbuf();
  const auto start = Clock::now();
  auto catalog = maiev::solver::ParseCatalog(text.str());
  const double parse_ms = MillisecondsSince(start);
  if (!catalog) {
    std::printf("%s: %s\n", file.c_str(), catalog.error().message.c_str());
    return;
  }
  maiev::solver::ProblemOptions options;
  options.running = catalog->RecordedRunning();
  std::printf("%-44s parse %9.2f ms\n", file.c_str(), parse_ms);
  Print(file, Run(*catalog, options, true));
}

}  // namespace

int main(int argc, char** argv) {
  std::string fixtures = MAIEV_FIXTURES_DIR;
  bool quick = false;
  bool plan_too = true;
  std::string only_size;
  std::vector<Kind> kinds = {Kind::kBreaking, Kind::kCeilings, Kind::kFine};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") quick = true;
    if (arg == "--fixtures" && i + 1 < argc) fixtures = argv[++i];
    if (arg == "--no-plan") plan_too = false;
    if (arg == "--size" && i + 1 < argc) only_size = argv[++i];
    if (arg == "--kind" && i + 1 < argc) {
      const std::string wanted = argv[++i];
      std::erase_if(kinds, [&](Kind k) { return wanted != Name(k); });
    }
  }
  Fixture(fixtures, "solver-sample1.json");
  Fixture(fixtures, "planner-sample1.json");
  const std::vector<std::pair<int, int>> sizes =
      quick ? std::vector<std::pair<int, int>>{{10, 3}, {50, 10}, {200, 50}}
            : std::vector<std::pair<int, int>>{{10, 3},   {10, 10},  {50, 10},  {50, 50},
                                               {100, 20}, {100, 50}, {200, 20}, {200, 50}};
  const int seeds = quick ? 1 : 3;
  for (Kind kind : kinds) {
    for (const auto& [n, m] : sizes) {
      if (!only_size.empty() && only_size != std::to_string(n) + "x" + std::to_string(m)) continue;
      for (int seed = 1; seed <= seeds; ++seed) {
        for (bool unsat : {false, true}) {
          const Synthetic s = Generate(kind, n, m, static_cast<unsigned>(seed), unsat);
          for (bool with_running : {false, true}) {
            if (with_running && s.running.empty()) continue;  // the older half has no solution
            maiev::solver::ProblemOptions options;
            if (with_running) options.running = s.running;
            const std::string name = std::string(Name(kind)) + " " + std::to_string(n) + "x" +
                                     std::to_string(m) + " seed " + std::to_string(seed) +
                                     (unsat ? " unsat" : "") +
                                     (with_running ? " running" : " fresh");
            Print(name, Run(s.catalog, options, plan_too));
          }
        }
      }
    }
  }
  return 0;
}
