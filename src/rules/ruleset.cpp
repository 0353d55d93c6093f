#include "rules/ruleset.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace maiev::rules {
namespace {

// Slot layout: per resource, its presence then its metrics in kMetricNames order; after all
// resources, per rule, its value then its `since` (seconds).
constexpr uint32_t kSlotsPerResource = 1 + kMetricNames.size();
constexpr uint32_t kSlotsPerRule = 2;

constexpr std::array<std::string_view, 7> kReservedNames = {"rules", "and",  "or",   "not",
                                                            "in",    "true", "false"};

bool IsIdentifier(std::string_view name) {
  if (name.empty()) return false;
  auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!start(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

bool IsReserved(std::string_view name) {
  return std::find(kReservedNames.begin(), kReservedNames.end(), name) != kReservedNames.end();
}

std::optional<size_t> IndexOf(const auto& decls, std::string_view name) {
  for (size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) return i;
  }
  return std::nullopt;
}

Unexpected<RuleSetError> FieldError(std::string field, std::string message) {
  return Unexpected<RuleSetError>{
      RuleSetError{std::move(field), Diagnostic{0, std::move(message)}}};
}

// "rule name" / "resource name" checks shared by both kinds of declaration.
template <class Decl>
Result<void, RuleSetError> CheckNames(const std::vector<Decl>& decls, std::string_view list,
                                      std::string_view what) {
  for (size_t i = 0; i < decls.size(); ++i) {
    const std::string& name = decls[i].name;
    std::string field = std::string(list) + "[" + std::to_string(i) + "].name";
    if (!IsIdentifier(name)) {
      return FieldError(field, std::string(what) + " name `" + name +
                                   "` is not an identifier; accepted: letters, digits and `_`, "
                                   "not starting with a digit");
    }
    if (IsReserved(name)) {
      return FieldError(field, std::string(what) + " name `" + name + "` is reserved");
    }
    auto first = IndexOf(decls, name);
    if (*first != i) {
      return FieldError(field, "duplicate " + std::string(what) + " name `" + name + "` (also " +
                                   std::string(list) + "[" + std::to_string(*first) + "])");
    }
  }
  return {};
}

class RuleSetBinder final : public Binder {
 public:
  RuleSetBinder(const std::vector<ResourceDecl>& resources, const std::vector<RuleDecl>& rules)
      : resources_(resources), rules_(rules) {}

  Result<Binding, std::string> Bind(const Reference& ref) override {
    const auto& s = ref.segments;
    if (s[0] == "rules") return BindRule(ref);
    auto resource = IndexOf(resources_, s[0]);
    if (!resource) return Unexpected<std::string>{"unknown resource `" + s[0] + "`"};
    auto base = static_cast<uint32_t>(*resource * kSlotsPerResource);
    if (s.size() == 1) return Binding{base, SlotType::kValue};
    std::string metric = s[1];
    for (size_t i = 2; i < s.size(); ++i) metric += ":" + s[i];
    for (size_t m = 0; m < kMetricNames.size(); ++m) {
      if (kMetricNames[m] == metric) {
        return Binding{base + 1 + static_cast<uint32_t>(m), SlotType::kValue};
      }
    }
    return Unexpected<std::string>{"unknown metric `" + metric + "` of resource `" + s[0] + "`"};
  }

 private:
  Result<Binding, std::string> BindRule(const Reference& ref) const {
    const auto& s = ref.segments;
    if (s.size() == 1) {
      return Unexpected<std::string>{
          "`rules` needs a rule name: `rules:NAME` or `rules:NAME:since`"};
    }
    auto rule = IndexOf(rules_, s[1]);
    if (!rule) return Unexpected<std::string>{"unknown rule `" + s[1] + "`"};
    auto base =
        static_cast<uint32_t>(resources_.size() * kSlotsPerResource + *rule * kSlotsPerRule);
    if (s.size() == 2) return Binding{base, SlotType::kValue};
    if (s.size() == 3 && s[2] == "since") return Binding{base + 1, SlotType::kDuration};
    std::string property = s[2];
    for (size_t i = 3; i < s.size(); ++i) property += ":" + s[i];
    return Unexpected<std::string>{"unknown property `" + property + "` of rule `" + s[1] +
                                   "`; accepted: `since`"};
  }

  const std::vector<ResourceDecl>& resources_;
  const std::vector<RuleDecl>& rules_;
};

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

std::string RuleSetError::ToString() const {
  if (diagnostic.column <= 0) return field + ": " + diagnostic.message;
  return field + ": col " + std::to_string(diagnostic.column) + ": " + diagnostic.message;
}

struct RuleSet::Impl {
  std::vector<ResourceDecl> resources;
  std::vector<RuleDecl> rules;
  std::string scale_up_text;
  std::string scale_down_text;
  std::vector<Expression> expressions;  // parallel to rules
  std::optional<Expression> scale_up;   // absent: never
  std::optional<Expression> scale_down;
  uint32_t rule_base = 0;  // first rule slot
  uint32_t slot_count = 0;

  uint32_t RuleSlot(size_t rule) const {
    return rule_base + static_cast<uint32_t>(rule * kSlotsPerRule);
  }

  // Rule slots from the states on entry of a pass.
  void SeedRuleSlots(std::span<Value> slots, std::span<const RuleState> states,
                     TimePoint now) const {
    for (size_t i = 0; i < states.size(); ++i) {
      const uint32_t slot = RuleSlot(i);
      slots[slot] = Value::Bool(states[i].value);
      // A clock that went backwards must not make a duration negative.
      slots[slot + 1] = Value::Number(std::max(0.0, SecondsBetween(states[i].since, now)));
    }
  }

  // Rule `rule` took `value` in this pass.
  void Record(std::span<Value> slots, std::span<RuleState> states, size_t rule, bool value,
              TimePoint now) const {
    const uint32_t slot = RuleSlot(rule);
    states[rule] = RuleState{value, now};
    slots[slot] = Value::Bool(value);
    slots[slot + 1] = Value::Number(0);
  }

  // Refines the operands of `terms` that read slots: resource, metric or rule, and whether a
  // rule's value is from before the pass (rules from `evaluating` on had not been evaluated yet).
  void Annotate(std::vector<Term>& terms, std::span<const Value> slots, size_t evaluating) const {
    for (Term& term : terms) {
      Annotate(term.because, slots, evaluating);
      AnnotateOperand(term.lhs, slots, evaluating);
      AnnotateOperand(term.rhs, slots, evaluating);
    }
  }

  void AnnotateOperand(TermOperand& operand, std::span<const Value> slots,
                       size_t evaluating) const {
    if (!operand.slot) return;
    const uint32_t slot = *operand.slot;
    if (slot < rule_base) {
      const uint32_t presence = slot - slot % kSlotsPerResource;
      operand.kind = slot == presence ? TermOperand::Kind::kResource : TermOperand::Kind::kMetric;
      operand.no_sample = !slots[presence].Truthy();
      return;
    }
    const size_t rule = (slot - rule_base) / kSlotsPerRule;
    operand.kind = (slot - rule_base) % kSlotsPerRule == 0 ? TermOperand::Kind::kRule
                                                           : TermOperand::Kind::kRuleSince;
    operand.rule = rule;
    operand.previous_pass = rule >= evaluating;
  }
};

namespace {

// What compiling reads, as one string (each part length-prefixed, so no two inputs meet).
std::string CompileKey(const std::vector<ResourceDecl>& resources,
                       const std::vector<RuleDecl>& rules, std::string_view scale_up,
                       std::string_view scale_down) {
  std::string key;
  const auto add = [&key](std::string_view part) {
    key += std::to_string(part.size());
    key += ':';
    key += part;
  };
  add(std::to_string(resources.size()));
  for (const ResourceDecl& r : resources) {
    add(r.name);
    add(r.monitorer);
  }
  add(std::to_string(rules.size()));
  for (const RuleDecl& r : rules) {
    add(r.name);
    add(r.expression);
  }
  add(scale_up);
  add(scale_down);
  return key;
}

}  // namespace

// The compiled rule sets alive, by CompileKey: at 10,000 services of a few configs, one compiled
// copy per config instead of one per service (docs/RELIABILITY.md, "Load").
class RuleSetCache {
 public:
  static RuleSetCache& Instance() {
    static RuleSetCache cache;  // a RuleSet destroyed never reaches into it (weak pointers only)
    return cache;
  }

  std::shared_ptr<const RuleSet::Impl> Find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = compiled_.find(key);
    return it == compiled_.end() ? nullptr : it->second.lock();
  }

  // Keeps `impl` for later compiles of `key` and returns it, unless another thread kept one for
  // the same key while this one compiled: then that one is returned, so all share it. Forgets
  // those no rule set holds any more whenever the cache has doubled since it last did.
  std::shared_ptr<const RuleSet::Impl> Keep(const std::string& key,
                                            std::shared_ptr<const RuleSet::Impl> impl) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = compiled_.try_emplace(key, impl);
    if (!inserted) {
      if (auto kept = it->second.lock()) return kept;
      it->second = impl;
    }
    if (compiled_.size() >= 2 * swept_size_) {
      std::erase_if(compiled_, [](const auto& entry) { return entry.second.expired(); });
      swept_size_ = std::max<std::size_t>(compiled_.size(), kMinSweep);
    }
    return impl;
  }

