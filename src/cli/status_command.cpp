// `maiev status`: asks a running daemon for its services and prints a table (or --json),
// preceded by what the daemon waits for when it is not ready (on stderr with --json).
#include <httplib.h>

#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"

namespace maiev::cli {
namespace {

// The daemon answers from memory; a slow answer means it is stuck, not busy.
constexpr time_t kStatusTimeoutSeconds = 5;

struct StatusArgs {
  std::string url = "http://127.0.0.1:8080";
  bool json = false;
};

std::string Metric(const nlohmann::json& metrics, const char* name) {
  for (const auto& [resource, values] : metrics.items()) {
    if (!values.is_object() || !values.contains(name) || values[name].is_null()) continue;
    if (values[name].is_string()) return values[name].get<std::string>();  // "inf"
    std::ostringstream out;
    out << std::setprecision(3) << values[name].get<double>();
    return out.str();
  }
  return "-";
}

std::string RulesColumn(const nlohmann::json& rules) {
  std::string out;
  for (const auto& [name, state] : rules.items()) {
    if (!out.empty()) out += " ";
    out += name + "=" + (state.value("value", false) ? "T" : "F");
  }
  return out.empty() ? "-" : out;
}

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
  httplib::Client client(args.url);
  client.set_connection_timeout(kStatusTimeoutSeconds);
  client.set_read_timeout(kStatusTimeoutSeconds);
  auto res = client.Get("/api/v1/services");
  if (!res) {
    std::cerr << "maiev status: cannot reach the daemon at " << args.url << " ("
              << httplib::to_string(res.error()) << "); is `maiev serve` running?\n";
    return kExitFailure;
  }
  if (res->status != 200) {
    std::cerr << "maiev status: the daemon answered " << res->status << ": " << res->body << "\n";
    return kExitFailure;
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body.contains("services")) {
    std::cerr << "maiev status: unexpected answer from " << args.url << "\n";
    return kExitFailure;
  }
  const nlohmann::json not_ready = NotReady(client);
  if (args.json) {
    if (!not_ready.is_null()) PrintWaiting(not_ready, std::cerr);
    std::cout << body["services"].dump(2) << "\n";
    return kExitOk;
  }
  if (!not_ready.is_null()) PrintWaiting(not_ready, std::cout);
  std::cout << std::left << std::setw(24) << "SERVICE" << std::setw(13) << "STATE" << std::setw(9)
            << "REPLICAS" << std::setw(8) << "WAITING" << std::setw(9) << "LATENCY" << std::setw(10)
            << "CONSUMERS"
            << "RULES / REASON\n";
  for (const auto& s : body["services"]) {
    const std::string replicas =
        std::to_string(s.value("replicas", 0)) +
        (s.value("max", 0) > 0 ? "/" + std::to_string(s.value("max", 0)) : "");
    std::cout << std::setw(24) << s.value("name", "") << std::setw(13) << s.value("state", "")
              << std::setw(9) << replicas << std::setw(8) << Metric(s["metrics"], "waiting")
              << std::setw(9) << Metric(s["metrics"], "latency") << std::setw(10)
              << Metric(s["metrics"], "consumers") << RulesColumn(s["rules"]);
    if (!s["config_errors"].empty()) std::cout << "  " << s["config_errors"][0].get<std::string>();
    std::cout << "\n";
    // Why it has this size: the latest cycle's decision, holds included.
    const std::string why = s.value("last_reason", "");
    if (!why.empty()) std::cout << "  why: " << why << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterStatusCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* status = app.add_subcommand("status", "Show monitored services (asks the daemon)");
  status->add_option("--url", args->url, "Base URL of the daemon's API")->envname("MAIEV_URL");
  status->add_flag("--json", args->json, "Print JSON instead of a table");
  status->callback([args, &exit_code] { exit_code = RunStatus(*args); });
}

}  // namespace maiev::cli
