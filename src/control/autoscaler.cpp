#include "control/autoscaler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "monitor/metrics.hpp"

namespace maiev::control {
namespace {

using orchestrator::ServiceInfo;
using orchestrator::ServiceMode;

rules::RuleHistory FromStored(const store::RuleHistory& stored) {
  rules::RuleHistory history;
  for (const auto& [name, state] : stored) history[name] = {state.value, state.since};
  return history;
}

scaling::Policy ToPolicy(const config::ScaleConfig& config) {
  scaling::Policy policy;
  policy.min = config.min;
  policy.max = config.max;
  policy.reapply_interval = Duration{config.policy.reapply_interval};
  policy.cooldown_up = Duration{config.policy.cooldown_up};
  policy.cooldown_down = Duration{config.policy.cooldown_down};
  policy.max_step = config.policy.max_step;
  policy.on_missing_metrics =
      config.policy.on_missing_metrics == config::MissingMetricsAction::kScaleUp
          ? scaling::OnMissingMetrics::kScaleUp
          : scaling::OnMissingMetrics::kHold;
  if (config.policy.proportional)
    policy.target_latency = config.policy.proportional->target_latency;
  return policy;
}

constexpr const char* kConfigOriginApi = "api";

std::string ModeName(ServiceMode mode) { return std::string(orchestrator::ToString(mode)); }

// A resource without fresh metrics, and how old its newest sample is (`queue` null: unknown).
scaling::MissingMetrics MissingOf(const std::string& resource, const monitor::QueueMetrics* queue,
                                  TimePoint now) {
  scaling::MissingMetrics missing{resource, std::nullopt};
  if (queue != nullptr && queue->newest_sample_at) {
    missing.stale_seconds = std::max(0.0, SecondsBetween(*queue->newest_sample_at, now));
  }
  return missing;
}

}  // namespace

std::vector<std::string> Autoscaler::ResourceNames(const Entry& entry) {
  std::vector<std::string> names;
  if (!entry.config || !entry.config->scale) return names;
  for (const auto& resource : entry.config->scale->resources()) names.push_back(resource.name);
  return names;
}

Autoscaler::Autoscaler(orchestrator::Orchestrator& orchestrator,
                       monitor::QueueMetricsSource& metrics, store::Store& store,
                       const Clock& clock, EventSink* events)
    : orchestrator_(orchestrator),
      metrics_(metrics),
      store_(store),
      clock_(clock),
      events_(events),
      decisions_(store) {}

void Autoscaler::Publish(std::vector<Event> events) {
  if (events_ == nullptr) return;
  for (Event& event : events) events_->Publish(std::move(event));
}

void Autoscaler::ChangeEvents(const Entry* from, const Entry& to, std::vector<Event>& out) {
  const std::string& name = to.info.name;
  if (from == nullptr) {
    out.emplace_back(ServiceEvent{name, ServiceChange::kAdded});
  } else if (from->config_origin != to.config_origin || from->config_errors != to.config_errors ||
             from->config.has_value() != to.config.has_value() ||
             (from->config && from->config->ToJson() != to.config->ToJson())) {
    out.emplace_back(ServiceEvent{name, ServiceChange::kConfigChanged});
  } else {
    return;
  }
  if (!to.config_errors.empty()) out.emplace_back(ConfigErrorEvent{name, to.config_errors});
}

Autoscaler::Entry Autoscaler::Load(const ServiceInfo& info) {
  Entry entry;
  entry.info = info;
  if (auto stored = store_.FindService(info.name); stored.ok() && stored->has_value()) {
    entry.paused = (*stored)->paused;
    entry.config_override = (*stored)->config_override_json;
  }
  std::optional<orchestrator::ScaleConfigSource> source;
  if (!entry.config_override.empty()) {
    source = orchestrator::ScaleConfigSource{entry.config_override, {}, {}};
    entry.config_origin = kConfigOriginApi;
  } else if (auto read = orchestrator_.ReadScaleConfigSource(info); !read.ok()) {
    entry.config_errors.push_back("cannot read scale config: " + read.error().message);
  } else if (read->has_value()) {
    source = **read;
    entry.config_origin = std::string(orchestrator::ToString(source->origin));
  }
  if (source) {
    auto parsed = config::ParseScaleConfig(source->json);
    if (parsed.ok()) {
      entry.config = std::move(parsed).value();
    } else {
      for (const auto& e : parsed.error()) entry.config_errors.push_back(e.ToString());
      spdlog::warn("service {}: invalid scale config ({}), left alone: {}", info.name,
                   entry.config_origin, entry.config_errors.front());
    }
  }

  if (entry.config && entry.config->scale) {
    entry.slots.assign(entry.config->scale->ruleset.slot_count(), rules::Value{});
    entry.rule_states.assign(entry.config->scale->ruleset.rules().size(), std::nullopt);
    entry.latest.metrics.assign(entry.config->scale->resources().size(), std::nullopt);
  }
  if (auto history = store_.LoadRuleHistory(info.name); history.ok()) {
    SetHistory(entry, FromStored(*history));
  }
  if (auto recent = store_.RecentDecisions(1, info.name); recent.ok() && !recent->empty()) {
    entry.last_change = recent->front().time;
  }

  store::ServiceRecord record;
  record.name = info.name;
  record.id = info.id;
  record.scale_config_json = entry.config ? entry.config->ToJson().dump() : "";
  record.monitored = entry.config.has_value() && entry.config->scale.has_value();
  record.paused = entry.paused;
  record.config_override_json = entry.config_override;
  record.last_replicas = static_cast<int>(info.replicas);
  record.updated = clock_.Now();
  if (auto st = store_.UpsertService(record); !st.ok()) {
    spdlog::error("service {}: cannot store: {}", info.name, st.error().message);
  }
  return entry;
}

Status Autoscaler::Discover() {
  auto listed = orchestrator_.ListServices();
  if (!listed.ok()) return Unexpected{listed.error()};
  std::map<std::string, Entry> fresh;
  for (const auto& info : *listed) fresh.emplace(info.id, Load(info));

  std::vector<Event> events;
  {
    const ChangeLock lock(*this);
    for (auto& [id, entry] : fresh) {
      auto it = services_.find(id);
      ChangeEvents(it == services_.end() ? nullptr : &it->second, entry, events);
      // Keep what this process learnt since the store was read (history, last change).
      if (it != services_.end()) CarryOver(it->second, entry);
    }
    for (const auto& [id, entry] : services_) {
      if (!fresh.contains(id))
        events.emplace_back(ServiceEvent{entry.info.name, ServiceChange::kRemoved});
    }
    services_ = std::move(fresh);
    Track();
    spdlog::info("discovered {} services", services_.size());
  }
  Publish(std::move(events));
  return {};
}

Status Autoscaler::Refresh(const std::string& id_or_name) {
  auto info = orchestrator_.InspectService(id_or_name);
  if (!info.ok()) {
    if (info.error().code == "not_found") Remove(id_or_name);
    return Unexpected{info.error()};
  }
  {
    // An update that changed neither image nor labels (e.g. our own scaling) keeps the config.
    const ChangeLock lock(*this);
    auto it = services_.find(info->id);
    if (it != services_.end() && it->second.info.image == info->image &&
        it->second.info.labels == info->labels) {
      it->second.info = *info;
      return {};
    }
  }
  Entry entry = Load(*info);
  std::vector<Event> events;
  {
    const ChangeLock lock(*this);
    auto it = services_.find(info->id);
    ChangeEvents(it == services_.end() ? nullptr : &it->second, entry, events);
    if (it != services_.end()) CarryOver(it->second, entry);
    spdlog::info("service {}: {}", info->name,
                 entry.config
                     ? (entry.config->scale ? "monitored" : "sized by min/max")
                     : (entry.config_errors.empty() ? "no scale config" : "invalid config"));
    services_[info->id] = std::move(entry);
    Track();
  }
  Publish(std::move(events));
  return {};
}

void Autoscaler::Remove(const std::string& id_or_name) {
  std::vector<Event> events;
  {
    const ChangeLock lock(*this);
    for (auto it = services_.begin(); it != services_.end(); ++it) {
      if (it->first == id_or_name || it->second.info.name == id_or_name) {
        spdlog::info("service {}: removed", it->second.info.name);
        if (auto st = store_.DeleteService(it->second.info.name); !st.ok()) {
          spdlog::error("service {}: cannot delete from store: {}", it->second.info.name,
                        st.error().message);
        }
        events.emplace_back(ServiceEvent{it->second.info.name, ServiceChange::kRemoved});
        services_.erase(it);
        break;
      }
    }
    Track();
  }
  Publish(std::move(events));
}

Status Autoscaler::RefreshTaskCounts() {
  auto counts = orchestrator_.RunningTaskCounts();
  if (!counts.ok()) return Unexpected{counts.error()};
  const ChangeLock lock(*this);
  for (auto& [id, entry] : services_) {
    auto it = counts->find(id);
    entry.info.running_tasks = it == counts->end() ? 0 : it->second;
  }
  return {};
}

void Autoscaler::Track() {
  std::set<std::string> queues;
  for (const auto& [id, entry] : services_) {
    if (!entry.config || !entry.config->scale) continue;
    for (const auto& resource : entry.config->scale->resources())
      queues.insert(resource.identifier);
  }
  metrics_.Track(std::move(queues));
}

rules::RuleHistory Autoscaler::HistoryOf(const Entry& entry) {
  rules::RuleHistory history;
  if (!entry.config || !entry.config->scale) return history;
  const auto& decls = entry.config->scale->ruleset.rules();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (entry.rule_states[i]) history[decls[i].name] = *entry.rule_states[i];
  }
  return history;
}

