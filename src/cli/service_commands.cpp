// The commands that mirror the services, decisions and events routes of a running daemon
// (docs/CLI.md): `maiev services [show NAME]`, `maiev scale NAME N`, `maiev pause|resume NAME`,
// `maiev config set NAME FILE|-`, `maiev config unset NAME`, `maiev decisions`, `maiev events`
// and `maiev top`. Tables by default (fitted to the terminal), the API's JSON with --json.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "api/service_json.hpp"
#include "cli/api_client.hpp"
#include "cli/commands.hpp"
#include "cli/service_tables.hpp"
#include "cli/terminal.hpp"
#include "cli/upgrade_tables.hpp"
#include "config/scale_config.hpp"

namespace maiev::cli {
namespace {

using nlohmann::json;

// The daemon answers these from memory or its store; a slow answer means it is stuck.
constexpr std::time_t kReadTimeoutSeconds = 5;
// A scale asks the swarm for the new replica count.
constexpr std::time_t kChangeTimeoutSeconds = 30;
// How often `maiev top` redraws.
constexpr int kTopRefreshMs = 1000;

struct ServiceArgs {
  ApiArgs api;
  std::string name;
  int replicas = 0;
  bool force = false;
  std::string file;  // `config set`: a path, or "-" for standard input
  std::string state;
  std::string prefix;
  std::string since;
  std::string until;
  std::string direction;
  std::size_t limit = 50;
  bool follow = false;
  std::string types;
};

int Report(const std::string& command, const ApiFailure& failure) {
  std::cerr << "maiev " << command << ": " << failure.message << "\n";
  return failure.exit_code;
}

std::string ServicePath(const std::string& name, const std::string& rest = "") {
  return "/api/v1/services/" + PathSegment(name) + rest;
}

// The services of a list answer, read back into snapshots; a failure names what did not fit.
Result<std::vector<control::ServiceStatus>, ApiFailure> Services(const json& answer) {
  std::vector<control::ServiceStatus> services;
  if (!answer.is_object() || !answer.contains("services") || !answer["services"].is_array()) {
    return Unexpected{ApiFailure{kExitFailure, "unexpected answer: no \"services\" list"}};
  }
  for (const json& item : answer["services"]) {
    auto status = api::ServiceStatusFromJson(item);
    if (!status.ok()) {
      return Unexpected{ApiFailure{kExitFailure, "unexpected answer: " + status.error().message}};
    }
    services.push_back(std::move(status).value());
  }
  return services;
}

std::string ListPath(const ServiceArgs& args) {
  std::string query;
  const auto add = [&query](const char* key, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&") + std::string(key) + "=" + QueryValue(value);
  };
  add("state", args.state);
  add("prefix", args.prefix);
  return "/api/v1/services" + query;
}

int RunList(const ServiceArgs& args) {
  auto answer = CallApi(args.api, "GET", ListPath(args), kReadTimeoutSeconds);
  if (!answer) return Report("services", answer.error());
  if (args.api.json) {
    std::cout << (*answer)["services"].dump(2) << "\n";
    return kExitOk;
  }
  auto services = Services(*answer);
  if (!services) return Report("services", services.error());
  std::cout << ServicesText(*services, StdoutStyle());
  return kExitOk;
}

int RunShow(const ServiceArgs& args) {
  auto answer = CallApi(args.api, "GET", ServicePath(args.name), kReadTimeoutSeconds);
  if (!answer) return Report("services show", answer.error());
  auto decisions =
      CallApi(args.api, "GET", "/api/v1/decisions?limit=10&service=" + QueryValue(args.name),
              kReadTimeoutSeconds);
  if (!decisions) return Report("services show", decisions.error());
  if (args.api.json) {
    json both = *answer;
    both["decisions"] = (*decisions)["decisions"];
    std::cout << both.dump(2) << "\n";
    return kExitOk;
  }
  auto status = api::ServiceStatusFromJson(*answer);
  if (!status.ok()) {
    return Report("services show", {kExitFailure, "unexpected answer: " + status.error().message});
  }
  std::cout << ServiceText(*status, *decisions, StdoutStyle());
  return kExitOk;
}

int RunScale(const ServiceArgs& args) {
  const json body = {{"replicas", args.replicas}, {"force", args.force}};
  auto answer = CallApi(args.api, "POST", ServicePath(args.name, "/scale"), kChangeTimeoutSeconds,
                        body.dump());
  if (!answer) return Report("scale", answer.error());
  if (args.api.json) {
    std::cout << answer->dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "scaled " << args.name << " from " << answer->value("previous", 0) << " to "
            << answer->value("replicas", 0)
            << " replicas; autoscaling of it is paused until `maiev resume " << args.name << "`\n";
  return kExitOk;
}

int RunPause(const ServiceArgs& args, bool paused) {
  const char* verb = paused ? "pause" : "resume";
  auto answer = CallApi(args.api, "POST", ServicePath(args.name, std::string("/") + verb),
                        kReadTimeoutSeconds);
  if (!answer) return Report(verb, answer.error());
  if (args.api.json) {
    std::cout << answer->dump(2) << "\n";
  } else {
    std::cout << (paused ? "paused" : "resumed") << " autoscaling of " << args.name << "\n";
  }
  return kExitOk;
}

// The text of FILE, or of standard input for "-"; a message naming it when it cannot be read.
Result<std::string, ApiFailure> ReadInput(const std::string& file) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Unexpected{ApiFailure{kExitBadInput, file + ": cannot read: " + std::strerror(errno)}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int RunConfigSet(const ServiceArgs& args) {
  auto text = ReadInput(args.file);
  if (!text) return Report("config set", text.error());
  // Checked here first, so that the errors name the file; the daemon checks it again.
  auto parsed = config::ParseScaleConfig(std::string_view(*text));
  if (!parsed.ok()) {
    const std::string where = args.file == "-" ? "standard input" : args.file;
    for (const auto& e : parsed.error()) {
      std::cerr << "maiev config set: " << where << ": " << e.ToString() << "\n";
    }
    return kExitBadInput;
  }
  auto answer =
      CallApi(args.api, "PUT", ServicePath(args.name, "/config"), kReadTimeoutSeconds, *text);
  if (!answer) return Report("config set", answer.error());
  if (args.api.json) {
    std::cout << answer->dump(2) << "\n";
  } else {
    std::cout << "set the scale config of " << args.name
              << " (it wins over the labels until `maiev config unset " << args.name << "`)\n";
  }
  return kExitOk;
}

int RunConfigUnset(const ServiceArgs& args) {
  auto answer = CallApi(args.api, "DELETE", ServicePath(args.name, "/config"), kReadTimeoutSeconds);
  if (!answer) return Report("config unset", answer.error());
  if (args.api.json) {
    std::cout << answer->dump(2) << "\n";
  } else {
    std::cout << "unset the API's scale config of " << args.name << "; it follows "
              << (answer->value("config_origin", "").empty()
                      ? std::string("no config now")
                      : "its " + answer->value("config_origin", std::string()))
              << "\n";
  }
  return kExitOk;
}

std::string DecisionsPath(const ServiceArgs& args) {
  std::string path = "/api/v1/decisions?limit=" + std::to_string(args.limit);
  if (!args.name.empty()) path += "&service=" + QueryValue(args.name);
  if (!args.since.empty()) path += "&since=" + QueryValue(args.since);
  if (!args.until.empty()) path += "&until=" + QueryValue(args.until);
  if (!args.direction.empty()) path += "&direction=" + QueryValue(args.direction);
  return path;
}

// Events as they come, each on one line (or its JSON with --json), until interrupted.
int Follow(const ServiceArgs& args, const std::string& command, const std::string& types,
           const std::function<bool(const SseEvent&)>& keep) {
  const std::string path = "/api/v1/events" + (types.empty() ? "" : "?types=" + QueryValue(types));
  auto ended = FollowEvents(args.api, path, /*reconnect=*/true, [&](const SseEvent& event) {
    if (!keep(event)) return true;
    if (args.api.json) {
      const json data = json::parse(event.data, nullptr, false);
      std::cout << json{{"id", event.id}, {"type", event.type}, {"data", data}}.dump() << "\n";
    } else {
      std::cout << (command == "events" ? EventLine(event)
                                        : DecisionLine(json::parse(event.data, nullptr, false)))
                << "\n";
    }
    std::cout.flush();
    return true;
  });
  if (!ended) return Report(command, ended.error());
  return kExitOk;
}

int RunDecisions(const ServiceArgs& args) {
  auto answer = CallApi(args.api, "GET", DecisionsPath(args), kReadTimeoutSeconds);
  if (!answer) return Report("decisions", answer.error());
  if (!args.follow) {
    std::cout << (args.api.json ? answer->dump(2) + "\n" : DecisionsText(*answer, StdoutStyle()));
    return kExitOk;
  }
  // The recent ones oldest first, then each new one as it is made.
  const json& list = (*answer)["decisions"];
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    std::cout << (args.api.json ? it->dump() : DecisionLine(*it)) << "\n";
  }
  std::cout.flush();
  return Follow(args, "decisions", "decision", [&args](const SseEvent& event) {
    if (args.name.empty()) return true;
    const json data = json::parse(event.data, nullptr, false);
    return data.is_object() && data.value("service", "") == args.name;
  });
}

int RunEvents(const ServiceArgs& args) {
  return Follow(args, "events", args.types, [](const SseEvent&) { return true; });
}

int RunTop(const ServiceArgs& args) {
  const RawKeyboard keyboard;
  const SystemClock clock;
  for (;;) {
    auto answer = CallApi(args.api, "GET", ListPath(args), kReadTimeoutSeconds);
    TableStyle style = StdoutStyle();
    std::string screen;
    if (!answer) {
      screen = "maiev top  " + args.api.url + "  (q quits)\n\n" + answer.error().message + "\n";
    } else if (auto services = Services(*answer)) {
      screen = TopText(*services, args.api.url, clock.Now(), style);
    } else {
      screen = services.error().message + "\n";
    }
    // Home, the screen, then clear what an older, longer screen left below it.
    std::cout << "\x1b[H\x1b[2J" << screen << std::flush;
    for (int waited = 0; waited < kTopRefreshMs; waited += 100) {
      const std::optional<char> key = keyboard.Next(100);
      if (key == 'q' || key == 'Q') {
        std::cout << "\n";
        return kExitOk;
      }
    }
  }
}

int RunRuleTest(const ServiceArgs& args, const std::string& expression) {
  const json body = {{"service", args.name}, {"expression", expression}};
  auto answer = CallApi(args.api, "POST", "/api/v1/rules/test", kReadTimeoutSeconds, body.dump());
  if (!answer) return Report("rules test", answer.error());
  if (args.api.json) {
    std::cout << answer->dump(2) << "\n";
    return kExitOk;
  }
  const bool value = answer->value("value", false);
  std::cout << expression << "  →  " << (value ? "true" : "false") << "\n"
            << "  ← " << answer->value("text", std::string()) << "\n"
            << "(against " << args.name << "'s metrics and rule states at "
            << HumanTime(answer->value("time", json())) << ")\n";
  return kExitOk;
}

// A Swarm service name: a letter or digit, then letters, digits, `_`, `.` or `-` (63 at most).
CLI::Validator ServiceNameValidator() {
  return {
      [](const std::string& text) -> std::string {
        const bool ok = !text.empty() && text.size() <= 63 &&
                        std::isalnum(static_cast<unsigned char>(text[0])) != 0 &&
                        std::all_of(text.begin(), text.end(), [](char c) {
                          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
                                 c == '.' || c == '-';
                        });
        if (ok) return "";
        return "'" + text +
               "' is not a service name (letters, digits, _ . -), as `maiev services` lists them";
      },
      "NAME"};
}

void AddName(CLI::App& command, ServiceArgs& args) {
  command.add_option("NAME", args.name, "The service's name (as `maiev services` lists it)")
      ->required()
      ->check(ServiceNameValidator());
}

}  // namespace

void RegisterRuleTestCommand(CLI::App& rules, int& exit_code) {
  auto args = std::make_shared<ServiceArgs>();
  auto expression = std::make_shared<std::string>();
  CLI::App* test = rules.add_subcommand(
      "test",
      "Evaluate an expression against a service's live metrics and rule states (asks the "
      "daemon)");
  AddApiOptions(*test, args->api);
  AddName(*test, *args);
  test->add_option("EXPR", *expression, "The expression, e.g. 'rmq:latency > 3'")->required();
  test->callback([args, expression, &exit_code] { exit_code = RunRuleTest(*args, *expression); });
}

void RegisterServiceCommands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServiceArgs>();

