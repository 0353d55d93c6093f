// How the CLI reaches a running daemon's REST API: the `--url` and `--token` options every
// command that asks the daemon shares, one call with its failures as exit codes, and the event
// stream read line by line.
#pragma once

#include <httplib.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/sse_parser.hpp"
#include "common/result.hpp"

namespace maiev::cli {

struct ApiArgs {
  std::string url = "http://127.0.0.1:8080";
  std::string token;       // the API token; sent as `Authorization: Bearer …` when not empty
  std::string read_token;  // sent instead when there is no API token (serve --read-token)
  std::string ca_cert;     // a PEM file the daemon's TLS certificate is checked against
  bool json = false;       // print the API's JSON instead of a table
};

// --url (MAIEV_URL), --read-token (MAIEV_READ_TOKEN), --ca-cert (MAIEV_CA_CERT) and --json.
void AddApiOptions(CLI::App& command, ApiArgs& args);
// --token, also spelt --api-token (MAIEV_API_TOKEN), for the commands that change something.
void AddTokenOption(CLI::App& command, ApiArgs& args);

// A client of the daemon at args.url (http or https, checked against --ca-cert when given),
// with both timeouts set.
httplib::Client MakeClient(const ApiArgs& args, std::time_t timeout_seconds);

// A call that did not give a 2xx answer: the exit code (commands.hpp: 2 for 400, the caller's
// input; 3 for 404, nothing of that name; else 1) and a message saying what the daemon answered
// and what to do, or why it could not be reached.
struct ApiFailure {
  int exit_code = 1;
  std::string message;
};

// `text` percent-encoded for a path segment or a query value: everything but RFC 3986's
// unreserved characters, so a name cannot reach another route.
std::string PathSegment(std::string_view text);
inline std::string QueryValue(std::string_view text) { return PathSegment(text); }

// `method` ("GET", "POST", "PUT", "DELETE") `path` with `body` (JSON, may be empty); the
// answer's JSON on 2xx. `timeout_seconds` bounds the connection and the wait for the answer.
Result<nlohmann::json, ApiFailure> CallApi(const ApiArgs& args, const std::string& method,
                                           const std::string& path, std::time_t timeout_seconds,
                                           const std::string& body = "");

// Reads the daemon's event stream at `path` (GET /api/v1/events…) and calls `on_event` for each
// event until it returns false, the daemon closes the stream, or it cannot be reached. With
// `reconnect`, a stream that was open and is lost is opened again (after a second) from the last
// event's id, so none is missed that the daemon still keeps; a daemon that cannot be reached at
// the first attempt is a failure either way. Returns the failure that ended it, or
// nothing when `on_event` asked to stop.
Result<void, ApiFailure> FollowEvents(const ApiArgs& args, const std::string& path, bool reconnect,
                                      const std::function<bool(const SseEvent&)>& on_event);

}  // namespace maiev::cli
