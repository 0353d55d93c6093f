// `maiev completion bash|zsh` prints a completion script; the script asks the hidden
// `maiev __complete WORD…` for the candidates after the words typed so far, which walks this
// very command tree (so the script never lags behind the commands) and, where a service name or
// a plan id goes, asks the running daemon (`--url` among the words, else MAIEV_URL).
#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/api_client.hpp"
#include "cli/commands.hpp"

namespace maiev::cli {
namespace {

// A completion must not hang the shell when the daemon is slow or away.
constexpr std::time_t kCompletionTimeoutSeconds = 2;
// What the scripts read as "complete a file name here".
constexpr const char* kFiles = "__files__";

constexpr const char* kBashScript =
    R"(# bash completion for maiev; load it with: source <(maiev completion bash)
_maiev() {
  local cur="${COMP_WORDS[COMP_CWORD]}" IFS=$'\n' candidates
  candidates=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)
  if [[ "$candidates" == "__files__" ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  fi
}
complete -F _maiev maiev
)";

constexpr const char* kZshScript = R"(#compdef maiev
# zsh completion for maiev; load it with: source <(maiev completion zsh) (after compinit)
_maiev() {
  local -a candidates
  candidates=("${(@f)$(${words[1]} __complete ${words[2,CURRENT-1]} 2>/dev/null)}")
  if [[ "${candidates[1]}" == "__files__" ]]; then
    _files
  else
    compadd -- ${candidates[@]}
  fi
}
compdef _maiev maiev
)";

// The commands whose first argument is a service's name, and those whose first is a plan id.
const std::set<std::string>& ServiceCommands() {
  static const std::set<std::string> kCommands = {
      "services show", "scale", "pause", "resume", "config set", "config unset", "rules test"};
  return kCommands;
}
const std::set<std::string>& PlanCommands() {
  static const std::set<std::string> kCommands = {"plans show", "plans approve", "plans abort"};
  return kCommands;
}

// Option values that come from a fixed set.
std::vector<std::string> OptionValues(const std::string& option) {
  if (option == "--state") return {"monitored", "sized", "paused", "invalid", "unconfigured"};
  if (option == "--direction") return {"up", "down", "none"};
  if (option == "--types") return {"decision", "service", "config_error", "plan", "step", "cycle"};
  return {};
}

std::vector<std::string> ServiceNames(const ApiArgs& api) {
  std::vector<std::string> names;
  auto answer = CallApi(api, "GET", "/api/v1/services", kCompletionTimeoutSeconds);
  if (!answer) return names;
  for (const auto& s : answer->value("services", nlohmann::json::array())) {
    if (s.contains("name") && s["name"].is_string()) names.push_back(s["name"]);
  }
  return names;
}

std::vector<std::string> PlanIds(const ApiArgs& api) {
  std::vector<std::string> ids;
  auto answer = CallApi(api, "GET", "/api/v1/plans?limit=50", kCompletionTimeoutSeconds);
  if (!answer) return ids;
  for (const auto& p : answer->value("plans", nlohmann::json::array())) {
    if (p.contains("id") && p["id"].is_number_integer()) ids.push_back(p["id"].dump());
  }
  return ids;
}

// The visible subcommand of `app` named `name`, or null.
CLI::App* Subcommand(CLI::App& app, const std::string& name) {
  auto found = app.get_subcommands(
      [&name](CLI::App* sub) { return sub->get_name() == name && !sub->get_group().empty(); });
  return found.empty() ? nullptr : found.front();
}

// The candidates for the word after `words` (the words typed after `maiev`).
std::vector<std::string> Candidates(CLI::App& root, const std::vector<std::string>& words) {
  ApiArgs api;
  if (const char* url = std::getenv("MAIEV_URL"); url != nullptr && url[0] != '\0') api.url = url;
  CLI::App* at = &root;
  std::string path;  // "config set"
  int positionals = 0;
  std::string pending_option;  // an option whose value is the next word
  for (const std::string& word : words) {
    if (!pending_option.empty()) {
      if (pending_option == "--url") api.url = word;
      pending_option.clear();
      continue;
    }
    if (word.size() > 1 && word[0] == '-') {
      const std::string name = word.substr(0, word.find('='));
      const CLI::Option* option = at->get_option_no_throw(name);
      if (option != nullptr && option->get_type_size_max() > 0 && name.size() == word.size()) {
        pending_option = option->get_lnames().empty() ? name : "--" + option->get_lnames()[0];
      }
      if (name == "--url" && name.size() < word.size()) api.url = word.substr(name.size() + 1);
      continue;
    }
    CLI::App* sub = positionals == 0 ? Subcommand(*at, word) : nullptr;
    if (sub != nullptr) {
      at = sub;
      path += (path.empty() ? "" : " ") + word;
      continue;
    }
    ++positionals;
  }
  if (!pending_option.empty()) {
    if (pending_option == "--service") return ServiceNames(api);
    return OptionValues(pending_option);
  }
  std::vector<std::string> out;
  if (positionals == 0 && ServiceCommands().count(path) != 0) out = ServiceNames(api);
  if (positionals == 0 && PlanCommands().count(path) != 0) out = PlanIds(api);
  if (positionals == 1 && path == "config set") return {kFiles};
  if (positionals == 0) {
    for (const CLI::App* sub : at->get_subcommands({})) {
      if (!sub->get_group().empty()) out.push_back(sub->get_name());
    }
  }
  for (const CLI::Option* option : at->get_options()) {
    for (const std::string& name : option->get_lnames()) out.push_back("--" + name);
  }
  return out;
}

}  // namespace

void RegisterCompletionCommand(CLI::App& app, int& exit_code) {
  auto shell = std::make_shared<std::string>();
  CLI::App* completion = app.add_subcommand(
      "completion", "Print a shell completion script: source <(maiev completion bash)");
  completion->add_option("SHELL", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  completion->callback([shell, &exit_code] {
    std::cout << (*shell == "bash" ? kBashScript : kZshScript);
    exit_code = kExitOk;
  });

  // The scripts' helper, hidden from --help (an empty group): every word after it is a word
  // the user typed, options included.
  CLI::App* complete = app.add_subcommand("__complete", "Completion candidates")->group("");
  complete->prefix_command();
  complete->callback([&app, complete, &exit_code] {
    for (const std::string& candidate : Candidates(app, complete->remaining())) {
      std::cout << candidate << "\n";
    }
    exit_code = kExitOk;
  });
}

}  // namespace maiev::cli
