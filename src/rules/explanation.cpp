#include "rules/explanation.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

namespace maiev::rules {
namespace {

// "2.500" → "2.5", "133.000" → "133".
std::string TrimZeros(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

// The value of a name or literal as shown in a line.
std::string Shown(const TermOperand& operand) {
  const Value& value = operand.value;
  if (operand.kind == TermOperand::Kind::kResource) return value.Truthy() ? "true" : "false";
  if (value.kind() == Value::Kind::kNumber) {
    return operand.duration ? FormatDuration(value.AsNumber()) : FormatNumber(value.AsNumber());
  }
  return value.ToString();
}

// A rule referred to with its value of this pass: its own terms explain it.
std::optional<size_t> ExpandableRule(const TermOperand& operand) {
  if (operand.kind != TermOperand::Kind::kRule || operand.previous_pass) return std::nullopt;
  return operand.rule;
}

std::string_view KindName(TermOperand::Kind kind) {
  switch (kind) {
    case TermOperand::Kind::kLiteral:
      return "literal";
    case TermOperand::Kind::kName:
      return "name";
    case TermOperand::Kind::kResource:
      return "resource";
    case TermOperand::Kind::kMetric:
      return "metric";
    case TermOperand::Kind::kRule:
      return "rule";
    case TermOperand::Kind::kRuleSince:
      return "rule_since";
    case TermOperand::Kind::kExpression:
      return "expression";
  }
  return "name";
}

std::string_view KindName(Term::Kind kind) {
  switch (kind) {
    case Term::Kind::kTruth:
      return "truth";
    case Term::Kind::kCompare:
      return "compare";
    case Term::Kind::kIn:
      return "in";
    case Term::Kind::kNot:
      return "not";
  }
  return "truth";
}

// Renders terms into one line; each rule is expanded the first time it appears.
class LineWriter {
 public:
  // `follow_rules`: a rule referred to with its value of this pass is followed by its terms.
  LineWriter(const Explanation& explanation, bool follow_rules)
      : explanation_(explanation), expanded_(explanation.rules.size(), !follow_rules) {}

  std::string Trigger(std::string_view name, const Trace& trace) {
    std::string out(name);
    if (trace.never) return out + " never (blank expression)";
    out += trace.value ? ": " : " false: ";
    return out + Terms(trace.terms);
  }

  std::string Terms(const std::vector<Term>& terms) {
    std::string out;
    for (const Term& term : terms) {
      if (!out.empty()) out += ", ";
      out += One(term);
    }
    return out;
  }

 private:
  // After `←`: one term as is, several in parentheses, so that a `,` that follows belongs to
  // the enclosing list.
  std::string Nested(const std::vector<Term>& terms) {
    if (terms.size() == 1) return One(terms.front());
    return "(" + Terms(terms) + ")";
  }

  std::string One(const Term& term) {
    std::string out;
    switch (term.kind) {
      case Term::Kind::kTruth:
        out = Operand(term.lhs, true);
        break;
      case Term::Kind::kCompare:
      case Term::Kind::kIn:
        out = Operand(term.lhs, false) + " " + term.op + " " + Operand(term.rhs, false);
        if (!term.value) out += " is false";
        break;
      case Term::Kind::kNot:
        out = term.text + (term.value ? "" : " is false") + " ← " + Nested(term.because);
        break;
    }
    for (const TermOperand* operand : {&term.lhs, &term.rhs}) {
      const auto rule = ExpandableRule(*operand);
      if (!rule || *rule >= expanded_.size() || expanded_[*rule]) continue;
      expanded_[*rule] = true;
      out += " ← " + Nested(explanation_.rules[*rule].trace.terms);
    }
    return out;
  }

  // `rmq:latency 133`, `rules:panic false`, `3`, `25s`; a bare rule or resource that holds is
  // its name alone.
  static std::string Operand(const TermOperand& operand, bool truth) {
    if (operand.kind == TermOperand::Kind::kLiteral) {
      const bool seconds = operand.duration && operand.value.kind() == Value::Kind::kNumber;
      return seconds ? FormatDuration(operand.value.AsNumber()) : operand.text;
    }
    std::string out = operand.text;
    const bool holds = operand.value.Truthy();
    const bool bare =
        operand.kind == TermOperand::Kind::kRule || operand.kind == TermOperand::Kind::kResource;
    if (!(truth && bare && holds)) out += " " + Shown(operand);
    if (operand.no_sample) out += " (no sample)";
    if (operand.previous_pass) out += " (last pass)";
    return out;
  }

  const Explanation& explanation_;
  std::vector<bool> expanded_;
};

nlohmann::json OperandJson(const TermOperand& operand, const Explanation& explanation) {
  // Keys set one by one: nlohmann's initializer lists copy every value twice.
  nlohmann::json out = nlohmann::json::object();
  out["kind"] = KindName(operand.kind);
  out["text"] = operand.text;
  out["value"] = operand.value.ToJson();
  out["shown"] = Shown(operand);
  if (operand.duration) out["duration"] = true;
  if (operand.no_sample) out["no_sample"] = true;
  if (operand.rule && *operand.rule < explanation.rules.size()) {
    out["rule"] = explanation.rules[*operand.rule].name;
  }
  if (operand.previous_pass) out["previous_pass"] = true;
  return out;
}

nlohmann::json TermsJson(const std::vector<Term>& terms, const Explanation& explanation);

nlohmann::json TermJson(const Term& term, const Explanation& explanation) {
  nlohmann::json out = nlohmann::json::object();
  out["kind"] = KindName(term.kind);
  out["text"] = term.text;
  out["value"] = term.value;
  switch (term.kind) {
    case Term::Kind::kTruth:
      out["operand"] = OperandJson(term.lhs, explanation);
      break;
    case Term::Kind::kCompare:
    case Term::Kind::kIn:
      out["op"] = term.op;
      out["lhs"] = OperandJson(term.lhs, explanation);
      out["rhs"] = OperandJson(term.rhs, explanation);
      break;
    case Term::Kind::kNot:
      out["because"] = TermsJson(term.because, explanation);
      break;
  }
  return out;
}

nlohmann::json TermsJson(const std::vector<Term>& terms, const Explanation& explanation) {
  nlohmann::json out = nlohmann::json::array();
  for (const Term& term : terms) out.push_back(TermJson(term, explanation));
  return out;
}

nlohmann::json TraceJson(const Trace& trace, const Explanation& explanation) {
  nlohmann::json out = nlohmann::json::object();
  out["value"] = trace.value;
  out["terms"] = TermsJson(trace.terms, explanation);
  if (trace.never) out["never"] = true;
  return out;
}

// Marks the rules `terms` expand into, transitively.
void MarkRules(const std::vector<Term>& terms, const Explanation& explanation,
               std::vector<bool>& marked) {
  for (const Term& term : terms) {
    MarkRules(term.because, explanation, marked);
    for (const TermOperand* operand : {&term.lhs, &term.rhs}) {
      const auto rule = ExpandableRule(*operand);
      if (!rule || *rule >= marked.size() || marked[*rule]) continue;
      marked[*rule] = true;
      MarkRules(explanation.rules[*rule].trace.terms, explanation, marked);
    }
  }
}

}  // namespace

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  const double magnitude = std::fabs(value);
  if (magnitude < 1 || magnitude >= 1e15) return Printf("%.3g", value);
  return TrimZeros(Printf("%.3f", value));
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds)) return FormatNumber(seconds) + "s";
  if (std::fabs(seconds) < 60) return TrimZeros(Printf("%.1f", seconds)) + "s";
  const auto total = static_cast<long long>(std::llround(std::fabs(seconds)));
  const long long hours = total / 3600;
  const long long minutes = total % 3600 / 60;
  const long long rest = total % 60;
  std::string out = seconds < 0 ? "-" : "";
  if (hours > 0) out += std::to_string(hours) + "h";
  if (minutes > 0) out += std::to_string(minutes) + "m";
  if (rest > 0) out += std::to_string(rest) + "s";
  return out;
}

