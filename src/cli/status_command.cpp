// `maiev status`: asks a running daemon for its services and prints the table of `maiev services`
// (or --json), preceded by what the daemon waits for when it is not ready (on stderr with --json).
#include <httplib.h>

#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/service_json.hpp"
#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/service_tables.hpp"
#include "cli/terminal.hpp"

namespace maiev::cli {
namespace {

// The daemon answers from memory; a slow answer means it is stuck, not busy.
constexpr time_t kStatusTimeoutSeconds = 5;

struct StatusArgs {
  ApiArgs api;
};

// What a daemon that is not ready waits for, from its /readyz answer: one line per component
// that is not reachable, with its last error.
void PrintWaiting(const nlohmann::json& readyz, std::ostream& out) {
  out << "maiev is not ready; waiting for:\n";
  for (const auto& c : readyz.value("components", nlohmann::json::array())) {
    if (c.value("state", "") == "reachable") continue;
    out << "  " << std::left << std::setw(20) << c.value("name", "") << " "
        << c.value("address", "") << ": " << c.value("state", "");
    if (c.contains("since")) out << " since " << c["since"].get<std::string>();
    if (c.contains("error")) out << ": " << c["error"].get<std::string>();
    out << "\n";
  }
}

// The daemon's /readyz answer when it says it is not ready (503 with JSON), else null.
nlohmann::json NotReady(httplib::Client& client) {
  auto res = client.Get("/readyz");
  if (!res || res->status != 503) return nullptr;
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  return body.is_object() ? body : nullptr;
}

int RunStatus(const StatusArgs& args) {
  auto answer = CallApi(args.api, "GET", "/api/v1/services", kStatusTimeoutSeconds);
  if (!answer) {
    std::cerr << "maiev status: " << answer.error().message << "\n";
    return answer.error().exit_code;
  }
  std::vector<control::ServiceStatus> services;
  for (const auto& item : answer->value("services", nlohmann::json::array())) {
    auto status = api::ServiceStatusFromJson(item);
    if (!status.ok()) {
      std::cerr << "maiev status: unexpected answer from " << args.api.url << ": "
                << status.error().message << "\n";
      return kExitFailure;
    }
    services.push_back(std::move(status).value());
  }
  httplib::Client client = MakeClient(args.api, kStatusTimeoutSeconds);
  const nlohmann::json not_ready = NotReady(client);
  if (args.api.json) {
    if (!not_ready.is_null()) PrintWaiting(not_ready, std::cerr);
    std::cout << (*answer)["services"].dump(2) << "\n";
    return kExitOk;
  }
  if (!not_ready.is_null()) PrintWaiting(not_ready, std::cout);
  if (auto leader = CallApi(args.api, "GET", "/api/v1/leader", kStatusTimeoutSeconds)) {
    if (auto status = api::LeaderStatusFromJson(*leader); status && !status->self.empty()) {
      std::cout << (status->leading
                        ? "this maiev (" + status->self + ") leads"
                        : "this maiev (" + status->self + ") is a standby; the leader is " +
                              (status->leader.empty() ? "not known" : status->leader))
                << "\n";
    }
  }
  std::cout << ServicesText(services, StdoutStyle());
  return kExitOk;
}

}  // namespace

void RegisterStatusCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* status = app.add_subcommand("status", "Show monitored services (asks the daemon)");
  AddApiOptions(*status, args->api);
  status->callback([args, &exit_code] { exit_code = RunStatus(*args); });
}

}  // namespace maiev::cli
