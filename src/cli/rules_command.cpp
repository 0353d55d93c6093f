#include "cli/commands.hpp"

namespace maiev::cli {

void RegisterRulesCommands(CLI::App& /*app*/, int& /*exit_code*/) {}

}  // namespace maiev::cli