  CLI::App* services = app.add_subcommand("services", "List the swarm's services, or show one");
  AddApiOptions(*services, args->api);
  services->add_option("--state", args->state,
                       "Only services in this state: monitored, sized, paused, invalid, "
                       "unconfigured");
  services->add_option("--prefix", args->prefix, "Only services whose name starts so");
  services->require_subcommand(0, 1);
  CLI::App* show = services->add_subcommand(
      "show", "One service: config, rules with values and since, metrics, last decisions");
  AddApiOptions(*show, args->api);
  AddName(*show, *args);
  show->callback([args, &exit_code] { exit_code = RunShow(*args); });
  services->callback([services, args, &exit_code] {
    if (services->get_subcommands().empty()) exit_code = RunList(*args);
  });

  CLI::App* scale = app.add_subcommand(
      "scale", "Set a service's replicas (within min/max unless --force); pauses its autoscaling");
  AddApiOptions(*scale, args->api);
  AddTokenOption(*scale, args->api);
  AddName(*scale, *args);
  scale->add_option("N", args->replicas, "The replica count")
      ->required()
      ->check(CLI::NonNegativeNumber);
  scale->add_flag("--force", args->force, "Go beyond the service's min/max");
  scale->callback([args, &exit_code] { exit_code = RunScale(*args); });

