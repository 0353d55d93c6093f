// Subcommands of the `maiev` executable. Each Register* function adds one command tree to the
// application; its callbacks write the process exit code to `exit_code`:
//   0 success, 1 a failure of the daemon or of a component (unreachable, refused, 5xx), 2 bad
//   input or usage (with a message on stderr saying what and where), 3 not found (no service or
//   plan of that name) or no solution. docs/CLI.md lists them.
#pragma once

#include <CLI/CLI.hpp>

namespace maiev::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitNoSolution = 3;
inline constexpr int kExitNotFound = 3;

void RegisterCatalogCommand(CLI::App& app, int& exit_code);     // maiev catalog
void RegisterPlansCommands(CLI::App& app, int& exit_code);      // maiev plans [show|resolve|…]
void RegisterRulesCommands(CLI::App& app, int& exit_code);      // maiev rules check|eval|test
void RegisterRuleTestCommand(CLI::App& rules, int& exit_code);  // maiev rules test (the API)
void RegisterSolveCommand(CLI::App& app, int& exit_code);       // maiev solve
void RegisterServeCommand(CLI::App& app, int& exit_code);       // maiev serve
// maiev services [show], scale, pause, resume, config set|unset, decisions, events, top
void RegisterServiceCommands(CLI::App& app, int& exit_code);
void RegisterCompletionCommand(CLI::App& app, int& exit_code);   // maiev completion bash|zsh
void RegisterHealthcheckCommand(CLI::App& app, int& exit_code);  // maiev healthcheck
void RegisterStatusCommand(CLI::App& app, int& exit_code);       // maiev status
void RegisterVersionsCommand(CLI::App& app, int& exit_code);     // maiev versions

}  // namespace maiev::cli
