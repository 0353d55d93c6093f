// `maiev healthcheck`: exit 0 when the daemon's /healthz answers 200, else 1 with why on stderr.
// The image is FROM scratch, with no shell or curl: this is its HEALTHCHECK, run in the daemon's
// own container, so without --url (MAIEV_URL) it asks the address the daemon listens on
// (MAIEV_LISTEN; an unspecified address is asked on loopback), over HTTPS when MAIEV_TLS_CERT
// is set — its own certificate, whose name it does not check.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "api/listen_address.hpp"
#include "cli/api_client.hpp"
#include "cli/commands.hpp"

namespace maiev::cli {
namespace {

struct HealthcheckArgs {
  ApiArgs api;
  const CLI::Option* url = nullptr;
  int timeout_seconds = 3;
};

// The daemon's own address, from the variables `maiev serve` reads; nullopt when unset or bad.
std::optional<std::string> OwnUrl() {
  const char* listen = std::getenv("MAIEV_LISTEN");
  if (listen == nullptr || *listen == '\0') return std::nullopt;
  auto address = api::ParseListenAddress(listen);
  if (!address || address->port == 0) return std::nullopt;
  if (address->host == "0.0.0.0") address->host = "127.0.0.1";
  if (address->host == "::") address->host = "::1";
  const char* cert = std::getenv("MAIEV_TLS_CERT");
  const bool tls = cert != nullptr && *cert != '\0';
  return std::string(tls ? "https://" : "http://") + address->ToString();
}

int RunHealthcheck(HealthcheckArgs args) {
  bool own = false;
  if (args.url->count() == 0) {
    if (auto url = OwnUrl()) {
      args.api.url = *url;
      own = true;
    }
  }
  httplib::Client client = MakeClient(args.api, args.timeout_seconds);
  if (own) client.enable_server_certificate_verification(false);
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
  args->url = command
                  ->add_option("--url", args->api.url,
                               "Base URL of the daemon's API [http://MAIEV_LISTEN, else "
                               "http://127.0.0.1:8080]")
                  ->envname("MAIEV_URL");
  command
      ->add_option("--ca-cert", args->api.ca_cert,
                   "PEM file an https --url's certificate is checked against")
      ->envname("MAIEV_CA_CERT");
  command->add_option("--timeout", args->timeout_seconds, "Seconds to wait for the answer")
      ->check(CLI::Range(1, 60));
  command->callback([args, &exit_code] { exit_code = RunHealthcheck(*args); });
}

}  // namespace maiev::cli
