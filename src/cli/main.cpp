#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  // Once per process, before any thread: every libcurl user (Engine API, management API) shares it.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CLI::App app{"maiev: autoscales Docker Swarm services from RabbitMQ queue latency"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("maiev ") + MAIEV_VERSION);

  int exit_code = maiev::cli::kExitOk;
  maiev::cli::RegisterCatalogCommand(app, exit_code);
  maiev::cli::RegisterCompletionCommand(app, exit_code);
  maiev::cli::RegisterHealthcheckCommand(app, exit_code);
  maiev::cli::RegisterPlansCommands(app, exit_code);
  maiev::cli::RegisterRulesCommands(app, exit_code);
  maiev::cli::RegisterSolveCommand(app, exit_code);
  maiev::cli::RegisterServeCommand(app, exit_code);
  maiev::cli::RegisterServiceCommands(app, exit_code);
  maiev::cli::RegisterStatusCommand(app, exit_code);
  maiev::cli::RegisterVersionsCommand(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? maiev::cli::kExitOk : maiev::cli::kExitBadInput;
  }
  return exit_code;
}