 private:
  static constexpr std::size_t kMinSweep = 64;

  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<const RuleSet::Impl>, std::less<>> compiled_;
  std::size_t swept_size_ = kMinSweep;
};

Result<RuleSet, RuleSetError> RuleSet::Compile(std::vector<ResourceDecl> resources,
                                               std::vector<RuleDecl> rules, std::string scale_up,
                                               std::string scale_down) {
  const std::string key = CompileKey(resources, rules, scale_up, scale_down);
  if (auto shared = RuleSetCache::Instance().Find(key)) {
    return RuleSet(std::move(shared), std::move(resources));
  }
  auto impl = std::make_shared<Impl>();
  impl->resources = resources;
  for (ResourceDecl& r : impl->resources) r.identifier.clear();  // not its own: see resources_
  impl->rules = std::move(rules);
  if (auto status = CheckNames(impl->resources, "resources", "resource"); !status.ok()) {
    return Unexpected<RuleSetError>{status.error()};
  }
  if (auto status = CheckNames(impl->rules, "rules", "rule"); !status.ok()) {
    return Unexpected<RuleSetError>{status.error()};
  }
  impl->rule_base = static_cast<uint32_t>(impl->resources.size() * kSlotsPerResource);
  impl->slot_count = impl->rule_base + static_cast<uint32_t>(impl->rules.size() * kSlotsPerRule);

  RuleSetBinder binder(impl->resources, impl->rules);
  auto compile = [&](const std::string& text,
                     std::string field) -> Result<Expression, RuleSetError> {
    auto expression = Expression::Compile(text, binder);
    if (!expression.ok()) {
      return Unexpected<RuleSetError>{RuleSetError{std::move(field), expression.error()}};
    }
    return std::move(expression).value();
  };
  impl->expressions.reserve(impl->rules.size());
  for (size_t i = 0; i < impl->rules.size(); ++i) {
    auto expression =
        compile(impl->rules[i].expression, "rules[" + std::to_string(i) + "].expression");
    if (!expression.ok()) return Unexpected<RuleSetError>{std::move(expression).error()};
    impl->expressions.push_back(std::move(expression).value());
  }
  impl->scale_up_text = std::move(scale_up);
  impl->scale_down_text = std::move(scale_down);
  if (!IsBlank(impl->scale_up_text)) {
    auto expression = compile(impl->scale_up_text, "scale_up");
    if (!expression.ok()) return Unexpected<RuleSetError>{std::move(expression).error()};
    impl->scale_up.emplace(std::move(expression).value());
  }
  if (!IsBlank(impl->scale_down_text)) {
    auto expression = compile(impl->scale_down_text, "scale_down");
    if (!expression.ok()) return Unexpected<RuleSetError>{std::move(expression).error()};
    impl->scale_down.emplace(std::move(expression).value());
  }
  return RuleSet(RuleSetCache::Instance().Keep(key, std::move(impl)), std::move(resources));
}

