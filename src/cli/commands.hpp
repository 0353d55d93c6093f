// Subcommands of the `maiev` executable. Each Register* function adds one command tree to the
// application; its callbacks write the process exit code to `exit_code`:
//   0 success, 2 bad input (with a message on stderr saying what and where), 3 no solution,
//   1 any other failure.
#pragma once

#include <CLI/CLI.hpp>

namespace maiev::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitNoSolution = 3;

void RegisterCatalogCommand(CLI::App& app, int& exit_code);   // maiev catalog
void RegisterPlansCommands(CLI::App& app, int& exit_code);    // maiev plans [show|resolve|…]
void RegisterRulesCommands(CLI::App& app, int& exit_code);    // maiev rules check|eval
void RegisterSolveCommand(CLI::App& app, int& exit_code);     // maiev solve
void RegisterServeCommand(CLI::App& app, int& exit_code);     // maiev serve
void RegisterStatusCommand(CLI::App& app, int& exit_code);    // maiev status
void RegisterVersionsCommand(CLI::App& app, int& exit_code);  // maiev versions

}  // namespace maiev::cli
