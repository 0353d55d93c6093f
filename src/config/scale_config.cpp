#include "config/scale_config.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "config/json_text.hpp"

namespace maiev::config {
namespace {

using nlohmann::json;

constexpr std::string_view kRabbitMqMonitorer = "monitorer_rabbitmq";
constexpr size_t kMaxShownValueChars = 40;  // "got ..." excerpts in messages
// Names a resource or rule may not take: the rules namespace and the language's keywords.
constexpr std::array<std::string_view, 7> kReservedNames = {"rules", "and",  "or",   "not",
                                                            "in",    "true", "false"};

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string Quoted(std::string_view name) { return "`" + std::string(name) + "`"; }

// A short rendering of a JSON value for "got ..." in messages.
std::string Shown(const json& j) {
  std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxShownValueChars) text = text.substr(0, kMaxShownValueChars) + "…";
  return text;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!alpha(s.front())) return false;
  for (char c : s) {
    if (!alpha(c) && !digit(c)) return false;
  }
  return true;
}

// Integral JSON number (an integral float such as 3.0 is accepted) within [0, INT_MAX].
std::optional<int> AsCount(const json& j) {
  if (j.is_number_unsigned()) {
    const auto u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int>::max())) return std::nullopt;
    return static_cast<int>(u);
  }
  if (j.is_number_integer()) {
    const auto i = j.get<int64_t>();
    if (i < 0 || i > std::numeric_limits<int>::max()) return std::nullopt;
    return static_cast<int>(i);
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (!std::isfinite(d) || d < 0 || d > std::numeric_limits<int>::max() || std::floor(d) != d) {
      return std::nullopt;
    }
    return static_cast<int>(d);
  }
  return std::nullopt;
}

// Collects every problem of one document; each Parse* method reads one part of it.
class Parser {
 public:
  Result<ScaleConfig, ConfigErrors> Parse(const json& doc);

 private:
  void Error(std::string field, std::string message) {
    errors_.push_back(ConfigError{std::move(field), std::move(message)});
  }

  // The member `key` of object `obj`, or null (with an error when `required`).
  const json* Member(const json& obj, std::string_view key, const std::string& field, bool required,
                     std::string_view expected);
  bool ExpectObject(const json& j, const std::string& field);
  bool ExpectArray(const json& j, const std::string& field);
  void RejectUnknownKeys(const json& obj, const std::string& field,
                         std::initializer_list<std::string_view> accepted);
  std::optional<int> ReadCount(const json& obj, std::string_view key, const std::string& path,
                               bool required, int minimum);
  std::optional<std::string> ReadString(const json& j, const std::string& field);
  std::optional<double> ReadDuration(const json& j, const std::string& field);

  std::optional<ScaleRules> ParseScale(const json& j, const std::string& field);
  // Both set `names_complete` to false when a declaration has no usable name.
  std::vector<rules::ResourceDecl> ParseResources(const json& j, const std::string& field,
                                                  bool& names_complete);
  std::vector<rules::RuleDecl> ParseRules(const json& j, const std::string& field,
                                          bool& names_complete);
  // Reports the syntax errors of the rule expressions and triggers, not their references.
  void CheckSyntax(const std::vector<rules::RuleDecl>& rule_decls, const std::string (&triggers)[2],
                   const std::string& field);
  std::optional<std::string> ReadName(const json& decl, const std::string& at,
                                      std::string_view what, const std::string& list,
                                      std::map<std::string, size_t, std::less<>>& first_index,
                                      size_t index);
  Dependencies ParseDependencies(const json& j, const std::string& field);
  // Reports a null or an object in a capability's value, at any depth of a list.
  bool CheckCapabilityValue(const json& value, const std::string& field);
  ScalingPolicy ParsePolicy(const json& j, const std::string& field,
                            const std::optional<ScaleRules>& scale, bool scale_declared);
  void ParseCooldown(const json& j, const std::string& field, ScalingPolicy& policy);
  std::optional<ProportionalPolicy> ParseProportional(const json& j, const std::string& field,
                                                      const std::optional<ScaleRules>& scale,
                                                      bool scale_declared);

