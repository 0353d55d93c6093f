#include "api/readiness.hpp"

#include <utility>

#include "common/redact.hpp"
#include "common/time_format.hpp"

namespace maiev::api {
namespace {

const char* StateName(ComponentReadiness::State state) {
  switch (state) {
    case ComponentReadiness::State::kConnecting:
      return "connecting";
    case ComponentReadiness::State::kReachable:
      return "reachable";
    case ComponentReadiness::State::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

ComponentReadiness FromHealth(std::string name, std::string address, bool reachable,
                              const std::optional<Error>& error) {
  ComponentReadiness c;
  c.name = std::move(name);
  c.address = std::move(address);
  if (reachable) {
    c.state = ComponentReadiness::State::kReachable;
  } else if (error) {
    c.state = ComponentReadiness::State::kUnreachable;
    c.error = error->message;
  }
  return c;
}

}  // namespace

bool Readiness::ready() const {
  for (const auto& c : components) {
    if (!c.ready()) return false;
  }
  return true;
}

std::vector<std::string> Readiness::WaitingFor() const {
  std::vector<std::string> names;
  for (const auto& c : components) {
    if (!c.ready()) names.push_back(c.name);
  }
  return names;
}

nlohmann::json ToJson(const Readiness& readiness) {
  nlohmann::json components = nlohmann::json::array();
  for (const auto& c : readiness.components) {
    nlohmann::json j = {{"name", c.name}, {"address", c.address}, {"state", StateName(c.state)}};
    if (c.error) j["error"] = *c.error;
    if (c.since) j["since"] = FormatUtcSeconds(*c.since);
    components.push_back(std::move(j));
  }
  return {{"ready", readiness.ready()},
          {"waiting_for", readiness.WaitingFor()},
          {"components", std::move(components)}};
}

Readiness Redacted(Readiness readiness, const std::vector<std::string>& secrets) {
  for (auto& c : readiness.components) {
    if (!c.error) continue;
    for (const auto& secret : secrets) c.error = Redact(std::move(*c.error), secret);
  }
  return readiness;
}

ComponentReadiness StoreReadiness(const store::StoreHealthState& health, std::string path,
                                  std::size_t decisions_waiting) {
  ComponentReadiness c;
  c.name = "store";
  c.address = std::move(path);
  if (health.writable) {
    c.state = ComponentReadiness::State::kReachable;
    return c;
  }
  c.state = ComponentReadiness::State::kUnreachable;
  c.error = health.last_error.value_or("a write failed");
  if (decisions_waiting > 0) {
    c.error->append("; ").append(std::to_string(decisions_waiting));
    c.error->append(decisions_waiting == 1 ? " decision waits" : " decisions wait");
    c.error->append(" in memory to be recorded");
  }
  c.since = health.since;
  return c;
}

ComponentReadiness AmqpReadiness(const monitor::BrokerHealth& health, std::string address) {
  return FromHealth("rabbitmq_amqp", std::move(address), health.amqp_reachable, health.amqp_error);
}

ComponentReadiness ManagementReadiness(const monitor::BrokerHealth& health, std::string address) {
  return FromHealth("rabbitmq_management", std::move(address), health.management_reachable,
                    health.management_error);
}

DockerReadiness::DockerReadiness(std::string address) {
  state_.name = "docker";
  state_.address = std::move(address);
}

void DockerReadiness::Listed(const Status& outcome, TimePoint at) {
  std::lock_guard lock(mutex_);
  if (!outcome.ok()) return Unreachable(outcome.error(), at);
  Reachable();
}

void DockerReadiness::StreamUp() {
  std::lock_guard lock(mutex_);
  Reachable();
}

void DockerReadiness::StreamFailed(const Error& error, TimePoint at) {
  std::lock_guard lock(mutex_);
  Unreachable(error, at);
}

void DockerReadiness::Reachable() {
  state_.state = ComponentReadiness::State::kReachable;
  state_.error.reset();
  state_.since.reset();
}

void DockerReadiness::Unreachable(const Error& error, TimePoint at) {
  if (state_.state != ComponentReadiness::State::kUnreachable) state_.since = at;
  state_.state = ComponentReadiness::State::kUnreachable;
  state_.error = error.message;
}

ComponentReadiness DockerReadiness::Get() const {
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace maiev::api
