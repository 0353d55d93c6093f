#include "rules/value.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace maiev::rules {

Value Value::Bool(bool b) {
  Value v;
  v.v_ = b;
  return v;
}

Value Value::Number(double d) {
  Value v;
  v.v_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.v_ = std::move(s);
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.v_ = std::move(items);
  return v;
}

Value Value::FromJson(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::boolean:
      return Bool(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return Number(j.get<double>());
    case nlohmann::json::value_t::string:
      return String(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(FromJson(item));
      return List(std::move(items));
    }
    case nlohmann::json::value_t::object:
      return String(j.dump());
    default:  // null, binary, discarded
      return Value();
  }
}

bool Value::Truthy() const {
  switch (kind()) {
    case Kind::kNull:
      return false;
    case Kind::kBool:
      return AsBool();
    case Kind::kNumber:
      return AsNumber() != 0 && !std::isnan(AsNumber());
    case Kind::kString:
      return !AsString().empty();
    case Kind::kList:
      return !AsList().empty();
  }
  return false;
}

namespace {

// Integral numbers within the exactly representable range become JSON integers ("5", not "5.0").
bool IsExactInteger(double d) {
  constexpr double kLimit = 9007199254740992.0;  // 2^53
  return std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= kLimit;
}

std::string FormatNumber(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (ec != std::errc()) return "?";
  return std::string(buf, end);
}

}  // namespace

nlohmann::json Value::ToJson() const {
  switch (kind()) {
    case Kind::kNull:
      return nullptr;
    case Kind::kBool:
      return AsBool();
    case Kind::kNumber:
      if (IsExactInteger(AsNumber())) return static_cast<int64_t>(AsNumber());
      // JSON has no infinity: "inf" / "-inf" say it (a latency with nothing draining the queue);
      // NaN never comes out of the monitor and stays null.
      if (std::isinf(AsNumber())) return AsNumber() > 0 ? "inf" : "-inf";
      if (std::isnan(AsNumber())) return nullptr;
      return AsNumber();
    case Kind::kString:
      return AsString();
    case Kind::kList: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : AsList()) array.push_back(item.ToJson());
      return array;
    }
  }
  return nullptr;
}

std::string Value::ToString() const {
  switch (kind()) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return AsBool() ? "true" : "false";
    case Kind::kNumber:
      return FormatNumber(AsNumber());
    case Kind::kString:
      return nlohmann::json(AsString())
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    case Kind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < AsList().size(); ++i) {
        if (i > 0) out += ", ";
        out += AsList()[i].ToString();
      }
      return out + "]";
    }
  }
  return "null";
}

}  // namespace maiev::rules