void Autoscaler::SetHistory(Entry& entry, const rules::RuleHistory& history) {
  if (!entry.config || !entry.config->scale) return;
  const auto& decls = entry.config->scale->ruleset.rules();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    auto it = history.find(decls[i].name);
    if (it != history.end()) entry.rule_states[i] = it->second;
  }
}

void Autoscaler::CarryOver(Entry& from, Entry& to) {
  const rules::RuleHistory history = HistoryOf(from);
  if (!history.empty()) SetHistory(to, history);
  to.last_change = from.last_change;
  to.unsaved_history = std::move(from.unsaved_history);
  // Samples of other resources still say how the replicas moved; their metrics are read by
  // the resources' positions, so only a config with the same resources keeps them.
  to.history = std::move(from.history);
  if (ResourceNames(from) != ResourceNames(to)) {
    to.history.ForgetResources();
  }
  // The latest metrics only fit the same resources; the next cycle refreshes them anyway.
  if (from.latest.metrics.size() != to.latest.metrics.size()) return;
  // Explained with the config it was decided by, which `to` may no longer have: the text is
  // kept; the rules' part of the data is dropped until the next cycle.
  if (from.latest.decision) LatestText(from);
  to.latest = std::move(from.latest);
  to.latest.states.clear();
  to.latest.rules_evaluated = false;
}