std::vector<RuleSetError> RuleSet::CheckExpressions(const std::vector<ResourceDecl>& resources,
                                                    const std::vector<RuleDecl>& rules,
                                                    std::string_view scale_up,
                                                    std::string_view scale_down) {
  std::vector<RuleSetError> errors;
  RuleSetBinder binder(resources, rules);
  auto check = [&](std::string_view text, std::string field) {
    auto expression = Expression::Compile(text, binder);
    if (!expression.ok()) errors.push_back(RuleSetError{std::move(field), expression.error()});
  };
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!rules[i].expression.empty()) {
      check(rules[i].expression, "rules[" + std::to_string(i) + "].expression");
    }
  }
  if (!IsBlank(scale_up)) check(scale_up, "scale_up");
  if (!IsBlank(scale_down)) check(scale_down, "scale_down");
  return errors;
}

RuleSet::RuleSet(std::shared_ptr<const Impl> impl, std::vector<ResourceDecl> resources)
    : impl_(std::move(impl)), resources_(std::move(resources)) {}
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;
RuleSet::~RuleSet() = default;

size_t RuleSet::slot_count() const { return impl_->slot_count; }

uint32_t RuleSet::PresenceSlot(size_t resource) const {
  return static_cast<uint32_t>(resource * kSlotsPerResource);
}

uint32_t RuleSet::MetricSlot(size_t resource, size_t metric) const {
  return static_cast<uint32_t>(resource * kSlotsPerResource + 1 + metric);
}

