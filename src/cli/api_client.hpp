// How the CLI reaches a running daemon's REST API: the `--url` and `--api-token` options every
// command that asks the daemon shares, and one call with its failures as exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.hpp"

namespace maiev::cli {

struct ApiArgs {
  std::string url = "http://127.0.0.1:8080";
  std::string token;  // the API token; sent as `Authorization: Bearer …` when not empty
  bool json = false;  // print the API's JSON instead of a table
};

// --url (MAIEV_URL) and --json.
void AddApiOptions(CLI::App& command, ApiArgs& args);
// --api-token (MAIEV_API_TOKEN), for the commands that POST.
void AddTokenOption(CLI::App& command, ApiArgs& args);

// A call that did not give a 2xx answer: the exit code (commands.hpp: 2 for 400 and 404, which
// are the caller's input, else 1) and a message saying what the daemon answered, or why it
// could not be reached.
struct ApiFailure {
  int exit_code = 1;
  std::string message;
};

// GET or POST `path` with a body-less request; the answer's JSON on 2xx. `timeout_seconds`
// bounds the connection and the wait for the answer.
Result<nlohmann::json, ApiFailure> CallApi(const ApiArgs& args, const std::string& method,
                                           const std::string& path, std::time_t timeout_seconds);

}  // namespace maiev::cli
