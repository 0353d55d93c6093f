// The config file of `maiev serve` (--config, TOML/INI, read by CLI11): the input is read as
// that file by the real serve command's options, whose callback (the daemon) is replaced so
// that nothing runs. Invariant: a bad file is a CLI::ParseError (what main() reports as bad
// usage), never another exception.
#include <CLI/CLI.hpp>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CLI::App app{"maiev"};
  int exit_code = maiev::cli::kExitOk;
  maiev::cli::RegisterServeCommand(app, exit_code);
  CLI::App* serve = app.get_subcommand("serve");
  serve->callback([] {});
  std::istringstream file{std::string(maiev::fuzz::Text(data, size))};
  try {
    serve->parse_from_stream(file);
  } catch (const CLI::ParseError&) {
    return 0;
  }
  maiev::fuzz::Check(exit_code == maiev::cli::kExitOk);
  return 0;
}
