// `maiev healthcheck`: exit 0 when the daemon's /healthz answers 200, else 1 with why on stderr.
// The image is FROM scratch, with no shell or curl: this is its HEALTHCHECK.
#include <iostream>
#include <memory>

#include "cli/api_client.hpp"
#include "cli/commands.hpp"

namespace maiev::cli {
namespace {

struct HealthcheckArgs {
  ApiArgs api;
  int timeout_seconds = 3;
};

int RunHealthcheck(const HealthcheckArgs& args) {
  httplib::Client client = MakeClient(args.api, args.timeout_seconds);
  httplib::Result res = client.Get("/healthz");
  if (!res) {
    std::cerr << "maiev healthcheck: no answer from " << args.api.url << "/healthz ("
              << httplib::to_string(res.error()) << ")\n";
    return kExitFailure;
  }
  if (res->status != 200) {
    std::cerr << "maiev healthcheck: " << args.api.url << "/healthz answered " << res->status
              << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void RegisterHealthcheckCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<HealthcheckArgs>();
  CLI::App* command = app.add_subcommand(
      "healthcheck", "Exit 0 when the daemon's /healthz answers (the image's HEALTHCHECK)");
  command->add_option("--url", args->api.url, "Base URL of the daemon's API")->envname("MAIEV_URL");
  command
      ->add_option("--ca-cert", args->api.ca_cert,
                   "PEM file an https --url's certificate is checked against")
      ->envname("MAIEV_CA_CERT");
  command->add_option("--timeout", args->timeout_seconds, "Seconds to wait for the answer")
      ->check(CLI::Range(1, 60));
  command->callback([args, &exit_code] { exit_code = RunHealthcheck(*args); });
}

}  // namespace maiev::cli
