// A service's scaling rules (SPEC §3, §4): resources, named rules in declaration order, and the
// scale_up / scale_down triggers, compiled together so every name is checked at load time.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "rules/explanation.hpp"
#include "rules/expression.hpp"
#include "rules/value.hpp"

namespace maiev::rules {

// Metric names a queue resource offers (SPEC §2), in this order everywhere.
// `stalled` (appended last, so existing slot numbers keep their meaning) is true when messages
// wait, consumers are attached, and nothing was delivered over a full rate window.
inline constexpr std::array<std::string_view, 10> kMetricNames = {
    "exists", "waiting",   "latency", "call_rate", "exec_rate",
    "rate",   "consumers", "unacked", "age",       "stalled"};

struct ResourceDecl {
  std::string name;        // how rules refer to it, e.g. "rmq"
  std::string monitorer;   // e.g. "monitorer_rabbitmq"
  std::string identifier;  // e.g. the queue name
};

struct RuleDecl {
  std::string name;
  std::string expression;
};

// Metrics of one resource: metric name → value; a metric absent from the map is null.
using ResourceMetrics = std::map<std::string, Value, std::less<>>;
// Resource name → metrics. A resource absent from the map has no sample: its bare name is false
// and all its metrics are null.
using MetricsSnapshot = std::map<std::string, ResourceMetrics, std::less<>>;

// What is remembered of a rule between evaluations (and stored across restarts).
struct RuleState {
  bool value = false;
  TimePoint since;  // when the rule took `value`
  friend bool operator==(const RuleState&, const RuleState&) = default;
};
using RuleHistory = std::map<std::string, RuleState, std::less<>>;

// Which declaration of the rule set an error is about, as a field path relative to the `scale`
// object of a scale config: "rules[2].expression", "rules[0].name", "scale_up", "resources[1]".
struct RuleSetError {
  std::string field;
  Diagnostic diagnostic;         // column 0 when the error is not inside an expression
  std::string ToString() const;  // "rules[2].expression: col 12: unknown rule `latency_fial`"
};

struct Evaluation {
  std::vector<std::pair<std::string, RuleState>>
      rules;  // declaration order, states after this pass
  bool scale_up = false;
  bool scale_down = false;
};

// Immutable after Compile; Evaluate is const and thread-safe. Rule sets compiled from the same
// text (resource names and monitorers, rules, triggers) share their compiled expressions; only the
// resources' identifiers are their own.
class RuleSet {
 public:
  // Checks names (resources unique, rule names unique identifiers, not reserved), compiles every
  // expression against the declared resources, kMetricNames and the declared rules. Empty
  // scale_up / scale_down expressions mean "never". Resource and rule names are identifiers
  // ([A-Za-z_][A-Za-z0-9_]*); `rules` and the keywords (and, or, not, in, true, false) are
  // reserved. A rule may share a resource's name: `rules:NAME` and `NAME` cannot be confused.
  static Result<RuleSet, RuleSetError> Compile(std::vector<ResourceDecl> resources,
                                               std::vector<RuleDecl> rules, std::string scale_up,
                                               std::string scale_down);

  // Compiles every expression against the declared names and returns every error, not just the
  // first, for callers that report all problems of a document at once. Does not check the names
  // themselves (Compile does; a duplicate name binds to its first declaration). Blank triggers
  // mean "never" and empty rule expressions are skipped (the caller reports them).
  static std::vector<RuleSetError> CheckExpressions(const std::vector<ResourceDecl>& resources,
                                                    const std::vector<RuleDecl>& rules,
                                                    std::string_view scale_up,
                                                    std::string_view scale_down);

  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;
  ~RuleSet();

  // One pass in declaration order (see rule-language.md): `rules:X` is X's value from this pass
  // when X was already evaluated in it, else its value in `history` (false when absent);
  // `rules:X:since` is now − since. A rule whose value changes in this pass gets since = now.
  Evaluation Evaluate(const MetricsSnapshot& metrics, const RuleHistory& history,
                      TimePoint now) const;

  // The same pass without map lookups or allocation, for callers that evaluate one rule set
  // repeatedly. The slot layout is fixed at Compile: before each pass, set PresenceSlot(r) to
  // Bool(the resource has a sample) and MetricSlot(r, m) to metric kMetricNames[m] (null when
  // missing), for every resource r; the rule slots are written by the pass itself.
  // `states` holds one RuleState per rule in declaration order: the stored history on entry
  // (use {false, now} for a rule without history), the states after this pass on return.
  // REQUIRES: slots.size() == slot_count(), states.size() == rules().size().
  struct Triggers {
    bool scale_up = false;
    bool scale_down = false;
  };
  Triggers EvaluateSlots(std::span<Value> slots, std::span<RuleState> states, TimePoint now) const;

  // Why the pass came out as it did (explanation.hpp): the same pass again, keeping each rule's
  // and each trigger's decisive terms. Takes what the pass took: the slots as filled before it
  // (rule slots are ignored) and the states on entry, not those EvaluateSlots returned. Much
  // slower than EvaluateSlots (it allocates): call it for a decision, or when asked.
  // REQUIRES: as EvaluateSlots.
  Explanation Explain(std::span<const Value> slots, std::span<const RuleState> states,
                      TimePoint now) const;
  // The same from maps, as Evaluate takes them.
  Explanation Explain(const MetricsSnapshot& metrics, const RuleHistory& history,
                      TimePoint now) const;

  size_t slot_count() const;
  uint32_t PresenceSlot(size_t resource) const;
  uint32_t MetricSlot(size_t resource, size_t metric) const;

  const std::vector<ResourceDecl>& resources() const;
  const std::vector<RuleDecl>& rules() const;
  const std::string& scale_up() const;  // as given to Compile; empty: never
  const std::string& scale_down() const;
  // True when this and `other` share one compilation (what the memory figures count on).
  bool SharesCompilationWith(const RuleSet& other) const { return impl_ == other.impl_; }

 private:
  struct Impl;
  friend class RuleSetCache;
  RuleSet(std::shared_ptr<const Impl> impl, std::vector<ResourceDecl> resources);
  // The slots and states of a pass from maps (Evaluate, Explain). REQUIRES: sized as for
  // EvaluateSlots; slots null on entry.
  void FillSlots(const MetricsSnapshot& metrics, std::span<Value> slots) const;
  void FillStates(const RuleHistory& history, TimePoint now, std::span<RuleState> states) const;
  // What was compiled, shared by every rule set compiled from the same names, monitorers, rules
  // and triggers: the services of one config that differ only in their queues.
  std::shared_ptr<const Impl> impl_;
  std::vector<ResourceDecl> resources_;  // this rule set's own, with its identifiers
};

}  // namespace maiev::rules
