#include "api/upgrade_views.hpp"

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "common/time_format.hpp"
#include "upgrade/policy.hpp"
#include "versions/version.hpp"

namespace maiev::api {
namespace {

using nlohmann::json;

json TextOrNull(const std::string& text) { return text.empty() ? json() : json(text); }

json TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? json(FormatUtcMillis(*t)) : json();
}

json StepToJson(const store::UpgradeStep& step) {
  return {{"index", step.index},
          {"service", step.service},
          {"from", TextOrNull(step.from_version)},
          {"to", step.to_version},
          {"image", step.image},
          {"from_image", TextOrNull(step.from_image)},
          {"state", store::ToString(step.state)},
          {"error", TextOrNull(step.error)},
          {"started", TimeOrNull(step.started)}};
}

json Strings(const std::vector<std::string>& lines) {
  json out = json::array();
  for (const std::string& line : lines) out.push_back(line);
  return out;
}

// Whether two version texts name the same version (`1.2` and `1.2.0` do); texts that do not parse
// are compared as written.
bool SameVersion(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto va = versions::Version::Parse(a);
  auto vb = versions::Version::Parse(b);
  return va && vb && *va == *vb;
}

json VersionToJson(const upgrade::ImageVersion& v) {
  json provide = json::object();
  for (const auto& [name, value] : v.dependencies.provide) provide[name] = value.ToJson();
  return {{"version", v.version.text()},
          {"tag", v.tag},
          {"digest", TextOrNull(v.digest)},
          {"provide", provide},
          {"require", Strings(v.dependencies.require)}};
}

// The running version first, then the newer ones; each with its state as the decision sees it.
json VersionsToJson(const upgrade::WatchedService& service,
                    const upgrade::UpgradeDecision& decision, const std::string& target) {
  std::vector<const upgrade::ImageVersion*> newer;
  for (const upgrade::ImageVersion& v : service.newer) newer.push_back(&v);
  std::sort(newer.begin(), newer.end(), [](const auto* a, const auto* b) {
    if (a->version != b->version) return a->version > b->version;
    return a->tag < b->tag;
  });
  json out = json::array();
  for (const upgrade::ImageVersion* v : newer) {
    json entry = VersionToJson(*v);
    entry["state"] = "candidate";
    entry["reason"] = nullptr;
    const auto held = std::find_if(
        decision.held_back.begin(), decision.held_back.end(), [&](const upgrade::HeldBack& h) {
          return h.service == service.name && SameVersion(h.version, v->version.text());
        });
    if (held != decision.held_back.end()) {
      entry["state"] = "held_back";
      entry["reason"] = held->reason;
    } else if (!target.empty() && SameVersion(target, v->version.text())) {
      entry["state"] = "target";
    }
    out.push_back(std::move(entry));
  }
  if (service.running) {
    json entry = VersionToJson(*service.running);
    entry["state"] = "running";
    entry["reason"] = nullptr;
    out.push_back(std::move(entry));
  }
  return out;
}

json ServiceToJson(const upgrade::WatchedService& service, const control::UpgradeCheck& check) {
  std::string target;
  if (auto it = check.decision.target.find(service.name); it != check.decision.target.end()) {
    target = it->second;
  }
  const auto note = check.gathered.notes.find(service.name);
  return {{"name", service.name},
          {"image", service.image.ToString()},
          {"update", upgrade::ToString(service.settings.mode)},
          {"update_policy", upgrade::ToString(service.settings.policy)},
          {"running", service.running ? json(service.running->version.text()) : json()},
          {"target", TextOrNull(target)},
          {"note", note != check.gathered.notes.end() ? json(note->second) : json()},
          {"versions", VersionsToJson(service, check.decision, target)}};
}

void Counter(std::ostringstream& out, const char* name, const char* help, std::uint64_t value) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
      << name << " " << value << "\n";
}

}  // namespace

json PlanToJson(const store::UpgradePlan& plan) {
  json steps = json::array();
  for (const store::UpgradeStep& step : plan.steps) steps.push_back(StepToJson(step));
  return {{"id", plan.id},
          {"state", store::ToString(plan.state)},
          {"created", FormatUtcMillis(plan.created)},
          {"updated", FormatUtcMillis(plan.updated)},
          {"reason", plan.reason},
          {"steps", steps}};
}

json DecisionToJson(const upgrade::UpgradeDecision& decision) {
  json target = json::object();
  for (const auto& [service, version] : decision.target) target[service] = version;
  json steps = json::array();
  for (const upgrade::PlannedStep& step : decision.steps) {
    steps.push_back({{"service", step.service},
                     {"from", TextOrNull(step.from)},
                     {"to", step.to},
                     {"image", step.image}});
  }
  json held_back = json::array();
  for (const upgrade::HeldBack& h : decision.held_back) {
    held_back.push_back({{"service", h.service}, {"version", h.version}, {"reason", h.reason}});
  }
  return {{"outcome", decision.outcome},
          {"message", TextOrNull(decision.message)},
          {"reasons", Strings(decision.reasons)},
          {"target", target},
          {"steps", steps},
          {"held_back", held_back},
          {"needs_approval", Strings(decision.needs_approval)}};
}

