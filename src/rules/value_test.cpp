#include "rules/value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace maiev::rules {
namespace {

using nlohmann::json;

TEST(Value, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.kind(), Value::Kind::kNull);
}

TEST(Value, FromJsonMapsEveryKind) {
  EXPECT_TRUE(Value::FromJson(json(nullptr)).is_null());
  EXPECT_EQ(Value::FromJson(json(true)), Value::Bool(true));
  EXPECT_EQ(Value::FromJson(json(3)), Value::Number(3));
  EXPECT_EQ(Value::FromJson(json(3u)), Value::Number(3));
  EXPECT_EQ(Value::FromJson(json(0.2)), Value::Number(0.2));
  EXPECT_EQ(Value::FromJson(json("x")), Value::String("x"));
  EXPECT_EQ(Value::FromJson(json::parse(R"([1, "a", [true], null])")),
            Value::List(
                {Value::Number(1), Value::String("a"), Value::List({Value::Bool(true)}), Value()}));
}

TEST(Value, FromJsonTurnsObjectsIntoTheirCompactText) {
  EXPECT_EQ(Value::FromJson(json::parse(R"({"str": "str"})")), Value::String(R"({"str":"str"})"));
}

TEST(Value, ToJsonRoundTrips) {
  json original = json::parse(R"([null, true, false, 5, 0.25, -3, "s", ["nested", 1]])");
  EXPECT_EQ(Value::FromJson(original).ToJson(), original);
}

TEST(Value, ToJsonWritesIntegralNumbersAsIntegers) {
  EXPECT_EQ(Value::Number(5).ToJson().dump(), "5");
  EXPECT_EQ(Value::Number(0.5).ToJson().dump(), "0.5");
  EXPECT_TRUE(Value::Number(std::nan("")).ToJson().is_null());
}

TEST(Value, TruthyFollowsTheLanguage) {
  EXPECT_FALSE(Value().Truthy());
  EXPECT_TRUE(Value::Bool(true).Truthy());
  EXPECT_FALSE(Value::Bool(false).Truthy());
  EXPECT_TRUE(Value::Number(0.001).Truthy());
  EXPECT_TRUE(Value::Number(-1).Truthy());
  EXPECT_FALSE(Value::Number(0).Truthy());
  EXPECT_FALSE(Value::Number(std::nan("")).Truthy());
  EXPECT_TRUE(Value::String("x").Truthy());
  EXPECT_FALSE(Value::String("").Truthy());
  EXPECT_TRUE(Value::List({Value()}).Truthy());
  EXPECT_FALSE(Value::List({}).Truthy());
}

TEST(Value, ToStringForMessages) {
  EXPECT_EQ(Value().ToString(), "null");
  EXPECT_EQ(Value::Bool(true).ToString(), "true");
  EXPECT_EQ(Value::Number(0.2).ToString(), "0.2");
  EXPECT_EQ(Value::Number(12).ToString(), "12");
  EXPECT_EQ(Value::String("x\"y").ToString(), R"("x\"y")");
  EXPECT_EQ(Value::List({Value::Number(1), Value::Number(2)}).ToString(), "[1, 2]");
  EXPECT_EQ(Value::Number(std::numeric_limits<double>::infinity()).ToString(), "inf");
}

TEST(Value, ToJsonWritesInfinityAsAString) {
  EXPECT_EQ(Value::Number(std::numeric_limits<double>::infinity()).ToJson(), "inf");
  EXPECT_EQ(Value::Number(-std::numeric_limits<double>::infinity()).ToJson(), "-inf");
  EXPECT_TRUE(Value::Number(std::numeric_limits<double>::quiet_NaN()).ToJson().is_null());
}

TEST(Value, EqualityIsByKindAndContent) {
  EXPECT_EQ(Value::String("a"), Value::String("a"));
  EXPECT_NE(Value::String("a"), Value::String("b"));
  EXPECT_NE(Value::Number(1), Value::Bool(true));
  EXPECT_EQ(Value(), Value());
}

}  // namespace
}  // namespace maiev::rules