  ConfigErrors errors_;
};

const json* Parser::Member(const json& obj, std::string_view key, const std::string& field,
                           bool required, std::string_view expected) {
  const auto it = obj.find(key);
  if (it != obj.end()) return &*it;
  if (required) Error(field, "missing (expected " + std::string(expected) + ")");
  return nullptr;
}

bool Parser::ExpectObject(const json& j, const std::string& field) {
  if (j.is_object()) return true;
  Error(field, "expected an object, got " + Shown(j));
  return false;
}

bool Parser::ExpectArray(const json& j, const std::string& field) {
  if (j.is_array()) return true;
  Error(field, "expected an array, got " + Shown(j));
  return false;
}

void Parser::RejectUnknownKeys(const json& obj, const std::string& field,
                               std::initializer_list<std::string_view> accepted) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (std::string_view a : accepted) known = known || a == key;
    if (known) continue;
    std::string list;
    for (std::string_view a : accepted) list += (list.empty() ? "" : ", ") + std::string(a);
    Error(Join(field, key), "unknown key (accepted: " + list + ")");
  }
}

std::optional<int> Parser::ReadCount(const json& obj, std::string_view key, const std::string& path,
                                     bool required, int minimum) {
  const std::string field = Join(path, key);
  const std::string expected =
      minimum == 0 ? "a non-negative integer" : "an integer >= " + std::to_string(minimum);
  const json* j = Member(obj, key, field, required, expected);
  if (j == nullptr) return std::nullopt;
  const auto count = AsCount(*j);
  if (!count || *count < minimum) {
    Error(field, "expected " + expected + ", got " + Shown(*j));
    return std::nullopt;
  }
  return count;
}

std::optional<std::string> Parser::ReadString(const json& j, const std::string& field) {
  if (j.is_string()) return j.get<std::string>();
  Error(field, "expected a string, got " + Shown(j));
  return std::nullopt;
}

std::optional<double> Parser::ReadDuration(const json& j, const std::string& field) {
  constexpr std::string_view kAccepted =
      "a duration: seconds as a non-negative number, or a string such as \"30s\", \"5m\", "
      "\"1h30m\"";
  if (j.is_number()) {
    const double seconds = j.get<double>();
    if (std::isfinite(seconds) && seconds >= 0) return seconds;
  } else if (j.is_string()) {
    auto seconds = rules::ParseDuration(j.get<std::string>());
    if (seconds.ok() && std::isfinite(*seconds) && *seconds >= 0) return *seconds;
  }
  Error(field, "expected " + std::string(kAccepted) + ", got " + Shown(j));
  return std::nullopt;
}

Result<ScaleConfig, ConfigErrors> Parser::Parse(const json& doc) {
  if (!doc.is_object()) {
    return Unexpected{ConfigErrors{
        {"", "expected a JSON object at the top level, got " + std::string(doc.type_name())}}};
  }
  ScaleConfig config;
  const auto min = ReadCount(doc, "min", "", true, 0);
  const auto max = ReadCount(doc, "max", "", true, 0);
  if (min && max && *min > *max) {
    Error("", "min (" + std::to_string(*min) + ") > max (" + std::to_string(*max) + ")");
  }
  std::optional<ScaleRules> scale;
  if (const json* j = Member(doc, "scale", "scale", false, "")) scale = ParseScale(*j, "scale");
  if (const json* j = Member(doc, "dependencies", "dependencies", false, "")) {
    config.dependencies = ParseDependencies(*j, "dependencies");
  }
  if (const json* j = Member(doc, "policy", "policy", false, "")) {
    config.policy = ParsePolicy(*j, "policy", scale, doc.contains("scale"));
  }
  if (!errors_.empty()) return Unexpected{std::move(errors_)};

  config.min = *min;
  config.max = *max;
  config.scale = std::move(scale);
  for (const auto& [key, value] : doc.items()) {
    if (key != "min" && key != "max" && key != "scale" && key != "dependencies" &&
        key != "policy") {
      config.extras[key] = value;
    }
  }
  return config;
}

