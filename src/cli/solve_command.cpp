#include "cli/commands.hpp"

namespace maiev::cli {

void RegisterSolveCommand(CLI::App& /*app*/, int& /*exit_code*/) {}

}  // namespace maiev::cli