json ResolveToJson(const control::UpgradeCheck& check) {
  json out = DecisionToJson(check.decision);
  out["checked_at"] = FormatUtcMillis(check.at);
  json notes = json::object();
  for (const auto& [service, note] : check.gathered.notes) notes[service] = note;
  out["notes"] = notes;
  return out;
}

json CatalogToJson(const std::optional<control::UpgradeCheck>& check) {
  json out = {{"checked_at", nullptr},     {"error", nullptr},
              {"outcome", nullptr},        {"message", nullptr},
              {"reasons", json::array()},  {"needs_approval", json::array()},
              {"services", json::array()}, {"unversioned", json::array()}};
  if (!check) return out;
  out["checked_at"] = FormatUtcMillis(check->at);
  if (!check->error.empty()) {
    out["error"] = check->error;
    return out;
  }
  out["outcome"] = check->decision.outcome;
  out["message"] = TextOrNull(check->decision.message);
  out["reasons"] = Strings(check->decision.reasons);
  out["needs_approval"] = Strings(check->decision.needs_approval);
  for (const upgrade::WatchedService& service : check->gathered.services) {
    out["services"].push_back(ServiceToJson(service, *check));
  }
  for (const auto& [service, why] : check->catalog.unversioned) {
    out["unversioned"].push_back({{"service", service}, {"reason", why}});
  }
  // Services whose image reference could not be read are not watched: their note says why.
  for (const auto& note : check->gathered.notes) {
    const bool watched =
        std::any_of(check->gathered.services.begin(), check->gathered.services.end(),
                    [&](const upgrade::WatchedService& s) { return s.name == note.first; });
    if (!watched) out["unversioned"].push_back({{"service", note.first}, {"reason", note.second}});
  }
  return out;
}

std::string UpgradePrometheusText(const UpgradeMetrics& metrics) {
  std::ostringstream out;
  if (metrics.plans) {
    out << "# HELP maiev_upgrade_plans Stored upgrade plans by state.\n"
           "# TYPE maiev_upgrade_plans gauge\n";
    for (const store::RunState state :
         {store::RunState::kPending, store::RunState::kRunning, store::RunState::kDone,
          store::RunState::kFailed, store::RunState::kAborted}) {
      const auto it = metrics.plans->find(state);
      out << "maiev_upgrade_plans{state=\"" << store::ToString(state) << "\"} "
          << (it == metrics.plans->end() ? 0 : it->second) << "\n";
    }
  }
  if (metrics.counters) {
    const control::UpgradeCounters& c = *metrics.counters;
    Counter(out, "maiev_upgrade_plans_created_total", "Upgrade plans created.", c.plans_created);
    out << "# HELP maiev_upgrade_steps_total Upgrade steps by what became of them.\n"
           "# TYPE maiev_upgrade_steps_total counter\n"
        << "maiev_upgrade_steps_total{result=\"started\"} " << c.steps_started << "\n"
        << "maiev_upgrade_steps_total{result=\"done\"} " << c.steps_done << "\n"
        << "maiev_upgrade_steps_total{result=\"failed\"} " << c.steps_failed << "\n"
        << "maiev_upgrade_steps_total{result=\"aborted\"} " << c.steps_aborted << "\n";
    Counter(out, "maiev_upgrade_checks_total",
            "Upgrade checks (the swarm and its registries read, a target decided).", c.checks);
    Counter(out, "maiev_upgrade_check_failures_total",
            "Upgrade checks that could not list the swarm or read a registry.", c.check_failures);
    Counter(out, "maiev_registry_requests_total",
            "Registry API calls made by upgrade checks (tag lists, manifests, labels).",
            c.registry_requests);
  }
  out << "# HELP maiev_webhook_events_total Webhook events: accepted (a push hint), ignored (not "
         "a tagged manifest push), rejected (the whole delivery refused).\n"
         "# TYPE maiev_webhook_events_total counter\n";
  for (const auto& [source, counts] : {std::pair{"registry", metrics.registry_webhooks},
                                       std::pair{"dockerhub", metrics.dockerhub_webhooks}}) {
    for (const auto& [result, value] :
         {std::pair{"accepted", counts.accepted}, std::pair{"ignored", counts.ignored},
          std::pair{"rejected", counts.rejected}}) {
      out << "maiev_webhook_events_total{source=\"" << source << "\",result=\"" << result << "\"} "
          << value << "\n";
    }
  }
  return out.str();
}

}  // namespace maiev::api