std::optional<ScaleRules> Parser::ParseScale(const json& j, const std::string& field) {
  if (!ExpectObject(j, field)) return std::nullopt;
  RejectUnknownKeys(j, field, {"resources", "rules", "scale_up", "scale_down"});
  const size_t errors_before = errors_.size();

  std::vector<rules::ResourceDecl> resources;
  std::vector<rules::RuleDecl> rule_decls;
  bool names_complete = true;
  if (const json* r = Member(j, "resources", Join(field, "resources"), true, "an array")) {
    resources = ParseResources(*r, Join(field, "resources"), names_complete);
  } else {
    names_complete = false;
  }
  if (const json* r = Member(j, "rules", Join(field, "rules"), true, "an array")) {
    rule_decls = ParseRules(*r, Join(field, "rules"), names_complete);
  } else {
    names_complete = false;
  }
  std::string triggers[2];
  const char* trigger_keys[2] = {"scale_up", "scale_down"};
  for (int i = 0; i < 2; ++i) {
    const std::string trigger_field = Join(field, trigger_keys[i]);
    const json* t =
        Member(j, trigger_keys[i], trigger_field, true, "an expression string; \"\" means never");
    if (t == nullptr) continue;
    if (auto text = ReadString(*t, trigger_field)) triggers[i] = std::move(*text);
  }

  // Every expression is checked, so that all their errors are reported at once. Without every
  // name, a reference to the unnamed declaration would be reported as unknown, misleadingly,
  // wherever it is used: only the syntax is checked then.
  if (!names_complete) {
    CheckSyntax(rule_decls, triggers, field);
    return std::nullopt;
  }
  // Compiled first: a config like one already compiled (a swarm's services mostly differ only in
  // their queues) costs a cache look-up (RuleSetCache). Only a config that does not compile has
  // its expressions compiled one by one, so that every error is reported, not just the first.
  auto compiled = rules::RuleSet::Compile(resources, rule_decls, triggers[0], triggers[1]);
  if (!compiled.ok()) {
    for (const rules::RuleSetError& e :
         rules::RuleSet::CheckExpressions(resources, rule_decls, triggers[0], triggers[1])) {
      Error(Join(field, e.field),
            "col " + std::to_string(e.diagnostic.column) + ": " + e.diagnostic.message);
    }
    if (errors_.size() == errors_before) {  // not an expression's error
      const auto& e = compiled.error();
      const auto& d = e.diagnostic;
      Error(Join(field, e.field),
            d.column > 0 ? "col " + std::to_string(d.column) + ": " + d.message : d.message);
    }
    return std::nullopt;
  }
  if (errors_.size() != errors_before) return std::nullopt;
  return ScaleRules{std::move(compiled).value()};
}

std::vector<rules::ResourceDecl> Parser::ParseResources(const json& j, const std::string& field,
                                                        bool& names_complete) {
  std::vector<rules::ResourceDecl> out;
  if (!ExpectArray(j, field)) {
    names_complete = false;
    return out;
  }
  std::map<std::string, size_t, std::less<>> first_index;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = Index(field, i);
    const json& r = j[i];
    if (!ExpectObject(r, at)) {
      names_complete = false;
      out.emplace_back();  // keeps the indexes of the declarations after it
      continue;
    }
    RejectUnknownKeys(r, at, {"name", "monitorer", "identifier"});
    rules::ResourceDecl decl;
    if (auto name = ReadName(r, at, "resource", field, first_index, i)) {
      decl.name = std::move(*name);
    } else {
      names_complete = false;
    }
    if (const json* m = Member(r, "monitorer", Join(at, "monitorer"), true,
                               "\"" + std::string(kRabbitMqMonitorer) + "\"")) {
      if (auto monitorer = ReadString(*m, Join(at, "monitorer"))) {
        if (*monitorer != kRabbitMqMonitorer) {
          Error(Join(at, "monitorer"), "unknown monitorer " + Quoted(*monitorer) +
                                           " (accepted: " + Quoted(kRabbitMqMonitorer) + ")");
        }
        decl.monitorer = std::move(*monitorer);
      }
    }
    if (const json* id = Member(r, "identifier", Join(at, "identifier"), true,
                                "the queue name, a non-empty string")) {
      if (auto identifier = ReadString(*id, Join(at, "identifier"))) {
        if (identifier->empty()) {
          Error(Join(at, "identifier"), "expected the queue name, a non-empty string, got \"\"");
        }
        decl.identifier = std::move(*identifier);
      }
    }
    // Kept even when invalid (like rules below), so expressions naming it do not report a
    // second, misleading error; the errors above already prevent a config from being produced.
    out.push_back(std::move(decl));
  }
  return out;
}

