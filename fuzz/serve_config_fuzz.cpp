// The config file of `maiev serve` (--config, TOML/INI, read by CLI11): the input is read as
// that file by the real serve command's options. A parse-complete callback, which CLI11 runs
// once every option is read and before the command's own callback (the daemon), stops there, so
// that nothing runs. (Replacing the command's callback would free the values its options write
// to: it owns them.) Invariant: a bad file is a CLI::ParseError (what main() reports as bad
// usage), never another exception.
#include <CLI/CLI.hpp>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

struct ConfigRead {};  // thrown once the file is read, before the daemon would start

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CLI::App app{"maiev"};
  int exit_code = maiev::cli::kExitOk;
  maiev::cli::RegisterServeCommand(app, exit_code);
  CLI::App* serve = app.get_subcommand("serve");
  serve->parse_complete_callback([] { throw ConfigRead{}; });
  std::istringstream file{std::string(maiev::fuzz::Text(data, size))};
  try {
    serve->parse_from_stream(file);
  } catch (const CLI::ParseError&) {
    return 0;
  } catch (const ConfigRead&) {
    maiev::fuzz::Check(exit_code == maiev::cli::kExitOk);
    return 0;
  }
  maiev::fuzz::Check(false);  // the parse-complete callback always runs after a good file
  return 0;
}