  for (const bool paused : {true, false}) {
    CLI::App* command = app.add_subcommand(
        paused ? "pause" : "resume",
        paused ? "Stop autoscaling a service" : "Autoscale a paused service again");
    AddApiOptions(*command, args->api);
    AddTokenOption(*command, args->api);
    AddName(*command, *args);
    command->callback([args, paused, &exit_code] { exit_code = RunPause(*args, paused); });
  }

  CLI::App* config =
      app.add_subcommand("config", "Set or unset a service's scale config via the API");
  config->require_subcommand(1);
  CLI::App* set = config->add_subcommand(
      "set", "Give a service a scale config (JSON) that wins over its labels");
  AddApiOptions(*set, args->api);
  AddTokenOption(*set, args->api);
  AddName(*set, *args);
  set->add_option("FILE", args->file, "The scale config's JSON file, or - for standard input")
      ->required();
  set->callback([args, &exit_code] { exit_code = RunConfigSet(*args); });
  CLI::App* unset = config->add_subcommand("unset", "Return a service to its labels' config");
  AddApiOptions(*unset, args->api);
  AddTokenOption(*unset, args->api);
  AddName(*unset, *args);
  unset->callback([args, &exit_code] { exit_code = RunConfigUnset(*args); });

  CLI::App* decisions = app.add_subcommand("decisions", "Scaling decisions, newest first");
  AddApiOptions(*decisions, args->api);
  decisions->add_option("--service", args->name, "Only this service's")
      ->check(ServiceNameValidator());
  decisions->add_option("--since", args->since, "Only since: an RFC 3339 time or an age (1h, 30m)");
  decisions->add_option("--until", args->until, "Only until: an RFC 3339 time or an age");
  decisions->add_option("--direction", args->direction, "Only up, down or none")
      ->check(CLI::IsMember({"up", "down", "none"}));
  decisions->add_option("--limit", args->limit, "At most this many (1 to 1000)")
      ->check(CLI::Range(1, 1000));
  decisions->add_flag("--follow,-f", args->follow, "Then print each new decision as it is made");
  decisions->callback([args, &exit_code] { exit_code = RunDecisions(*args); });

  CLI::App* events = app.add_subcommand("events", "Follow the daemon's event stream");
  AddApiOptions(*events, args->api);
  events->add_option("--types", args->types,
                     "Only these types, comma-separated: decision, service, config_error, plan, "
                     "step, cycle");
  events->callback([args, &exit_code] { exit_code = RunEvents(*args); });

  CLI::App* top = app.add_subcommand("top", "A live view of the services, redrawn every second");
  top->add_option("--url", args->api.url, "Base URL of the daemon's API")->envname("MAIEV_URL");
  top->add_option("--state", args->state, "Only services in this state");
  top->add_option("--prefix", args->prefix, "Only services whose name starts so");
  top->callback([args, &exit_code] { exit_code = RunTop(*args); });
}

}  // namespace maiev::cli