// The "name" of a resource or rule declaration at `at`: an identifier, not reserved, unique in
// its list. Returns the name when it is a string (even an invalid one, which is reported).
std::optional<std::string> Parser::ReadName(const json& decl, const std::string& at,
                                            std::string_view what, const std::string& list,
                                            std::map<std::string, size_t, std::less<>>& first_index,
                                            size_t index) {
  const std::string field = Join(at, "name");
  const json* n = Member(decl, "name", field, true, "an identifier");
  if (n == nullptr) return std::nullopt;
  auto name = ReadString(*n, field);
  if (!name) return std::nullopt;
  const std::string subject = std::string(what) + " name " + Quoted(*name);
  if (!IsIdentifier(*name)) {
    Error(field, subject +
                     " is not an identifier; accepted: letters, digits and `_`, not starting "
                     "with a digit");
  } else if (std::find(kReservedNames.begin(), kReservedNames.end(), *name) !=
             kReservedNames.end()) {
    Error(field, subject + " is reserved");
  } else if (auto it = first_index.find(*name); it != first_index.end()) {
    Error(field, "duplicate " + subject + " (also " + Index(list, it->second) + ")");
  } else {
    first_index.emplace(*name, index);
  }
  return name;
}

std::vector<rules::RuleDecl> Parser::ParseRules(const json& j, const std::string& field,
                                                bool& names_complete) {
  std::vector<rules::RuleDecl> out;
  if (!ExpectArray(j, field)) {
    names_complete = false;
    return out;
  }
  std::map<std::string, size_t, std::less<>> first_index;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = Index(field, i);
    const json& r = j[i];
    if (!ExpectObject(r, at)) {
      names_complete = false;
      out.emplace_back();  // keeps the indexes of the declarations after it
      continue;
    }
    RejectUnknownKeys(r, at, {"name", "expression"});
    rules::RuleDecl decl;
    if (auto name = ReadName(r, at, "rule", field, first_index, i)) {
      decl.name = std::move(*name);
    } else {
      names_complete = false;
    }
    if (const json* e =
            Member(r, "expression", Join(at, "expression"), true, "an expression string")) {
      if (auto text = ReadString(*e, Join(at, "expression"))) {
        if (text->empty()) {
          Error(Join(at, "expression"), "expected an expression, got \"\"");
        }
        decl.expression = std::move(*text);
      }
    }
    // Kept even when invalid, so expressions naming it do not report a second error.
    out.push_back(std::move(decl));
  }
  return out;
}

void Parser::CheckSyntax(const std::vector<rules::RuleDecl>& rule_decls,
                         const std::string (&triggers)[2], const std::string& field) {
  auto check = [this](std::string_view text, const std::string& at) {
    if (text.empty()) return;  // reported by ParseRules, or "never" for a trigger
    auto refs = rules::Expression::References(text);
    if (refs.ok()) return;
    Error(at, "col " + std::to_string(refs.error().column) + ": " + refs.error().message);
  };
  for (size_t i = 0; i < rule_decls.size(); ++i) {
    check(rule_decls[i].expression, Join(Index(Join(field, "rules"), i), "expression"));
  }
  check(triggers[0], Join(field, "scale_up"));
  check(triggers[1], Join(field, "scale_down"));
}

