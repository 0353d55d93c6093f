#include "cli/upgrade_tables.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

namespace maiev::cli {
namespace {

using nlohmann::json;

constexpr const char* kNone = "-";

// The text of a string field; `-` when it is absent, null or empty.
std::string Text(const json& object, const char* key) {
  if (!object.is_object()) return kNone;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get<std::string>().empty()) return kNone;
  return it->get<std::string>();
}

bool Has(const json& object, const char* key) { return Text(object, key) != kNone; }

// The array at `key`; an empty one when it is absent or not an array.
const json& Array(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

std::string Join(const json& strings, const std::string& separator) {
  std::string out;
  for (const json& s : strings) {
    if (!s.is_string()) continue;
    if (!out.empty()) out += separator;
    out += s.get<std::string>();
  }
  return out;
}

// "no target: no_solution: no consistent phase" and the reasons under it.
void PrintFailure(const json& answer, std::ostringstream& out) {
  out << "no target (" << Text(answer, "outcome") << "): " << Text(answer, "message") << "\n";
  for (const json& reason : Array(answer, "reasons")) {
    if (reason.is_string()) out << "  " << reason.get<std::string>() << "\n";
  }
}

// "c 2.0.0 held back: …": the reasons say "held back" themselves.
std::string HeldBackLine(const std::string& service, const std::string& version,
                         const std::string& reason) {
  return service + " " + version + " " + reason;
}

std::string RunningToTarget(const json& service) {
  const std::string running = Text(service, "running");
  if (running == kNone) return kNone;
  const std::string target = Text(service, "target");
  if (target == kNone) return running + " (no target)";
  if (target == running) return running + " (at target)";
  return running + " → " + target;
}

std::string StepsDone(const json& plan) {
  const json& steps = Array(plan, "steps");
  const auto done = std::count_if(steps.begin(), steps.end(),
                                  [](const json& step) { return Text(step, "state") == "done"; });
  return std::to_string(done) + "/" + std::to_string(steps.size());
}

std::string FromTo(const json& step) {
  const std::string from = Text(step, "from");
  return (from == kNone ? "(new)" : from) + " → " + Text(step, "to");
}

}  // namespace

std::string HumanTime(const json& time) {
  if (!time.is_string()) return kNone;
  std::string text = time.get<std::string>();
  const auto dot = text.find('.');
  const auto zone = text.find('Z', dot == std::string::npos ? 0 : dot);
  if (dot != std::string::npos && zone != std::string::npos) text.erase(dot, zone - dot);
  return text;
}

std::string CatalogText(const json& catalog, const TableStyle& style) {
  std::ostringstream out;
  if (!catalog.is_object() || !catalog.contains("checked_at") || catalog["checked_at"].is_null()) {
    out << "no check yet: the upgrade controller has not read the swarm and its registries\n";
    return out.str();
  }
  out << "checked at " << HumanTime(catalog["checked_at"]) << "\n";
  if (Has(catalog, "error")) {
    out << "the swarm could not be listed: " << Text(catalog, "error") << "\n";
    return out.str();
  }
  if (Text(catalog, "outcome") != "ok") PrintFailure(catalog, out);
  if (!Array(catalog, "needs_approval").empty()) {
    out << "plans wait for approval (maiev.update=approve): "
        << Join(Array(catalog, "needs_approval"), ", ") << "\n";
  }
  const json& services = Array(catalog, "services");
  if (services.empty()) out << "no service runs an image maiev can upgrade\n";
  if (!services.empty()) {
    Table table({"SERVICE", "UPDATE", "RUNNING → TARGET", "IMAGE"});
    for (const json& service : services) {
      const std::string name = Text(service, "name");
      table.Row({name, Text(service, "update") + "/" + Text(service, "update_policy"),
                 RunningToTarget(service), Text(service, "image")});
      for (const json& version : Array(service, "versions")) {
        if (Text(version, "state") != "held_back") continue;
        table.Line("  " + HeldBackLine(name, Text(version, "version"), Text(version, "reason")));
      }
      if (Has(service, "note")) table.Line("  note: " + Text(service, "note"));
    }
    out << table.Render(style);
  }
  const json& unversioned = Array(catalog, "unversioned");
  if (!unversioned.empty()) {
    out << "not upgraded (no known version):\n";
    for (const json& u : unversioned) {
      out << "  " << Text(u, "service") << ": " << Text(u, "reason") << "\n";
    }
  }
  return out.str();
}

std::string PlansText(const json& plans, const TableStyle& style) {
  std::ostringstream out;
  const json& list = Array(plans, "plans");
  if (list.empty()) return "no upgrade plans\n";
  Table table({"ID", "STATE", "CREATED", "STEPS", "REASON"});
  for (const json& plan : list) {
    table.Row({plan.value("id", json()).dump(), Text(plan, "state"),
               HumanTime(plan.value("created", json())), StepsDone(plan), Text(plan, "reason")});
  }
  out << table.Render(style);
  return out.str();
}

std::string PlanText(const json& plan, const TableStyle& style) {
  std::ostringstream out;
  out << "plan " << plan.value("id", json()).dump() << ": " << Text(plan, "state") << " ("
      << StepsDone(plan) << " steps done)\n"
      << "created " << HumanTime(plan.value("created", json())) << ", updated "
      << HumanTime(plan.value("updated", json())) << "\n"
      << "reason: " << Text(plan, "reason") << "\n";
  Table table({"#", "SERVICE", "VERSION", "STATE", "STARTED", "IMAGE"});
  int number = 0;
  for (const json& step : Array(plan, "steps")) {
    table.Row({std::to_string(++number), Text(step, "service"), FromTo(step), Text(step, "state"),
               HumanTime(step.value("started", json())), Text(step, "image")});
    if (Has(step, "error")) table.Line("   error: " + Text(step, "error"));
  }
  out << table.Render(style);
  return out.str();
}

std::string ResolveText(const json& resolve) {
  std::ostringstream out;
  if (resolve.contains("checked_at")) {
    out << "checked at " << HumanTime(resolve["checked_at"]) << " (dry run: nothing is executed)\n";
  }
  if (Text(resolve, "outcome") != "ok") {
    PrintFailure(resolve, out);
  } else {
    std::vector<std::string> target;
    if (resolve.contains("target") && resolve["target"].is_object()) {
      for (const auto& [service, version] : resolve["target"].items()) {
        target.push_back(service + " " + (version.is_string() ? version.get<std::string>() : ""));
      }
    }
    out << "target: " << (target.empty() ? std::string(kNone) : Join(json(target), ", ")) << "\n";
    const json& steps = Array(resolve, "steps");
    if (steps.empty()) {
      out << "nothing to upgrade: every service runs its target\n";
    } else {
      out << "plan, " << steps.size() << (steps.size() == 1 ? " step" : " steps") << ":\n";
      int number = 0;
      for (const json& step : steps) {
        out << "  " << ++number << ". " << Text(step, "service") << " " << FromTo(step) << "  "
            << Text(step, "image") << "\n";
      }
    }
    if (!Array(resolve, "needs_approval").empty()) {
      out << "waits for approval (maiev.update=approve): "
          << Join(Array(resolve, "needs_approval"), ", ") << "\n";
    }
  }
  for (const json& held : Array(resolve, "held_back")) {
    out << HeldBackLine(Text(held, "service"), Text(held, "version"), Text(held, "reason")) << "\n";
  }
  if (resolve.contains("notes") && resolve["notes"].is_object()) {
    for (const auto& [service, note] : resolve["notes"].items()) {
      out << "note: " << service << ": " << (note.is_string() ? note.get<std::string>() : "")
          << "\n";
    }
  }
  return out.str();
}

}  // namespace maiev::cli
