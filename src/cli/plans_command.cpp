// `maiev plans [--json]`, `maiev plans show|approve|abort ID`, `maiev plans resolve`: the
// upgrade plans of a running daemon, the plan it would make now (a dry run), and an operator's
// approval or abort. Tables by default, the API's JSON with --json.
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/upgrade_tables.hpp"

namespace maiev::cli {
namespace {

// Listing and showing read the store: quick.
constexpr std::time_t kReadTimeoutSeconds = 5;
// A resolve reads the swarm and every registry (a tag list, then a manifest HEAD and the labels
// per newer version), each call bounded by the registry client's own timeouts.
constexpr std::time_t kResolveTimeoutSeconds = 120;
// Approve and abort wait for the upgrade loop's current pass, which may be checking registries.
constexpr std::time_t kDecideTimeoutSeconds = 60;

struct PlansArgs {
  ApiArgs api;
  std::int64_t id = 0;
  std::size_t limit = 50;
};

int Report(const char* command, const ApiFailure& failure) {
  std::cerr << "maiev plans" << (command[0] != '\0' ? " " : "") << command << ": "
            << failure.message << "\n";
  return failure.exit_code;
}

int RunList(const PlansArgs& args) {
  auto plans = CallApi(args.api, "GET", "/api/v1/plans?limit=" + std::to_string(args.limit),
                       kReadTimeoutSeconds);
  if (!plans) return Report("", plans.error());
  std::cout << (args.api.json ? plans->dump(2) + "\n" : PlansText(*plans));
  return kExitOk;
}

int RunShow(const PlansArgs& args) {
  auto plan =
      CallApi(args.api, "GET", "/api/v1/plans/" + std::to_string(args.id), kReadTimeoutSeconds);
  if (!plan) return Report("show", plan.error());
  std::cout << (args.api.json ? plan->dump(2) + "\n" : PlanText(*plan));
  return kExitOk;
}

int RunResolve(const PlansArgs& args) {
  auto resolved = CallApi(args.api, "POST", "/api/v1/plans/resolve", kResolveTimeoutSeconds);
  if (!resolved) return Report("resolve", resolved.error());
  std::cout << (args.api.json ? resolved->dump(2) + "\n" : ResolveText(*resolved));
  // As `maiev solve`: 3 when no consistent target or path exists, 1 when the search gave up.
  const std::string outcome = resolved->value("outcome", "");
  if (outcome == "ok") return kExitOk;
  return outcome == "no_solution" || outcome == "no_plan" ? kExitNoSolution : kExitFailure;
}

int RunDecide(const PlansArgs& args, const char* action) {
  auto plan = CallApi(args.api, "POST", "/api/v1/plans/" + std::to_string(args.id) + "/" + action,
                      kDecideTimeoutSeconds);
  if (!plan) return Report(action, plan.error());
  if (args.api.json) {
    std::cout << plan->dump(2) << "\n";
  } else {
    std::cout << (std::string(action) == "approve" ? "approved" : "aborted") << " plan " << args.id
              << "\n"
              << PlanText(*plan);
  }
  return kExitOk;
}

// A plan id: digits only, at least 1 (CLI11's own number check names a range of doubles).
CLI::Validator PlanIdValidator() {
  return {[](const std::string& text) -> std::string {
            const bool digits = !text.empty() && text.size() <= 18 &&
                                text.find_first_not_of("0123456789") == std::string::npos;
            if (digits && text.find_first_not_of('0') != std::string::npos) return "";
            return "expected a plan id (a positive integer, as `maiev plans` lists it), got '" +
                   text + "'";
          },
          "PLAN_ID"};
}

void AddId(CLI::App& command, PlansArgs& args) {
  command.add_option("ID", args.id, "The plan's id (as `maiev plans` lists it)")
      ->required()
      ->check(PlanIdValidator());
}

}  // namespace

void RegisterPlansCommands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<PlansArgs>();
  CLI::App* plans =
      app.add_subcommand("plans", "Upgrade plans: list, show, resolve, approve, abort");
  AddApiOptions(*plans, args->api);
  plans->add_option("--limit", args->limit, "The newest plans to list (1 to 1000)")
      ->check(CLI::Range(1, 1000));
  plans->require_subcommand(0, 1);

  CLI::App* show = plans->add_subcommand("show", "Show one plan and its steps");
  AddApiOptions(*show, args->api);
  AddId(*show, *args);
  show->callback([args, &exit_code] { exit_code = RunShow(*args); });

  CLI::App* resolve = plans->add_subcommand(
      "resolve", "Dry run: the target and the plan maiev would run now (nothing is executed)");
  AddApiOptions(*resolve, args->api);
  AddTokenOption(*resolve, args->api);
  resolve->callback([args, &exit_code] { exit_code = RunResolve(*args); });

  CLI::App* approve = plans->add_subcommand("approve", "Start a plan waiting for approval");
  AddApiOptions(*approve, args->api);
  AddTokenOption(*approve, args->api);
  AddId(*approve, *args);
  approve->callback([args, &exit_code] { exit_code = RunDecide(*args, "approve"); });

  CLI::App* abort = plans->add_subcommand(
      "abort", "Stop a pending or running plan (a rolling update already requested goes on)");
  AddApiOptions(*abort, args->api);
  AddTokenOption(*abort, args->api);
  AddId(*abort, *args);
  abort->callback([args, &exit_code] { exit_code = RunDecide(*args, "abort"); });

  // `maiev plans` alone lists; with a subcommand, the subcommand's callback does the work.
  plans->callback([plans, args, &exit_code] {
    if (plans->get_subcommands().empty()) exit_code = RunList(*args);
  });
}

}  // namespace maiev::cli
