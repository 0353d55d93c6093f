// The JSON bodies of the API's requests that belong to no other folder (a scale config is
// config's, a webhook delivery registry's), decoded without HTTP so that they are tested and
// fuzzed on their own. Pure. Errors: code "invalid", naming the member (`body.replicas`), what it
// got and what is accepted.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace maiev::api {

// POST /api/v1/services/{name}/scale: {"replicas": N, "force": true|false (optional)}, N from 0
// to INT_MAX.
struct ScaleRequest {
  int replicas = 0;
  bool force = false;
};
Result<ScaleRequest> ParseScaleRequest(std::string_view body);

// POST /api/v1/rules/test: {"service": NAME, "expression": TEXT}.
struct RuleTestRequest {
  std::string service;
  std::string expression;
};
Result<RuleTestRequest> ParseRuleTestRequest(std::string_view body);

}  // namespace maiev::api
