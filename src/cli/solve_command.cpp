// `maiev solve CATALOG.json [--current CURRENT.json] [--constraint EXPR]... [--json]`
// Prints the target phase, its total rank and the upgrade plan, or why there is none.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "solver/catalog.hpp"
#include "solver/problem.hpp"
#include "solver/solver.hpp"

namespace maiev::cli {
namespace {

struct SolveArgs {
  std::string catalog_path;
  std::string current_path;
  std::vector<std::string> constraints;
  bool json = false;
};

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("io", "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int ReportError(const SolveArgs& args, int code, const std::string& message,
                const std::vector<std::string>& reasons, const nlohmann::ordered_json& extra = {}) {
  if (args.json) {
    nlohmann::ordered_json out = extra.is_object() ? extra : nlohmann::ordered_json::object();
    out["error"] = message;
    out["reasons"] = reasons;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cerr << "maiev solve: " << message << "\n";
    for (const auto& reason : reasons) std::cerr << "  - " << reason << "\n";
  }
  return code;
}

nlohmann::ordered_json TargetJson(const solver::Problem& problem,
                                  const solver::Solution& solution) {
  nlohmann::ordered_json target = nlohmann::ordered_json::object();
  for (int s = 0; s < problem.service_count(); ++s) {
    target[problem.service(s).name] = problem.service(s).versions[solution.ranks[s]];
  }
  return target;
}

nlohmann::ordered_json PlanJson(const solver::Problem& problem,
                                const std::vector<solver::Step>& plan) {
  nlohmann::ordered_json steps = nlohmann::ordered_json::array();
  for (const auto& step : plan) {
    const auto& info = problem.service(step.service);
    steps.push_back(
        {{"service", info.name},
         {"from", step.from == solver::kAbsent ? nlohmann::ordered_json(nullptr)
                                               : nlohmann::ordered_json(info.versions[step.from])},
         {"to", info.versions[step.to]}});
  }
  return steps;
}

void PrintTarget(const solver::Problem& problem, const solver::Solution& solution) {
  std::size_t width = 0;
  for (const auto& info : problem.services()) width = std::max(width, info.name.size());
  std::cout << "target phase (total rank " << solution.total_rank << "):\n";
  for (int s = 0; s < problem.service_count(); ++s) {
    const auto& info = problem.service(s);
    const int rank = solution.ranks[s];
    std::cout << "  " << info.name << std::string(width - info.name.size() + 2, ' ')
              << info.versions[rank] << "  (rank " << rank << ")";
    if (info.running != solver::kAbsent && info.running != rank) {
      std::cout << "  ← " << info.versions[info.running];
    }
    std::cout << "\n";
  }
}

void PrintPlan(const solver::Problem& problem, const std::vector<solver::Step>& plan) {
  if (!problem.has_running()) {
    std::cout << "no running phase given: no plan\n";
    return;
  }
  if (plan.empty()) {
    std::cout << "plan: nothing to do, the running phase is the target\n";
    return;
  }
  std::cout << "plan (" << plan.size() << " step" << (plan.size() == 1 ? "" : "s") << "):\n";
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto& info = problem.service(plan[i].service);
    const std::string from =
        plan[i].from == solver::kAbsent ? "(not deployed)" : info.versions[plan[i].from];
    std::cout << "  " << i + 1 << ". " << info.name << " " << from << " → "
              << info.versions[plan[i].to] << "\n";
  }
}

int RunSolve(const SolveArgs& args) {
  auto text = ReadFile(args.catalog_path);
  if (!text) return ReportError(args, kExitBadInput, text.error().message, {});
  auto catalog = solver::ParseCatalog(*text);
  if (!catalog) {
    return ReportError(args, kExitBadInput, args.catalog_path + ": " + catalog.error().message, {});
  }
  solver::ProblemOptions options;
  options.constraints = args.constraints;
  if (args.current_path.empty()) {
    options.running = catalog->RecordedRunning();
  } else {
    auto current_text = ReadFile(args.current_path);
    if (!current_text) return ReportError(args, kExitBadInput, current_text.error().message, {});
    auto current = solver::ParseRunningPhase(*current_text);
    if (!current) {
      return ReportError(args, kExitBadInput, args.current_path + ": " + current.error().message,
                         {});
    }
    options.running = std::move(current).value();
  }
  auto problem = solver::Problem::Build(*catalog, options);
  if (!problem) return ReportError(args, kExitBadInput, problem.error().message, {});

  auto solution = solver::Solve(*problem);
  if (!solution) {
    const auto& failure = solution.error();
    return ReportError(args, failure.code == "limit" ? kExitFailure : kExitNoSolution,
                       failure.message, failure.reasons);
  }
  auto plan = solver::PlanUpgrade(*problem, solution->ranks);
  if (!plan) {
    const auto& failure = plan.error();
    if (!args.json) PrintTarget(*problem, *solution);
    return ReportError(
        args, failure.code == "limit" ? kExitFailure : kExitNoSolution, failure.message,
        failure.reasons,
        {{"target", TargetJson(*problem, *solution)}, {"rank", solution->total_rank}});
  }
  if (args.json) {
    nlohmann::ordered_json out = {{"target", TargetJson(*problem, *solution)},
                                  {"rank", solution->total_rank},
                                  {"plan", PlanJson(*problem, *plan)}};
    std::cout << out.dump(2) << "\n";
  } else {
    PrintTarget(*problem, *solution);
    PrintPlan(*problem, *plan);
  }
  return kExitOk;
}

}  // namespace

void RegisterSolveCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SolveArgs>();  // shared: owned by the callback and the options
  CLI::App* cmd = app.add_subcommand(
      "solve", "Find the newest consistent phase of a catalog and the upgrade plan to reach it");
  cmd->add_option("catalog", args->catalog_path, "Catalog JSON (solver or planner form)")
      ->required();
  cmd->add_option("--current", args->current_path,
                  "Running phase JSON {\"service\": \"version\"}; default: the versions the "
                  "catalog records");
  cmd->add_option("--constraint", args->constraints,
                  "Extra requirement the target must meet (rule language); repeatable")
      ->allow_extra_args(false);  // one expression per --constraint, so CATALOG may follow
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args, &exit_code] { exit_code = RunSolve(*args); });
}

}  // namespace maiev::cli