bool Parser::CheckCapabilityValue(const json& value, const std::string& field) {
  if (value.is_null() || value.is_object()) {
    Error(field, "expected a number, boolean, string or list, got " + Shown(value));
    return false;
  }
  bool ok = true;
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      ok = CheckCapabilityValue(value[i], Index(field, i)) && ok;
    }
  }
  return ok;
}

Dependencies Parser::ParseDependencies(const json& j, const std::string& field) {
  Dependencies deps;
  if (!ExpectObject(j, field)) return deps;
  RejectUnknownKeys(j, field, {"provide", "require"});
  if (const json* p = Member(j, "provide", Join(field, "provide"), false, "")) {
    const std::string pf = Join(field, "provide");
    if (ExpectObject(*p, pf)) {
      for (const auto& [capability, value] : p->items()) {
        if (!CheckCapabilityValue(value, Join(pf, capability))) continue;
        deps.provide.emplace(capability, rules::Value::FromJson(value));
      }
    }
  }
  if (const json* r = Member(j, "require", Join(field, "require"), false, "")) {
    const std::string rf = Join(field, "require");
    if (ExpectArray(*r, rf)) {
      for (size_t i = 0; i < r->size(); ++i) {
        auto text = ReadString((*r)[i], Index(rf, i));
        if (!text) continue;
        auto refs = rules::Expression::References(*text);
        if (!refs.ok()) {
          const auto& d = refs.error();
          Error(Index(rf, i), "col " + std::to_string(d.column) + ": " + d.message);
          continue;
        }
        deps.require.push_back(std::move(*text));
      }
    }
  }
  return deps;
}

ScalingPolicy Parser::ParsePolicy(const json& j, const std::string& field,
                                  const std::optional<ScaleRules>& scale, bool scale_declared) {
  ScalingPolicy policy;
  if (!ExpectObject(j, field)) return policy;
  RejectUnknownKeys(
      j, field, {"reapply_interval", "cooldown", "max_step", "on_missing_metrics", "proportional"});
  if (const json* r = Member(j, "reapply_interval", "", false, "")) {
    if (auto d = ReadDuration(*r, Join(field, "reapply_interval"))) policy.reapply_interval = *d;
  }
  if (const json* c = Member(j, "cooldown", "", false, "")) {
    ParseCooldown(*c, Join(field, "cooldown"), policy);
  }
  policy.max_step = ReadCount(j, "max_step", field, false, 1);
  if (const json* m = Member(j, "on_missing_metrics", "", false, "")) {
    const std::string mf = Join(field, "on_missing_metrics");
    if (*m == "hold") {
      policy.on_missing_metrics = MissingMetricsAction::kHold;
    } else if (*m == "scale_up") {
      policy.on_missing_metrics = MissingMetricsAction::kScaleUp;
    } else {
      Error(mf, R"(expected "hold" or "scale_up", got )" + Shown(*m));
    }
  }
  if (const json* p = Member(j, "proportional", "", false, "")) {
    policy.proportional = ParseProportional(*p, Join(field, "proportional"), scale, scale_declared);
  }
  return policy;
}

void Parser::ParseCooldown(const json& j, const std::string& field, ScalingPolicy& policy) {
  if (!ExpectObject(j, field)) return;
  RejectUnknownKeys(j, field, {"up", "down"});
  if (const json* up = Member(j, "up", "", false, "")) {
    if (auto d = ReadDuration(*up, Join(field, "up"))) policy.cooldown_up = *d;
  }
  if (const json* down = Member(j, "down", "", false, "")) {
    if (auto d = ReadDuration(*down, Join(field, "down"))) policy.cooldown_down = *d;
  }
}