DecisionExplanation Autoscaler::ExplainLatest(const Entry& entry) {
  const Entry::Latest& latest = entry.latest;
  std::optional<rules::Explanation> why_rules;
  if (latest.rules_evaluated && entry.config && entry.config->scale && latest.at) {
    why_rules = entry.config->scale->ruleset.Explain(entry.slots, latest.states, *latest.at);
  }
  DecisionExplanation explained =
      ExplainDecision(*latest.decision, why_rules ? &*why_rules : nullptr);
  if (latest.failure) {
    explained.text = "failed to scale (" + *latest.failure + "): " + explained.text;
    explained.json["error"] = *latest.failure;
  }
  if (latest.text) explained.text = *latest.text;
  explained.json["text"] = explained.text;
  latest.text = explained.text;
  return explained;
}

const std::string& Autoscaler::LatestText(const Entry& entry) {
  if (!entry.latest.text) ExplainLatest(entry);
  return *entry.latest.text;
}

std::vector<RuleStatus> Autoscaler::RulesOf(const Entry& entry) {
  std::vector<RuleStatus> out;
  if (!entry.config || !entry.config->scale) return out;
  const auto& decls = entry.config->scale->ruleset.rules();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (!entry.rule_states[i]) continue;
    out.push_back({decls[i].name, decls[i].expression, entry.rule_states[i]->value,
                   entry.rule_states[i]->since});
  }
  return out;
}

std::vector<ResourceStatus> Autoscaler::ResourcesOf(const Entry& entry) {
  std::vector<ResourceStatus> out;
  if (!entry.config || !entry.config->scale) return out;
  const auto& resources = entry.config->scale->resources();
  for (std::size_t r = 0; r < resources.size(); ++r) {
    ResourceStatus resource{resources[r].name, resources[r].identifier, std::nullopt};
    if (entry.latest.at && r < entry.latest.metrics.size()) {
      resource.metrics = entry.latest.metrics[r];
    }
    out.push_back(std::move(resource));
  }
  return out;
}

