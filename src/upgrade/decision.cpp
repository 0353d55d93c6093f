#include "upgrade/decision.hpp"

#include <algorithm>
#include <set>

#include "solver/problem.hpp"
#include "versions/version.hpp"

namespace maiev::upgrade {
namespace {

std::string Join(const std::vector<std::string>& lines, std::string_view separator) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += separator;
    out += line;
  }
  return out;
}

// Why `service` cannot have `version` in a better phase than `target`: solve again with that
// version as its only candidate (and no running version, so that nothing else of it is kept).
std::string ExplainHeldBack(const UpgradeCatalog& catalog, const solver::CatalogService& service,
                            const std::string& version, const solver::Problem& problem,
                            const std::vector<int>& target, const DecideLimits& limits) {
  solver::Catalog what_if = catalog.catalog;
  for (auto& s : what_if.services) {
    if (s.name != service.name) continue;
    for (auto& v : s.versions) v.available = v.version == version;
  }
  solver::ProblemOptions options;
  options.running = catalog.running;
  options.running.erase(service.name);
  auto alternative = solver::Problem::Build(what_if, options);
  if (!alternative) return "held back: " + alternative.error().message;
  auto solution = solver::Solve(*alternative, limits.solve);
  if (!solution) {
    if (solution.error().code == "limit") {
      return "held back: not explained within the search limit (" + solution.error().message + ")";
    }
    // Reasons read "svc 2.0.0: requires …"; the service and version are said already.
    std::vector<std::string> reasons;
    const std::string own = service.name + " " + version + ": ";
    for (std::string reason : solution.error().reasons) {
      if (reason.starts_with(own)) reason.erase(0, own.size());
      reasons.push_back(std::move(reason));
    }
    return "held back: " + (reasons.empty() ? solution.error().message : Join(reasons, "; "));
  }
  // A consistent phase with it exists, but it ranks worse: name what it would cost.
  std::vector<std::string> costs;
  for (int s = 0; s < problem.service_count(); ++s) {
    const auto& info = problem.service(s);
    if (info.name == service.name) continue;
    for (int a = 0; a < alternative->service_count(); ++a) {
      const auto& other = alternative->service(a);
      if (other.name != info.name) continue;
      const std::string& with = other.versions[solution->ranks[a]];
      const std::string& without = info.versions[target[s]];
      auto w = versions::Version::Parse(with);
      auto wo = versions::Version::Parse(without);
      if (w && wo && *w < *wo) costs.push_back(info.name + " " + with + " instead of " + without);
    }
  }
  return "held back: it fits only a phase with older versions elsewhere (" +
         Join(costs.size() > 3 ? std::vector<std::string>(costs.begin(), costs.begin() + 3) : costs,
              ", ") +
         (costs.size() > 3 ? ", …" : "") + "), which ranks lower than the target";
}

}  // namespace

UpgradeDecision Decide(const UpgradeCatalog& catalog, const DecideLimits& limits) {
  UpgradeDecision out;
  out.held_back = catalog.excluded;
  solver::ProblemOptions options;
  options.running = catalog.running;
  auto problem = solver::Problem::Build(catalog.catalog, options);
  if (!problem) {
    out.outcome = "invalid";
    out.message = problem.error().message;
    return out;
  }
  auto solution = solver::Solve(*problem, limits.solve);
  if (!solution) {
    out.outcome = solution.error().code;
    out.message = solution.error().message;
    out.reasons = solution.error().reasons;
    return out;
  }
  for (int s = 0; s < problem->service_count(); ++s) {
    const auto& info = problem->service(s);
    out.target[info.name] = info.versions[solution->ranks[s]];
  }

  // Held back by the solver: the newer allowed versions above each service's target.
  int explained = 0;
  for (int s = 0; s < problem->service_count(); ++s) {
    const auto& info = problem->service(s);
    const solver::CatalogService& entry = catalog.catalog.services[s];
    int mine = 0;
    for (int r = 0; r < solution->ranks[s]; ++r) {
      if (!info.allowed[r]) continue;
      std::string reason =
          explained < limits.explained_in_all && mine < limits.explained_per_service
              ? ExplainHeldBack(catalog, entry, info.versions[r], *problem, solution->ranks, limits)
              : "held back (not explained: explanations are limited to " +
                    std::to_string(limits.explained_per_service) + " per service and " +
                    std::to_string(limits.explained_in_all) + " in all)";
      ++explained;
      ++mine;
      out.held_back.push_back({info.name, info.versions[r], std::move(reason)});
    }
  }

  auto plan = solver::PlanUpgrade(*problem, solution->ranks, limits.plan);
  if (!plan) {
    out.outcome = plan.error().code;
    out.message = plan.error().message;
    out.reasons = plan.error().reasons;
    return out;
  }
  std::set<std::string> approval;
  for (const solver::Step& step : *plan) {
    const auto& info = problem->service(step.service);
    PlannedStep planned;
    planned.service = info.name;
    planned.from = step.from == solver::kAbsent ? "" : info.versions[step.from];
    planned.to = info.versions[step.to];
    planned.image = catalog.pins.at({info.name, planned.to});
    if (auto mode = catalog.modes.find(info.name);
        mode != catalog.modes.end() && mode->second == UpdateMode::kApprove) {
      approval.insert(info.name);
    }
    out.steps.push_back(std::move(planned));
  }
  out.needs_approval.assign(approval.begin(), approval.end());
  return out;
}

}  // namespace maiev::upgrade