std::optional<ProportionalPolicy> Parser::ParseProportional(const json& j, const std::string& field,
                                                            const std::optional<ScaleRules>& scale,
                                                            bool scale_declared) {
  if (!ExpectObject(j, field)) return std::nullopt;
  RejectUnknownKeys(j, field, {"target_latency", "resource"});
  ProportionalPolicy out;
  bool ok = true;
  const std::string tf = Join(field, "target_latency");
  if (const json* t = Member(j, "target_latency", tf, true, "seconds, a number > 0")) {
    auto seconds = ReadDuration(*t, tf);
    if (seconds && *seconds <= 0) Error(tf, "expected seconds, a number > 0, got " + Shown(*t));
    ok = seconds && *seconds > 0;
    if (ok) out.target_latency = *seconds;
  } else {
    ok = false;
  }
  if (const json* r = Member(j, "resource", "", false, "")) {
    auto name = ReadString(*r, Join(field, "resource"));
    ok = ok && name;
    if (name) out.resource = std::move(*name);
  }
  if (!scale) {
    // An invalid scale section has its own errors; the resource cannot be checked against it.
    if (!scale_declared) Error(field, "needs a `scale` section with at least one resource");
    return std::nullopt;
  }
  if (scale->resources().empty()) {
    Error(field, "needs at least one resource in `scale.resources`");
    return std::nullopt;
  }
  if (out.resource.empty()) out.resource = scale->resources().front().name;
  bool declared = false;
  std::string names;
  for (const auto& res : scale->resources()) {
    declared = declared || res.name == out.resource;
    names += (names.empty() ? "" : ", ") + Quoted(res.name);
  }
  if (!declared) {
    Error(Join(field, "resource"),
          "unknown resource " + Quoted(out.resource) + " (declared: " + names + ")");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

std::string ConfigError::ToString() const {
  return field.empty() ? message : field + ": " + message;
}

Result<ScaleConfig, ConfigErrors> ParseScaleConfig(const nlohmann::json& json) {
  Parser parser;
  return parser.Parse(json);
}

Result<ScaleConfig, ConfigErrors> ParseScaleConfig(std::string_view json_text) {
  auto doc = ParseJsonText(json_text);
  if (!doc.ok()) return Unexpected{ConfigErrors{doc.error()}};
  return ParseScaleConfig(*doc);
}

nlohmann::json ScaleConfig::ToJson() const {
  json out = extras.is_object() ? extras : json::object();
  out["min"] = min;
  out["max"] = max;
  if (scale) {
    json resources = json::array();
    for (const auto& r : scale->resources()) {
      resources.push_back(
          {{"name", r.name}, {"monitorer", r.monitorer}, {"identifier", r.identifier}});
    }
    json rule_list = json::array();
    for (const auto& r : scale->rules()) {
      rule_list.push_back({{"name", r.name}, {"expression", r.expression}});
    }
    out["scale"] = {{"resources", std::move(resources)},
                    {"rules", std::move(rule_list)},
                    {"scale_up", scale->scale_up()},
                    {"scale_down", scale->scale_down()}};
  }
  json provide = json::object();
  for (const auto& [capability, value] : dependencies.provide) provide[capability] = value.ToJson();
  out["dependencies"] = {{"provide", std::move(provide)}, {"require", dependencies.require}};
  if (policy != ScalingPolicy{}) {
    json p = {{"reapply_interval", policy.reapply_interval},
              {"cooldown", {{"up", policy.cooldown_up}, {"down", policy.cooldown_down}}},
              {"on_missing_metrics",
               policy.on_missing_metrics == MissingMetricsAction::kHold ? "hold" : "scale_up"}};
    if (policy.max_step) p["max_step"] = *policy.max_step;
    if (policy.proportional) {
      p["proportional"] = {{"resource", policy.proportional->resource},
                           {"target_latency", policy.proportional->target_latency}};
    }
    out["policy"] = std::move(p);
  }
  return out;
}

}  // namespace maiev::config
