#include "daemon/served_api.hpp"

#include <string>
#include <utility>
#include <vector>

namespace maiev::daemon {
namespace {

// What /readyz shows: Docker as discovery and the event stream last saw it, the broker as the
// monitor did; no credential in any error.
api::ReadinessSource ReadinessOf(const ServeOptions& options, const ApiComponents& c) {
  const monitor::RabbitMqConfig& mq = options.rabbitmq;
  const std::string amqp = mq.host + ":" + std::to_string(mq.port) + " vhost " + mq.vhost;
  const std::vector<std::string> secrets = {mq.password, options.api.api_token,
                                            options.api.webhook_token, options.api.read_token};
  return [&docker = c.docker, &rabbitmq = c.rabbitmq, &store = c.store, &autoscaler = c.autoscaler,
          amqp, management = mq.management_url, path = options.store_path, secrets] {
    const monitor::BrokerHealth health = rabbitmq.Health();
    api::Readiness readiness{
        {docker.Get(), api::AmqpReadiness(health, amqp),
         api::ManagementReadiness(health, management),
         api::StoreReadiness(store.Get(), path, autoscaler.unrecorded_decisions().waiting)}};
    return api::Redacted(std::move(readiness), secrets);
  };
}

api::HttpApiOptions ApiOptionsOf(const ServeOptions& options, const ApiComponents& c) {
  api::HttpApiOptions api_options = options.api;
  api_options.events = &c.events;
  if (c.elector != nullptr) {
    api_options.leadership = [elector = c.elector] { return elector->Snapshot(); };
  }
  return api_options;
}

}  // namespace

ServedApi::ServedApi(const ServeOptions& options, const ApiComponents& components)
    : api_(ApiOptionsOf(options, components), components.autoscaler, components.upgrades,
           components.store, ReadinessOf(options, components)) {}

Status ServedApi::Start() {
  if (auto st = api_.Bind(); !st.ok()) return st;
  serving_ = std::jthread([this] { api_.Serve(); });
  return {};
}

void ServedApi::Stop() {
  api_.Stop();
  if (serving_.joinable()) serving_.join();
}

}  // namespace maiev::daemon
