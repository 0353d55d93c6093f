#include "api/request_bodies.hpp"

#include <limits>
#include <nlohmann/json.hpp>
#include <set>

namespace maiev::api {
namespace {

using nlohmann::json;

using Members = std::set<std::string, std::less<>>;

std::string Joined(const Members& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The body as a JSON object whose members are all among `accepted`.
Result<json> BodyObject(std::string_view text, const Members& accepted) {
  json body = json::parse(text, nullptr, false);
  if (body.is_discarded()) {
    return Fail("invalid", "body: not JSON (expected an object with " + Joined(accepted) + ")");
  }
  if (!body.is_object()) return Fail("invalid", "body: expected an object, got " + body.dump());
  for (const auto& [key, value] : body.items()) {
    if (!accepted.contains(key)) {
      return Fail("invalid",
                  "body." + key + ": unknown member (accepted: " + Joined(accepted) + ")");
    }
  }
  return body;
}

// "body.NAME: expected WHAT, got VALUE" (or "got nothing" for an absent member).
Unexpected<Error> WrongMember(const json& body, const std::string& name, const std::string& what) {
  const auto it = body.find(name);
  return Fail("invalid", "body." + name + ": expected " + what + ", got " +
                             (it != body.end() ? it->dump() : std::string("nothing")));
}

}  // namespace

Result<ScaleRequest> ParseScaleRequest(std::string_view text) {
  auto body = BodyObject(text, {"replicas", "force"});
  if (!body.ok()) return Unexpected{body.error()};
  ScaleRequest request;
  const auto replicas = body->find("replicas");
  if (replicas == body->end() || !replicas->is_number_integer()) {
    return WrongMember(*body, "replicas", "an integer");
  }
  if (const auto force = body->find("force"); force != body->end()) {
    if (!force->is_boolean()) return WrongMember(*body, "force", "true or false");
    request.force = force->get<bool>();
  }
  constexpr auto kMax = std::numeric_limits<int>::max();
  // Read as unsigned when it is (above INT64_MAX it would wrap), else as signed.
  const bool in_range =
      replicas->is_number_unsigned()
          ? replicas->get<std::uint64_t>() <= std::uint64_t{kMax}
          : replicas->get<std::int64_t>() >= 0 && replicas->get<std::int64_t>() <= kMax;
  if (!in_range) {
    return WrongMember(*body, "replicas", "an integer from 0 to " + std::to_string(kMax));
  }
  request.replicas = replicas->get<int>();
  return request;
}

Result<RuleTestRequest> ParseRuleTestRequest(std::string_view text) {
  auto body = BodyObject(text, {"service", "expression"});
  if (!body.ok()) return Unexpected{body.error()};
  RuleTestRequest request;
  for (const auto& [name, member] :
       {std::pair{"service", &request.service}, std::pair{"expression", &request.expression}}) {
    const auto it = body->find(name);
    if (it == body->end() || !it->is_string()) return WrongMember(*body, name, "a string");
    *member = it->get<std::string>();
  }
  return request;
}

}  // namespace maiev::api