RuleSet::Triggers RuleSet::EvaluateSlots(std::span<Value> slots, std::span<RuleState> states,
                                         TimePoint now) const {
  const Impl& impl = *impl_;
  impl.SeedRuleSlots(slots, states, now);
  for (size_t i = 0; i < states.size(); ++i) {
    bool value = impl.expressions[i].Evaluate(slots);
    if (value != states[i].value) impl.Record(slots, states, i, value, now);
  }
  Triggers triggers;
  triggers.scale_up = impl.scale_up && impl.scale_up->Evaluate(slots);
  triggers.scale_down = impl.scale_down && impl.scale_down->Evaluate(slots);
  return triggers;
}

Explanation RuleSet::Explain(std::span<const Value> slots, std::span<const RuleState> states,
                             TimePoint now) const {
  const Impl& impl = *impl_;
  std::vector<Value> work(slots.begin(), slots.end());
  std::vector<RuleState> after(states.begin(), states.end());
  impl.SeedRuleSlots(work, after, now);
  Explanation explanation;
  explanation.rules.reserve(after.size());
  for (size_t i = 0; i < after.size(); ++i) {
    Trace trace = impl.expressions[i].Explain(work);
    impl.Annotate(trace.terms, work, i);
    const bool changed = trace.value != after[i].value;
    if (changed) impl.Record(work, after, i, trace.value, now);
    explanation.rules.push_back(RuleTrace{impl.rules[i].name, after[i].value,
                                          std::max(0.0, SecondsBetween(after[i].since, now)),
                                          changed, std::move(trace)});
  }
  auto trigger = [&](const std::optional<Expression>& expression) {
    Trace trace;
    trace.never = !expression.has_value();
    if (!expression) return trace;
    trace = expression->Explain(work);
    impl.Annotate(trace.terms, work, impl.rules.size());
    return trace;
  };
  explanation.scale_up = trigger(impl.scale_up);
  explanation.scale_down = trigger(impl.scale_down);
  return explanation;
}

Explanation RuleSet::Explain(const MetricsSnapshot& metrics, const RuleHistory& history,
                             TimePoint now) const {
  std::vector<Value> slots(impl_->slot_count);
  FillSlots(metrics, slots);
  std::vector<RuleState> states(impl_->rules.size());
  FillStates(history, now, states);
  return Explain(slots, states, now);
}

void RuleSet::FillSlots(const MetricsSnapshot& metrics, std::span<Value> slots) const {
  const Impl& impl = *impl_;
  for (size_t r = 0; r < impl.resources.size(); ++r) {
    auto sample = metrics.find(impl.resources[r].name);
    // No sample (or an empty one): the bare name is false and every metric null.
    if (sample == metrics.end() || sample->second.empty()) continue;
    slots[PresenceSlot(r)] = Value::Bool(true);
    for (size_t m = 0; m < kMetricNames.size(); ++m) {
      auto metric = sample->second.find(kMetricNames[m]);
      if (metric != sample->second.end()) slots[MetricSlot(r, m)] = metric->second;
    }
  }
}

void RuleSet::FillStates(const RuleHistory& history, TimePoint now,
                         std::span<RuleState> states) const {
  const Impl& impl = *impl_;
  for (size_t i = 0; i < impl.rules.size(); ++i) {
    auto stored = history.find(impl.rules[i].name);
    states[i] = stored != history.end() ? stored->second : RuleState{false, now};
  }
}

Evaluation RuleSet::Evaluate(const MetricsSnapshot& metrics, const RuleHistory& history,
                             TimePoint now) const {
  const Impl& impl = *impl_;
  std::vector<Value> slots(impl.slot_count);
  FillSlots(metrics, slots);
  Evaluation evaluation;
  evaluation.rules.reserve(impl.rules.size());
  std::vector<RuleState> states(impl.rules.size());
  FillStates(history, now, states);
  Triggers triggers = EvaluateSlots(slots, states, now);
  for (size_t i = 0; i < impl.rules.size(); ++i) {
    evaluation.rules.emplace_back(impl.rules[i].name, states[i]);
  }
  evaluation.scale_up = triggers.scale_up;
  evaluation.scale_down = triggers.scale_down;
  return evaluation;
}

const std::vector<ResourceDecl>& RuleSet::resources() const { return resources_; }
const std::vector<RuleDecl>& RuleSet::rules() const { return impl_->rules; }
const std::string& RuleSet::scale_up() const { return impl_->scale_up_text; }
const std::string& RuleSet::scale_down() const { return impl_->scale_down_text; }

}  // namespace maiev::rules
