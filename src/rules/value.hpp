// Runtime values of the rule language (SPEC §3): null, boolean, number, string, list.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <variant>
#include <vector>

namespace maiev::rules {

// A value read from metrics, provides, or a literal. Cheap to move; copying a string or list
// value allocates. Thread-compatible.
class Value {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kList };

  Value() = default;  // null
  static Value Bool(bool b);
  static Value Number(double d);
  static Value String(std::string s);
  static Value List(std::vector<Value> items);
  // JSON null/bool/number/string/array map to the same kinds; an object becomes its compact JSON
  // text as a string (catalogs carry type descriptions such as {"str": "str"}).
  static Value FromJson(const nlohmann::json& j);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }

  // REQUIRES: kind() matches.
  bool AsBool() const { return std::get<bool>(v_); }
  double AsNumber() const { return std::get<double>(v_); }
  const std::string& AsString() const { return std::get<std::string>(v_); }
  const std::vector<Value>& AsList() const { return std::get<std::vector<Value>>(v_); }

  // The truth value of a bare reference: null → false, bool as is, number ≠ 0, string and list
  // non-empty.
  bool Truthy() const;

  nlohmann::json ToJson() const;
  std::string ToString() const;  // for messages: `null`, `true`, `0.2`, `"x"`, `[1, 2]`

  friend bool operator==(const Value&, const Value&) = default;

 private:
  std::variant<std::monostate, bool, double, std::string, std::vector<Value>> v_;
};

}  // namespace maiev::rules
