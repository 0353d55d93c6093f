#include "api/request_bodies.hpp"

#include <gtest/gtest.h>

namespace maiev::api {
namespace {

std::string ScaleError(std::string_view body) {
  auto request = ParseScaleRequest(body);
  EXPECT_FALSE(request.ok()) << body;
  if (request.ok()) return {};
  EXPECT_EQ(request.error().code, "invalid");
  return request.error().message;
}

TEST(ScaleRequest, ReadsReplicasAndForce) {
  auto request = ParseScaleRequest(R"({"replicas": 3, "force": true})");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->replicas, 3);
  EXPECT_TRUE(request->force);
  auto plain = ParseScaleRequest(R"({"replicas": 0})");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->replicas, 0);
  EXPECT_FALSE(plain->force);
}

TEST(ScaleRequest, NamesTheMemberThatDoesNotFit) {
  EXPECT_EQ(ScaleError("[1]"), "body: expected an object, got [1]");
  EXPECT_EQ(ScaleError("{"), "body: not JSON (expected an object with force, replicas)");
  EXPECT_EQ(ScaleError(R"({"replica": 1})"),
            "body.replica: unknown member (accepted: force, replicas)");
  EXPECT_EQ(ScaleError("{}"), "body.replicas: expected an integer, got nothing");
  EXPECT_EQ(ScaleError(R"({"replicas": 1.5})"), "body.replicas: expected an integer, got 1.5");
  EXPECT_EQ(ScaleError(R"({"replicas": 1, "force": 1})"),
            "body.force: expected true or false, got 1");
}

TEST(ScaleRequest, RefusesReplicasOutOfRangeAsWritten) {
  EXPECT_EQ(ScaleError(R"({"replicas": -1})"),
            "body.replicas: expected an integer from 0 to 2147483647, got -1");
  EXPECT_EQ(ScaleError(R"({"replicas": 2147483648})"),
            "body.replicas: expected an integer from 0 to 2147483647, got 2147483648");
  // Above INT64_MAX: not wrapped to a negative number.
  EXPECT_EQ(ScaleError(R"({"replicas": 18446744073709551615})"),
            "body.replicas: expected an integer from 0 to 2147483647, got 18446744073709551615");
  auto most = ParseScaleRequest(R"({"replicas": 2147483647})");
  ASSERT_TRUE(most.ok());
  EXPECT_EQ(most->replicas, 2147483647);
}

TEST(RuleTestRequest, ReadsServiceAndExpression) {
  auto request = ParseRuleTestRequest(R"({"service": "worker", "expression": "rmq:waiting > 1"})");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->service, "worker");
  EXPECT_EQ(request->expression, "rmq:waiting > 1");
}

TEST(RuleTestRequest, NamesTheMemberThatDoesNotFit) {
  auto missing = ParseRuleTestRequest(R"({"service": "worker"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "body.expression: expected a string, got nothing");
  auto wrong = ParseRuleTestRequest(R"({"service": 1, "expression": "x"})");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "body.service: expected a string, got 1");
}

}  // namespace
}  // namespace maiev::api
