#include "cli/service_tables.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "cli/upgrade_tables.hpp"
#include "common/time_format.hpp"

namespace maiev::cli {
namespace {

using nlohmann::json;

constexpr const char* kNone = "-";
constexpr const char* kNoServices =
    "no services: the swarm has none, or the daemon has not listed it yet\n";
// How many decisions `maiev services show` prints under a service.
constexpr std::size_t kShownDecisions = 10;

Colour StateColour(const std::string& state) {
  if (state == control::kStateMonitored) return Colour::kGreen;
  if (state == control::kStatePaused) return Colour::kYellow;
  if (state == control::kStateInvalid) return Colour::kRed;
  if (state == control::kStateUnconfigured) return Colour::kDim;
  return Colour::kNone;
}

std::string Replicas(const control::ServiceStatus& s) {
  const std::string running = s.running_tasks ? std::to_string(*s.running_tasks) : kNone;
  return running + "/" + std::to_string(s.replicas);
}

std::string Bounds(const control::ServiceStatus& s) {
  if (s.state == control::kStateInvalid || s.state == control::kStateUnconfigured) return kNone;
  return std::to_string(s.min) + "–" + std::to_string(s.max);
}

// The first resource's metrics: the one the rules mostly read.
const monitor::QueueMetrics* FirstMetrics(const control::ServiceStatus& s) {
  for (const control::ResourceStatus& r : s.resources) {
    if (r.metrics) return &*r.metrics;
  }
  return nullptr;
}

std::string Rules(const control::ServiceStatus& s) {
  std::string out;
  for (const control::RuleStatus& r : s.rules) {
    if (!out.empty()) out += " ";
    out += r.name + "=" + (r.value ? "T" : "F");
  }
  return out.empty() ? kNone : out;
}

std::string Text(const json& object, const char* key) {
  if (!object.is_object()) return kNone;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return kNone;
  if (it->is_string()) return it->get<std::string>().empty() ? kNone : it->get<std::string>();
  return it->dump();
}

const json& Array(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

std::string Change(const json& decision) {
  return Text(decision, "old_replicas") + " → " + Text(decision, "new_replicas");
}

Colour DirectionColour(const json& decision) {
  const std::string direction = Text(decision, "direction");
  return direction == "up" ? Colour::kGreen : direction == "down" ? Colour::kYellow : Colour::kNone;
}

// "12s", "4m", "3h", "2d": how long a rule has held its value.
std::string Age(double seconds) {
  if (seconds < 120) return std::to_string(static_cast<long>(seconds)) + "s";
  if (seconds < 7200) return std::to_string(static_cast<long>(seconds / 60)) + "m";
  if (seconds < 172800) return std::to_string(static_cast<long>(seconds / 3600)) + "h";
  return std::to_string(static_cast<long>(seconds / 86400)) + "d";
}

Table ServicesTable(const std::vector<control::ServiceStatus>& services) {
  Table table(
      {"SERVICE", "STATE", "REPLICAS", "MIN–MAX", "WAITING", "LATENCY", "CONSUMERS", "RULES"});
  for (const control::ServiceStatus& s : services) {
    const monitor::QueueMetrics* m = FirstMetrics(s);
    table.Row({s.name, Cell(s.state, StateColour(s.state)), Replicas(s), Bounds(s),
               MetricText(m ? m->waiting : std::nullopt), MetricText(m ? m->latency : std::nullopt),
               MetricText(m ? m->consumers : std::nullopt), Rules(s)});
    if (!s.config_errors.empty()) table.Line("  error: " + s.config_errors.front());
    if (!s.last_reason.empty()) table.Line("  why: " + s.last_reason);
  }
  return table;
}

}  // namespace

std::string MetricText(const std::optional<double>& value) {
  if (!value) return kNone;
  if (std::isinf(*value)) return *value > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out << std::setprecision(3) << *value;
  return out.str();
}

std::string ServicesText(const std::vector<control::ServiceStatus>& services,
                         const TableStyle& style) {
  if (services.empty()) return kNoServices;
  return ServicesTable(services).Render(style);
}

std::string ServiceText(const control::ServiceStatus& s, const json& decisions,
                        const TableStyle& style) {
  std::ostringstream out;
  const auto line = [&](const char* label, const std::string& value) {
    out << std::left << std::setw(16) << label << value << "\n";
  };
  out << Paint(s.name, Colour::kBold, style.colour) << "\n";
  line("id", s.id);
  line("image", s.image.empty() ? kNone : s.image);
  line("mode", s.mode);
  line("state",
       Paint(s.state, StateColour(s.state), style.colour) +
           (s.paused && s.state == control::kStatePaused ? " (maiev resume to go on)" : ""));
  line("replicas", Replicas(s) + " running/desired");
  line("bounds", Bounds(s));
  line("config from", s.config_origin.empty() ? kNone : s.config_origin);
  line("evaluated at", s.evaluated_at ? FormatUtcSeconds(*s.evaluated_at) : kNone);
  line("last change", s.last_change ? FormatUtcSeconds(*s.last_change) : kNone);
  for (const std::string& e : s.config_errors) {
    out << Paint("config error: ", Colour::kRed, style.colour) << e << "\n";
  }
  if (!s.config.is_null()) out << "\nconfig:\n" << s.config.dump(2) << "\n";

  if (!s.rules.empty()) {
    out << "\nrules:\n";
    Table rules({"RULE", "VALUE", "SINCE", "FOR", "EXPRESSION"});
    for (const control::RuleStatus& r : s.rules) {
      const double held =
          s.evaluated_at ? std::max(0.0, SecondsBetween(r.since, *s.evaluated_at)) : 0.0;
      rules.Row({r.name, Cell(r.value ? "true" : "false", r.value ? Colour::kGreen : Colour::kNone),
                 FormatUtcSeconds(r.since), Age(held), r.expression});
    }
    out << rules.Render(style);
  }
  if (!s.scale_up_expression.empty() || !s.scale_down_expression.empty()) {
    out << "\ntriggers:\n";
    Table triggers({"TRIGGER", "VALUE", "EXPRESSION"});
    triggers.Row({"scale_up", s.scale_up ? "true" : "false", s.scale_up_expression});
    triggers.Row({"scale_down", s.scale_down ? "true" : "false", s.scale_down_expression});
    out << triggers.Render(style);
  }
  if (!s.resources.empty()) {
    out << "\nmetrics:\n";
    Table metrics(
        {"RESOURCE", "QUEUE", "WAITING", "LATENCY", "CONSUMERS", "CALL_RATE", "EXEC_RATE"});
    for (const control::ResourceStatus& r : s.resources) {
      const auto get = [&r](std::optional<double> monitor::QueueMetrics::*field) {
        return MetricText(r.metrics ? (*r.metrics).*field : std::nullopt);
      };
      metrics.Row({r.name, r.queue, get(&monitor::QueueMetrics::waiting),
                   get(&monitor::QueueMetrics::latency), get(&monitor::QueueMetrics::consumers),
                   get(&monitor::QueueMetrics::call_rate), get(&monitor::QueueMetrics::exec_rate)});
      if (!r.metrics) metrics.Line("  no fresh metrics in the latest cycle");
    }
    out << metrics.Render(style);
  }
  if (!s.last_reason.empty()) out << "\nwhy: " << s.last_reason << "\n";

  const json& list = Array(decisions, "decisions");
  out << "\ndecisions:\n";
  if (list.empty()) {
    out << "  none recorded\n";
  } else {
    Table table({"TIME", "CHANGE", "REASON"});
    std::size_t shown = 0;
    for (const json& d : list) {
      if (shown++ == kShownDecisions) break;
      table.Row({HumanTime(d.value("time", json())), Cell(Change(d), DirectionColour(d)),
                 Text(d, "reason")});
    }
    out << table.Render(style);
  }
  return out.str();
}

std::string DecisionsText(const json& decisions, const TableStyle& style) {
  const json& list = Array(decisions, "decisions");
  if (list.empty()) return "no decisions\n";
  Table table({"ID", "TIME", "SERVICE", "CHANGE", "REASON"});
  for (const json& d : list) {
    table.Row({Text(d, "id"), HumanTime(d.value("time", json())), Text(d, "service"),
               Cell(Change(d), DirectionColour(d)), Text(d, "reason")});
  }
  return table.Render(style);
}

std::string DecisionLine(const json& d) {
  return HumanTime(d.value("time", json())) + "  " + Text(d, "service") + "  " + Change(d) + "  " +
         Text(d, "reason");
}

// What an event of a known type says, or nullopt for a type this CLI does not know.
std::optional<std::string> EventText(const std::string& type, const json& data) {
  if (type == "decision") return DecisionLine(data);
  if (type == "service") return Text(data, "service") + " " + Text(data, "change");
  if (type == "config_error") {
    std::string errors;
    for (const json& e : Array(data, "errors")) {
      errors += (errors.empty() ? "" : "; ") + (e.is_string() ? e.get<std::string>() : e.dump());
    }
    return Text(data, "service") + ": " + errors;
  }
  if (type == "plan") {
    return "plan " + Text(data, "id") + " " + Text(data, "state") + ": " + Text(data, "reason");
  }
  if (type == "step") {
    std::string what = "plan " + Text(data, "plan") + " step " + Text(data, "index") + " " +
                       Text(data, "service") + " " + Text(data, "from") + " → " + Text(data, "to") +
                       " " + Text(data, "state");
    if (Text(data, "error") != kNone) what += ": " + Text(data, "error");
    return what;
  }
  if (type == "cycle") {
    return HumanTime(data.value("time", json())) + "  " + Text(data, "services") + " services, " +
           Text(data, "decisions") + " decisions, " + Text(data, "duration_ms") + " ms";
  }
  return std::nullopt;
}

std::string EventLine(const SseEvent& event) {
  const json data = json::parse(event.data, nullptr, false);
  std::optional<std::string> what;
  if (!data.is_discarded() && data.is_object()) what = EventText(event.type, data);
  return "#" + (event.id.empty() ? std::string(kNone) : event.id) + " " + event.type + " " +
         what.value_or(event.data);
}

std::string TopText(const std::vector<control::ServiceStatus>& services, const std::string& url,
                    TimePoint now, const TableStyle& style) {
  std::size_t moving = 0;
  for (const control::ServiceStatus& s : services) {
    if (s.running_tasks && *s.running_tasks != s.replicas) ++moving;
  }
  std::string title = "maiev top  " + url + "  " + FormatUtcSeconds(now) + "  " +
                      std::to_string(services.size()) + " services, " + std::to_string(moving) +
                      " converging  (q quits)";
  if (style.width != 0) title = Truncate(title, style.width);
  return Paint(title, Colour::kBold, style.colour) + "\n\n" +
         (services.empty() ? kNoServices : ServicesTable(services).Render(style));
}

}  // namespace maiev::cli
