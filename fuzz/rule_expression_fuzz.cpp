// Rule expressions (src/rules): any text is lexed, parsed and bound; what compiles is evaluated,
// explained and evaluated over several values per slot. Invariants: an error's column lies in
// the text (or one past it) and its message can be sent as JSON; what compiles also parses unbound;
// an explanation and EvaluateAny with one value per slot agree with Evaluate.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "rules/expression.hpp"

namespace maiev::rules {
namespace {

// Binds every name to a slot in order of first appearance, except names under `nope` (an
// unknown name); names ending in `since` are durations, as `rules:X:since` is.
class AnyNameBinder final : public Binder {
 public:
  Result<Binding, std::string> Bind(const Reference& ref) override {
    if (!ref.segments.empty() && ref.segments.front() == "nope") {
      return Unexpected<std::string>{"unknown name `" + ref.Text() + "`"};
    }
    const auto [it, inserted] = slots_.try_emplace(ref.Text(), slots_.size());
    const bool since = !ref.segments.empty() && ref.segments.back() == "since";
    return Binding{it->second, since ? SlotType::kDuration : SlotType::kValue};
  }
  std::size_t size() const { return slots_.size(); }

 private:
  std::map<std::string, std::uint32_t> slots_;
};

void CheckColumn(const Diagnostic& d, std::string_view text) {
  fuzz::Check(d.column >= 1 && static_cast<std::size_t>(d.column) <= text.size() + 1);
  fuzz::CheckMessage(d.message);
}

// Values of every kind, so that each comparison meets each pair of kinds.
std::vector<Value> SampleValues() {
  return {Value(),
          Value::Bool(true),
          Value::Number(0),
          Value::Number(0.2),
          Value::Number(-1),
          Value::Number(INFINITY),
          Value::Number(NAN),
          Value::String(""),
          Value::String("run"),
          Value::List({Value::Number(1), Value::String("a")})};
}

}  // namespace
}  // namespace maiev::rules

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace maiev::rules;  // NOLINT(google-build-using-namespace): one short function
  const std::string_view text = maiev::fuzz::Text(data, size);

  if (auto seconds = ParseDuration(text); seconds.ok()) {
    maiev::fuzz::Check(*seconds >= 0);
  } else {
    maiev::fuzz::CheckMessage(seconds.error());
  }
  auto references = Expression::References(text);
  if (!references.ok()) CheckColumn(references.error(), text);

  AnyNameBinder binder;
  auto compiled = Expression::Compile(text, binder);
  if (!compiled.ok()) {
    CheckColumn(compiled.error(), text);
    return 0;
  }
  maiev::fuzz::Check(references.ok());
  maiev::fuzz::Check(compiled->text() == text);

  const std::vector<Value> samples = SampleValues();
  std::vector<Value> slots(binder.size());
  for (const Value& sample : samples) {
    std::fill(slots.begin(), slots.end(), sample);
    const bool value = compiled->Evaluate(slots);
    maiev::fuzz::Check(compiled->Explain(slots).value == value);
  }
  // Slot i reads sample i (mod the number of samples): mixed kinds in one pass.
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = samples[i % samples.size()];
  const bool mixed = compiled->Evaluate(slots);
  maiev::fuzz::Check(compiled->Explain(slots).value == mixed);
  // One value per slot reads the same through EvaluateAny.
  std::vector<std::vector<Value>> single;
  single.reserve(slots.size());
  for (const Value& v : slots) single.push_back({v});
  maiev::fuzz::Check(compiled->EvaluateAny(single) == mixed);

  std::vector<std::vector<Value>> any(binder.size(), samples);
  static_cast<void>(compiled->EvaluateAny(any));
  any.assign(binder.size(), {});
  static_cast<void>(compiled->EvaluateAny(any));
  return 0;
}
