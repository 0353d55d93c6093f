// Catalogs (src/solver): any text is parsed as a catalog (both shapes) and as a running phase;
// a parsed catalog is built into a solver problem (versions parsed and ranked, requirements
// compiled against the capabilities), not solved. Invariants: error messages can be sent as
// JSON; capability names are not empty.
#include "fuzz/fuzz_support.hpp"
#include "solver/catalog.hpp"
#include "solver/problem.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = maiev::fuzz::Text(data, size);
  auto catalog = maiev::solver::ParseCatalog(text);
  if (catalog.ok()) {
    for (const auto& service : catalog->services) {
      for (const auto& version : service.versions) {
        for (const auto& [name, value] : version.provide) maiev::fuzz::Check(!name.empty());
      }
    }
    auto problem = maiev::solver::Problem::Build(*catalog, {catalog->RecordedRunning(), {}});
    if (!problem.ok()) maiev::fuzz::CheckMessage(problem.error().message);
  } else {
    maiev::fuzz::CheckMessage(catalog.error().message);
  }
  auto running = maiev::solver::ParseRunningPhase(text);
  if (!running.ok()) {
    maiev::fuzz::CheckMessage(running.error().message);
  }
  return 0;
}