void Autoscaler::RecordSample(Entry& entry, TimePoint now) {
  HistorySample sample;
  sample.time = now;
  sample.replicas = entry.info.replicas;
  sample.running_tasks = entry.info.running_tasks;
  sample.scale_up = entry.latest.scale_up;
  sample.scale_down = entry.latest.scale_down;
  sample.resources.reserve(entry.latest.metrics.size());
  for (const auto& metrics : entry.latest.metrics) {
    if (!metrics) {
      sample.resources.emplace_back();
      continue;
    }
    sample.resources.emplace_back(ResourceSample{metrics->waiting, metrics->latency,
                                                 metrics->consumers, metrics->call_rate,
                                                 metrics->exec_rate});
  }
  entry.history.Push(sample, sample_times_);
}

void Autoscaler::EvaluateRules(Entry& entry, TimePoint now, scaling::DecisionInput& input) {
  const rules::RuleSet& ruleset = entry.config->scale->ruleset;
  // A rule never evaluated nor stored is false since now (as rules::RuleSet::Evaluate does).
  std::vector<rules::RuleState> states(entry.rule_states.size());
  for (std::size_t i = 0; i < states.size(); ++i) {
    states[i] = entry.rule_states[i].value_or(rules::RuleState{false, now});
  }
  // Kept to explain this pass if asked (RuleSet::Explain takes the states on entry).
  entry.latest.states.assign(states.begin(), states.end());
  entry.latest.rules_evaluated = true;
  const rules::RuleSet::Triggers triggers = ruleset.EvaluateSlots(entry.slots, states, now);
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (entry.rule_states[i] == states[i]) continue;
    entry.unsaved_history[ruleset.rules()[i].name] = {states[i].value, states[i].since};
    entry.rule_states[i] = states[i];
  }
  input.scale_up = triggers.scale_up;
  input.scale_down = triggers.scale_down;
}

std::optional<Autoscaler::PendingChange> Autoscaler::Evaluate(
    Entry& entry, const std::map<std::string, monitor::QueueMetrics>& queues, TimePoint now) {
  const config::ScaleConfig& config = *entry.config;
  scaling::DecisionInput input;
  input.mode = entry.info.mode == ServiceMode::kReplicated ? scaling::ServiceMode::kReplicated
                                                           : scaling::ServiceMode::kGlobal;
  input.current = static_cast<int>(entry.info.replicas);
  input.last_change = entry.last_change;
  input.now = now;
  input.paused = entry.paused;

  entry.latest.rules_evaluated = false;
  entry.latest.states.clear();
  if (config.scale) {
    const rules::RuleSet& ruleset = config.scale->ruleset;
    entry.latest.at = now;
    for (std::size_t r = 0; r < config.scale->resources().size(); ++r) {
      const auto& resource = config.scale->resources()[r];
      auto it = queues.find(resource.identifier);
      if (it == queues.end() || !it->second.HasAnyMetric()) {
        input.missing_metrics.push_back(
            MissingOf(resource.name, it == queues.end() ? nullptr : &it->second, now));
        entry.latest.metrics[r].reset();
        continue;
      }
      entry.latest.metrics[r] = it->second;
      entry.slots[ruleset.PresenceSlot(r)] = rules::Value::Bool(true);
      for (std::size_t m = 0; m < rules::kMetricNames.size(); ++m) {
        entry.slots[ruleset.MetricSlot(r, m)] = monitor::MetricValue(it->second, m);
      }
      if (config.policy.proportional && config.policy.proportional->resource == resource.name) {
        input.latency = it->second.latency;
      }
    }
    // Rules over missing data are not evaluated: their history (and so `since`) stays as it
    // was, so a broker outage or maiev's own start-up does not reset how long a rule has held.
    if (input.missing_metrics.empty()) EvaluateRules(entry, now, input);
  }

  scaling::Decision decision = scaling::Decide(ToPolicy(config), input);
  entry.latest.scale_up = input.scale_up;
  entry.latest.scale_down = input.scale_down;
  entry.latest.text.reset();
  entry.latest.failure.reset();
  const bool changed = decision.changed;
  const int to = decision.replicas;
  entry.latest.decision = std::move(decision);
  if (!changed) return std::nullopt;
  return PendingChange{entry.info.id,        entry.info.name, input.current,      to,
                       ExplainLatest(entry), RulesOf(entry),  ResourcesOf(entry), now};
}

