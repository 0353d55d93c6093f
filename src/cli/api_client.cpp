#include "cli/api_client.hpp"

#include <httplib.h>

#include "cli/commands.hpp"

namespace maiev::cli {

void AddApiOptions(CLI::App& command, ApiArgs& args) {
  command.add_option("--url", args.url, "Base URL of the daemon's API")->envname("MAIEV_URL");
  command.add_flag("--json", args.json, "Print the API's JSON instead of a table");
}

void AddTokenOption(CLI::App& command, ApiArgs& args) {
  command.add_option("--api-token", args.token, "The daemon's API token (mutations need it)")
      ->envname("MAIEV_API_TOKEN");
}

Result<nlohmann::json, ApiFailure> CallApi(const ApiArgs& args, const std::string& method,
                                           const std::string& path, std::time_t timeout_seconds) {
  httplib::Client client(args.url);
  client.set_connection_timeout(timeout_seconds);
  client.set_read_timeout(timeout_seconds);
  httplib::Headers headers;
  if (!args.token.empty()) headers.emplace("Authorization", "Bearer " + args.token);
  auto res = method == "POST" ? client.Post(path.c_str(), headers, "", "application/json")
                              : client.Get(path.c_str(), headers);
  if (!res) {
    return Unexpected{ApiFailure{kExitFailure, "cannot reach the daemon at " + args.url + " (" +
                                                   httplib::to_string(res.error()) +
                                                   "); is `maiev serve` running?"}};
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status >= 200 && res->status < 300) {
    if (body.is_discarded()) {
      return Unexpected{
          ApiFailure{kExitFailure, "unexpected answer from " + args.url + path + ": not JSON"}};
    }
    return body;
  }
  std::string message = "the daemon answered " + std::to_string(res->status) + ": ";
  message += body.is_object() && body.contains("message") && body["message"].is_string()
                 ? body["message"].get<std::string>()
                 : res->body;
  if (res->status == 401 && args.token.empty()) {
    message += " (give the API token with --api-token or MAIEV_API_TOKEN)";
  }
  const bool bad_input = res->status == 400 || res->status == 404;
  return Unexpected{ApiFailure{bad_input ? kExitBadInput : kExitFailure, message}};
}

}  // namespace maiev::cli
