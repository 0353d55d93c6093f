#include "cli/api_client.hpp"

#include <httplib.h>

#include <cctype>
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"

namespace maiev::cli {
namespace {

// The daemon sends a keepalive comment every 15 s; a stream silent for this long is lost.
constexpr std::time_t kStreamReadTimeoutSeconds = 45;
constexpr std::time_t kStreamConnectTimeoutSeconds = 5;
// How long a follower waits before opening a lost stream again.
constexpr std::chrono::seconds kReconnectDelay{1};

httplib::Headers AuthHeaders(const ApiArgs& args) {
  httplib::Headers headers;
  const std::string& token = args.token.empty() ? args.read_token : args.token;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return headers;
}

ApiFailure Unreachable(const ApiArgs& args, httplib::Error error) {
  return {kExitFailure, "cannot reach the daemon at " + args.url + " (" +
                            httplib::to_string(error) +
                            "); is `maiev serve` running, and is --url (MAIEV_URL) right?"};
}

// A refusal's exit code and message: the daemon's own message, and what to do about a 401.
ApiFailure Refused(const ApiArgs& args, int status, const std::string& body_text) {
  const auto body = nlohmann::json::parse(body_text, nullptr, false);
  std::string message = "the daemon answered " + std::to_string(status) + ": ";
  message += body.is_object() && body.contains("message") && body["message"].is_string()
                 ? body["message"].get<std::string>()
                 : body_text;
  if (status == 401) {
    message += args.token.empty() ? " (give the API token with --token or MAIEV_API_TOKEN)"
                                  : " (check the token given with --token or MAIEV_API_TOKEN)";
  }
  const int code = status == 400 ? kExitBadInput : status == 404 ? kExitNotFound : kExitFailure;
  return {code, message};
}

}  // namespace

std::string PathSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[byte >> 4U], kHex[byte & 0xFU]};
    }
  }
  return out;
}

void AddApiOptions(CLI::App& command, ApiArgs& args) {
  command.add_option("--url", args.url, "Base URL of the daemon's API")->envname("MAIEV_URL");
  command.add_flag("--json", args.json, "Print the API's JSON instead of a table");
  command
      .add_option("--read-token", args.read_token,
                  "The daemon's read token, when it has one (prefer MAIEV_READ_TOKEN)")
      ->envname("MAIEV_READ_TOKEN");
  command
      .add_option("--ca-cert", args.ca_cert,
                  "PEM file of the CA (or self-signed certificate) an https --url is checked "
                  "against")
      ->envname("MAIEV_CA_CERT");
}

httplib::Client MakeClient(const ApiArgs& args, std::time_t timeout_seconds) {
  httplib::Client client(args.url);
  client.set_connection_timeout(timeout_seconds);
  client.set_read_timeout(timeout_seconds);
  if (!args.ca_cert.empty()) client.set_ca_cert_path(args.ca_cert);
  return client;
}

void AddTokenOption(CLI::App& command, ApiArgs& args) {
  command
      .add_option("--token,--api-token", args.token,
                  "The daemon's API token (changes need it; prefer MAIEV_API_TOKEN, a flag shows "
                  "in `ps`)")
      ->envname("MAIEV_API_TOKEN");
}

Result<nlohmann::json, ApiFailure> CallApi(const ApiArgs& args, const std::string& method,
                                           const std::string& path, std::time_t timeout_seconds,
                                           const std::string& body) {
  httplib::Client client = MakeClient(args, timeout_seconds);
  const httplib::Headers headers = AuthHeaders(args);
  const char* type = "application/json";
  httplib::Result res = method == "POST"     ? client.Post(path.c_str(), headers, body, type)
                        : method == "PUT"    ? client.Put(path.c_str(), headers, body, type)
                        : method == "DELETE" ? client.Delete(path.c_str(), headers, body, type)
                                             : client.Get(path.c_str(), headers);
  if (!res) return Unexpected{Unreachable(args, res.error())};
  if (res->status < 200 || res->status >= 300) {
    return Unexpected{Refused(args, res->status, res->body)};
  }
  auto answer = nlohmann::json::parse(res->body, nullptr, false);
  if (answer.is_discarded()) {
    return Unexpected{ApiFailure{kExitFailure, "unexpected answer from " + args.url + path +
                                                   ": not JSON; is --url a maiev daemon?"}};
  }
  return answer;
}

Result<void, ApiFailure> FollowEvents(const ApiArgs& args, const std::string& path, bool reconnect,
                                      const std::function<bool(const SseEvent&)>& on_event) {
  SseParser parser;
  bool ever_connected = false;  // a daemon never reached is a wrong --url, not a blip
  for (;;) {
    httplib::Client client = MakeClient(args, kStreamConnectTimeoutSeconds);
    client.set_read_timeout(kStreamReadTimeoutSeconds);
    httplib::Headers headers = AuthHeaders(args);
    headers.emplace("Accept", "text/event-stream");
    if (!parser.last_id().empty()) headers.emplace("Last-Event-ID", parser.last_id());
    int status = 0;
    std::string refusal;  // the body of a non-200 answer
    bool stopped = false;
    httplib::Result res = client.Get(
        path.c_str(), headers,
        [&](const httplib::Response& response) {
          status = response.status;
          return true;
        },
        [&](const char* data, std::size_t size) {
          if (status != 200) {
            refusal.append(data, size);
            return true;
          }
          stopped = !parser.Feed(std::string_view(data, size), on_event);
          return !stopped;
        });
    if (stopped) return {};
    if (status != 0 && status != 200) return Unexpected{Refused(args, status, refusal)};
    ever_connected = ever_connected || status == 200;
    if (!reconnect || !ever_connected) {
      if (!res && res.error() != httplib::Error::Canceled) {
        return Unexpected{Unreachable(args, res.error())};
      }
      return Unexpected{ApiFailure{kExitFailure, "the daemon closed the event stream"}};
    }
    // Lost (a restart, a network blip): open it again from the last event seen.
    std::cerr << "maiev: the event stream was lost ("
              << (res ? std::string("closed by the daemon") : httplib::to_string(res.error()))
              << "); reconnecting\n";
    std::this_thread::sleep_for(kReconnectDelay);
  }
}

}  // namespace maiev::cli
