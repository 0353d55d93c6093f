// `maiev catalog [--json]`: asks a running daemon what its latest upgrade check found — per
// service the running version, the target and why newer versions are held back.
#include <iostream>
#include <memory>

#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/upgrade_tables.hpp"

namespace maiev::cli {
namespace {

// The daemon answers from memory (the latest check); a slow answer means it is stuck.
constexpr std::time_t kCatalogTimeoutSeconds = 5;

int RunCatalog(const ApiArgs& args) {
  auto catalog = CallApi(args, "GET", "/api/v1/catalog", kCatalogTimeoutSeconds);
  if (!catalog) {
    std::cerr << "maiev catalog: " << catalog.error().message << "\n";
    return catalog.error().exit_code;
  }
  std::cout << (args.json ? catalog->dump(2) + "\n" : CatalogText(*catalog));
  return kExitOk;
}

}  // namespace

void RegisterCatalogCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ApiArgs>();
  CLI::App* catalog =
      app.add_subcommand("catalog", "Show the upgrade catalog: versions, targets, held back");
  AddApiOptions(*catalog, *args);
  catalog->callback([args, &exit_code] { exit_code = RunCatalog(*args); });
}

}  // namespace maiev::cli