std::string Explanation::TermsText(const Trace& trace) const {
  return LineWriter(*this, false).Terms(trace.terms);
}

std::string Explanation::ToString() const {
  LineWriter writer(*this, true);
  if (scale_up.value) return writer.Trigger("scale_up", scale_up);
  if (scale_down.value) {
    // It fired because scale_up did not; a blank scale_up never does, which goes without saying.
    std::string out = writer.Trigger("scale_down", scale_down);
    if (scale_up.never) return out;
    return out + "; " + writer.Trigger("scale_up", scale_up);
  }
  std::string out = writer.Trigger("scale_up", scale_up);
  return out + "; " + writer.Trigger("scale_down", scale_down);
}

nlohmann::json Explanation::ToJson() const {
  std::vector<bool> marked(rules.size(), false);
  MarkRules(scale_up.terms, *this, marked);
  MarkRules(scale_down.terms, *this, marked);
  nlohmann::json referred = nlohmann::json::object();
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!marked[i]) continue;
    const RuleTrace& rule = rules[i];
    referred[rule.name] = {{"value", rule.value},
                           {"since_seconds", rule.since_seconds},
                           {"changed", rule.changed},
                           {"terms", TermsJson(rule.trace.terms, *this)}};
  }
  return {{"scale_up", TraceJson(scale_up, *this)},
          {"scale_down", TraceJson(scale_down, *this)},
          {"rules", std::move(referred)},
          {"text", ToString()}};
}

}  // namespace maiev::rules