void Autoscaler::SaveRuleHistories() {
  // One transaction for the whole cycle: when every service's rule flips at once (a load that
  // ends everywhere), 10,000 commits would take the best part of a second. Changes the store
  // could not take stay in `unsaved_history` and go with the next ones, so the stored `since`
  // of a rule catches up once the store is writable again.
  store::RuleHistories batch;
  for (const auto& [id, entry] : services_) {
    if (!entry.unsaved_history.empty()) batch.emplace(entry.info.name, entry.unsaved_history);
  }
  if (batch.empty()) return;
  if (auto st = store_.SaveRuleHistories(batch); !st.ok()) {
    if (!history_unsaved_) {  // once per outage, not once per cycle
      spdlog::error(
          "cannot store the rule history of {} service(s) (kept in memory, retried "
          "each cycle): {}",
          batch.size(), st.error().message);
    }
    history_unsaved_ = true;
    return;
  }
  if (history_unsaved_) spdlog::info("rule history stored again ({} service(s))", batch.size());
  history_unsaved_ = false;
  for (auto& [id, entry] : services_) entry.unsaved_history.clear();
}

Autoscaler::CycleStats Autoscaler::cycle_stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Autoscaler::RunCycle() {
  // A performance figure, not a time the logic reads: the steady clock, not the injected one.
  const auto started = std::chrono::steady_clock::now();
  const TimePoint now = clock_.Now();
  const auto queues = metrics_.Snapshot(now);
  decisions_.Flush();  // those the store could not take before, ahead of this cycle's
  std::vector<PendingChange> changes;
  std::size_t evaluated = 0;
  {
    const ChangeLock lock(*this);
    for (auto& [id, entry] : services_) {
      if (!entry.config) continue;
      ++evaluated;
      if (auto change = Evaluate(entry, queues, now)) changes.push_back(std::move(*change));
      RecordSample(entry, now);
    }
    SaveRuleHistories();
  }
  // Checked before each change: a leader that could not renew stops at once.
  std::size_t applied = 0;
  for (const auto& change : changes) {
    if (!MayAct()) break;
    Apply(change, now);
    ++applied;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  {
    const ChangeLock lock(*this);
    ++stats_.cycles;
    stats_.seconds += seconds;
    for (std::size_t i = 0; i < CycleStats::kBuckets.size(); ++i) {
      if (seconds <= CycleStats::kBuckets[i]) ++stats_.in_bucket[i];
    }
  }
  Publish({CycleEvent{now, seconds * 1000.0, evaluated, applied}});
}

void Autoscaler::Apply(const PendingChange& change, TimePoint now) {
  Status status = orchestrator_.SetReplicas(change.id, static_cast<std::uint64_t>(change.to));
  DecisionExplanation explained = change.explained;
  if (!status.ok()) {
    explained.text = "failed to scale (" + status.error().message + "): " + change.explained.text;
    explained.json["text"] = explained.text;
    explained.json["error"] = status.error().message;
    spdlog::warn("service {}: {}", change.name, explained.text);
  } else {
    // A change's explanation starts with "from → to".
    spdlog::info("service {}: replicas {}", change.name, explained.text);
  }
  {
    const ChangeLock lock(*this);
    if (auto it = services_.find(change.id); it != services_.end()) {
      if (!status.ok()) {
        it->second.latest.failure = status.error().message;
        it->second.latest.text = explained.text;
      }
      if (status.ok()) {
        it->second.info.replicas = static_cast<std::uint64_t>(change.to);
        it->second.last_change = now;
      }
    }
    if (!status.ok()) {
      ++stats_.failed;
    } else if (change.to > change.from) {
      ++stats_.scaled_up;
    } else {
      ++stats_.scaled_down;
    }
  }
  store::DecisionRecord record;
  record.time = now;
  record.service = change.name;
  record.old_replicas = change.from;
  record.new_replicas = status.ok() ? change.to : change.from;
  record.reason = explained.text;
  // The record's forms: rule → {value, since_seconds}; resource → metrics (null: none fresh).
  nlohmann::json rules = nlohmann::json::object();
  for (const RuleStatus& rule : change.rules) {
    rules[rule.name] = {{"value", rule.value},
                        {"since_seconds", SecondsBetween(rule.since, change.at)}};
  }
  nlohmann::json metrics = nlohmann::json::object();
  for (const ResourceStatus& resource : change.metrics) {
    metrics[resource.name] =
        resource.metrics ? monitor::MetricsToJson(*resource.metrics) : nlohmann::json();
  }
  record.rule_values_json = rules.dump();
  record.metrics_json = metrics.dump();
  record.explanation_json = explained.json.dump();
  if (auto id = decisions_.Record(record); !id.ok()) {
    spdlog::error("service {}: cannot record decision yet (kept in memory): {}", change.name,
                  id.error().message);
  } else {
    record.id = *id;
  }
  Publish({DecisionEvent{std::move(record)}});
}

Status Autoscaler::SetPaused(const std::string& name, bool paused) {
  std::string service;
  bool changed = false;
  {
    const ChangeLock lock(*this);
    Entry* entry = Find(name);
    if (entry == nullptr) return Fail("not_found", "no service named '" + name + "'");
    // Persisted first: a pause the store could not keep is refused, not half-applied.
    auto record = store_.FindService(entry->info.name);
    if (!record.ok()) return Unexpected{record.error()};
    if (record->has_value()) {
      store::ServiceRecord updated = **record;
      updated.paused = paused;
      updated.updated = clock_.Now();
      if (auto st = store_.UpsertService(updated); !st.ok()) return st;
    }
    changed = entry->paused != paused;
    entry->paused = paused;
    service = entry->info.name;
  }
  spdlog::info("service {}: autoscaling {}", service, paused ? "paused" : "resumed");
  if (changed) {
    Publish({ServiceEvent{service, paused ? ServiceChange::kPaused : ServiceChange::kResumed}});
  }
  return {};
}

std::vector<ServiceStatus> Autoscaler::Snapshot() const {
  std::uint64_t generation = 0;
  return Snapshot(generation);
}

std::vector<ServiceStatus> Autoscaler::Snapshot(std::uint64_t& generation) const {
  std::lock_guard lock(mutex_);
  generation = generation_.load(std::memory_order_acquire);
  std::vector<ServiceStatus> out;
  out.reserve(services_.size());
  for (const auto& [id, entry] : services_) out.push_back(StatusOf(id, entry, false));
  return out;
}

std::optional<ServiceStatus> Autoscaler::ServiceSnapshot(const std::string& id_or_name) const {
  std::lock_guard lock(mutex_);
  for (const auto& [id, entry] : services_) {
    if (id == id_or_name || entry.info.name == id_or_name) return StatusOf(id, entry, true);
  }
  return std::nullopt;
}

ServiceStatus Autoscaler::StatusOf(const std::string& id, const Entry& entry,
                                   bool with_explanation) {
  ServiceStatus s;
  s.id = id;
  s.name = entry.info.name;
  s.mode = ModeName(entry.info.mode);
  s.replicas = entry.info.replicas;
  s.running_tasks = entry.info.running_tasks;
  s.image = entry.info.image;
  s.paused = entry.paused;
  s.config_origin = entry.config_origin;
  s.config_errors = entry.config_errors;
  s.last_change = entry.last_change;
  s.resources = ResourcesOf(entry);
  if (entry.latest.at) s.rules = RulesOf(entry);
  s.evaluated_at = entry.latest.at;
  s.scale_up = entry.latest.scale_up;
  s.scale_down = entry.latest.scale_down;
  if (entry.latest.decision && with_explanation) {
    DecisionExplanation explained = ExplainLatest(entry);
    s.last_reason = std::move(explained.text);
    s.explanation = std::move(explained.json);
  } else if (entry.latest.decision) {
    s.last_reason = LatestText(entry);
  }
  if (entry.config) {
    if (with_explanation) s.config = entry.config->ToJson();
    s.min = entry.config->min;
    s.max = entry.config->max;
    if (entry.config->scale) {
      s.scale_up_expression = entry.config->scale->ruleset.scale_up();
      s.scale_down_expression = entry.config->scale->ruleset.scale_down();
    }
    s.state = entry.paused ? kStatePaused : (entry.config->scale ? kStateMonitored : kStateSized);
  } else {
    s.state = entry.config_errors.empty() ? kStateUnconfigured : kStateInvalid;
  }
  return s;
}

Autoscaler::Entry* Autoscaler::Find(const std::string& id_or_name) {
  for (auto& [id, entry] : services_) {
    if (id == id_or_name || entry.info.name == id_or_name) return &entry;
  }
  return nullptr;
}

const Autoscaler::Entry* Autoscaler::Find(const std::string& id_or_name) const {
  return const_cast<Autoscaler*>(this)->Find(id_or_name);  // NOLINT: the same lookup
}

Status Autoscaler::UpdateRecord(const Entry& entry,
                                const std::function<void(store::ServiceRecord&)>& change) {
  auto record = store_.FindService(entry.info.name);
  if (!record.ok()) return Unexpected{record.error()};
  store::ServiceRecord updated;
  if (record->has_value()) {
    updated = **record;
  } else {
    updated.name = entry.info.name;
    updated.id = entry.info.id;
    updated.paused = entry.paused;
    updated.config_override_json = entry.config_override;
  }
  change(updated);
  updated.updated = clock_.Now();
  return store_.UpsertService(updated);
}

std::optional<ServiceStatus> Autoscaler::Reload(const std::string& name) {
  orchestrator::ServiceInfo info;
  {
    const ChangeLock lock(*this);
    const Entry* entry = Find(name);
    if (entry == nullptr) return std::nullopt;
    info = entry->info;
  }
  Entry fresh = Load(info);
  std::vector<Event> events;
  std::optional<ServiceStatus> status;
  {
    const ChangeLock lock(*this);
    auto it = services_.find(info.id);
    if (it == services_.end()) return std::nullopt;  // removed meanwhile
    ChangeEvents(&it->second, fresh, events);
    CarryOver(it->second, fresh);
    it->second = std::move(fresh);
    Track();
    status = StatusOf(it->first, it->second, true);
  }
  Publish(std::move(events));
  return status;
}

Result<ServiceStatus> Autoscaler::SetConfig(const std::string& name, std::string_view config_json) {
  auto parsed = config::ParseScaleConfig(config_json);
  if (!parsed.ok()) {
    std::string message = "the scale config is not valid: ";
    for (std::size_t i = 0; i < parsed.error().size(); ++i) {
      if (i > 0) message += "; ";
      message += parsed.error()[i].ToString();
    }
    return Fail("invalid", message);
  }
  // Kept as the normal form of what was given: what a later start parses again.
  const std::string text = parsed->ToJson().dump();
  {
    const ChangeLock lock(*this);
    Entry* entry = Find(name);
    if (entry == nullptr) return Fail("not_found", "no service named '" + name + "'");
    Status st = UpdateRecord(
        *entry, [&text](store::ServiceRecord& record) { record.config_override_json = text; });
    if (!st.ok()) return Unexpected{st.error()};
  }
  auto status = Reload(name);
  if (!status) return Fail("not_found", "no service named '" + name + "'");
  spdlog::info("service {}: scale config set through the API", status->name);
  return *status;
}

Result<ServiceStatus> Autoscaler::UnsetConfig(const std::string& name) {
  {
    const ChangeLock lock(*this);
    Entry* entry = Find(name);
    if (entry == nullptr) return Fail("not_found", "no service named '" + name + "'");
    if (entry->config_override.empty()) return StatusOf(entry->info.id, *entry, true);
    Status st = UpdateRecord(
        *entry, [](store::ServiceRecord& record) { record.config_override_json.clear(); });
    if (!st.ok()) return Unexpected{st.error()};
  }
  auto status = Reload(name);
  if (!status) return Fail("not_found", "no service named '" + name + "'");
  spdlog::info("service {}: scale config from its labels again", status->name);
  return *status;
}

Result<ManualScale> Autoscaler::Scale(const std::string& name, int replicas, bool force) {
  if (!MayAct()) {
    return Fail("unavailable",
                "this maiev is a standby: only the leader scales (GET /api/v1/leader)");
  }
  ManualScale scale;
  std::string id;
  bool was_paused = false;
  {
    const ChangeLock lock(*this);
    Entry* entry = Find(name);
    if (entry == nullptr) return Fail("not_found", "no service named '" + name + "'");
    if (entry->info.mode != ServiceMode::kReplicated) {
      return Fail("conflict", "service '" + entry->info.name + "' is " +
                                  ModeName(entry->info.mode) +
                                  ": only a replicated service has a replica count to set");
    }
    if (replicas < 0) {
      return Fail("invalid", "replicas: must be 0 or more, got " + std::to_string(replicas));
    }
    if (entry->config && !force &&
        (replicas < entry->config->min || replicas > entry->config->max)) {
      return Fail("invalid", "replicas: " + std::to_string(replicas) + " is outside min " +
                                 std::to_string(entry->config->min) + " / max " +
                                 std::to_string(entry->config->max) +
                                 " of its scale config; set force to go beyond them");
    }
    // Paused first, and kept: a cycle between here and the orchestrator's answer must not
    // undo the operator's size.
    Status st = UpdateRecord(*entry, [](store::ServiceRecord& record) { record.paused = true; });
    if (!st.ok()) return Unexpected{st.error()};
    was_paused = entry->paused;
    entry->paused = true;
    id = entry->info.id;
    scale = {entry->info.name, static_cast<int>(entry->info.replicas), replicas};
  }
  if (!was_paused) Publish({ServiceEvent{scale.service, ServiceChange::kPaused}});
  Status st = orchestrator_.SetReplicas(id, static_cast<std::uint64_t>(replicas));
  if (!st.ok()) return Unexpected{st.error()};
  const TimePoint now = clock_.Now();
  {
    const ChangeLock lock(*this);
    if (auto it = services_.find(id); it != services_.end()) {
      it->second.info.replicas = static_cast<std::uint64_t>(replicas);
      it->second.last_change = now;
    }
  }
  spdlog::info("service {}: replicas {} → {} by an operator; autoscaling paused", scale.service,
               scale.from, scale.to);
  store::DecisionRecord record;
  record.time = now;
  record.service = scale.service;
  record.old_replicas = scale.from;
  record.new_replicas = scale.to;
  record.reason = std::to_string(scale.from) + " → " + std::to_string(scale.to) +
                  ": set by an operator" + (force ? " (beyond its bounds)" : "") +
                  "; autoscaling paused until resumed";
  record.rule_values_json = "{}";
  record.metrics_json = "{}";
  record.explanation_json =
      nlohmann::json{{"kind", "operator"}, {"force", force}, {"text", record.reason}}.dump();
  if (auto appended = decisions_.Record(record); !appended.ok()) {
    spdlog::error("service {}: cannot record decision yet (kept in memory): {}", scale.service,
                  appended.error().message);
  } else {
    record.id = *appended;
  }
  Publish({DecisionEvent{std::move(record)}});
  return scale;
}

Result<RuleTest> Autoscaler::TestRule(const std::string& name,
                                      const std::string& expression) const {
  std::lock_guard lock(mutex_);
  const Entry* entry = Find(name);
  if (entry == nullptr) return Fail("not_found", "no service named '" + name + "'");
  if (!entry->config || !entry->config->scale) {
    return Fail("conflict", "service '" + entry->info.name +
                                "' has no rules to test against (no valid scale config with a "
                                "`scale` section)");
  }
  const rules::RuleSet& ruleset = entry->config->scale->ruleset;
  // The expression as a trigger of the service's own resources and rules: rules:X reads them.
  auto tester = rules::RuleSet::Compile(ruleset.resources(), ruleset.rules(), expression, "");
  if (!tester.ok()) {
    const rules::Diagnostic& d = tester.error().diagnostic;
    return Fail(
        "invalid",
        "expression: " + (d.column > 0 ? "col " + std::to_string(d.column) + ": " : std::string()) +
            d.message);
  }
  RuleTest test{entry->info.name, expression, clock_.Now(), {}};
  rules::MetricsSnapshot metrics;
  const auto& resources = entry->config->scale->resources();
  for (std::size_t r = 0; r < resources.size(); ++r) {
    if (entry->latest.at && r < entry->latest.metrics.size() && entry->latest.metrics[r]) {
      metrics.emplace(resources[r].name, monitor::ToResourceMetrics(*entry->latest.metrics[r]));
    }
  }
  test.explanation = tester->Explain(metrics, HistoryOf(*entry), test.at);
  return test;
}

std::optional<ServiceHistory> Autoscaler::History(const std::string& name, Duration window) const {
  const TimePoint since = clock_.Now() - std::chrono::duration_cast<TimePoint::duration>(window);
  std::lock_guard lock(mutex_);
  const Entry* entry = Find(name);
  if (entry == nullptr) return std::nullopt;
  ServiceHistory history;
  history.service = entry->info.name;
  history.resources = ResourceNames(*entry);
  history.samples = entry->history.Since(since, sample_times_);
  return history;
}

}  // namespace maiev::control
