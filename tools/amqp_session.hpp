// A minimal blocking AMQP 0-9-1 session (one connection, one channel) for the test workload
// programs. Not thread-safe: one session per thread.
#pragma once

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace maiev::tools {

// Where the broker is; read from RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USER,
// RABBITMQ_PASSWORD and RABBITMQ_VHOST, with the local stack's values as defaults.
struct AmqpSettings {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";

  static Result<AmqpSettings> FromEnvironment();
  std::string Describe() const;  // host:port/vhost, never the credentials
};

struct Delivery {
  std::uint64_t delivery_tag = 0;
  std::string body;
};

class AmqpSession {
 public:
  // Connects, logs in and opens channel 1; the TCP connect is bounded by kConnectTimeout.
  static Result<std::unique_ptr<AmqpSession>> Open(const AmqpSettings& settings);
  ~AmqpSession();
  AmqpSession(const AmqpSession&) = delete;
  AmqpSession& operator=(const AmqpSession&) = delete;

  // Declares a non-durable, non-exclusive queue that is not auto-deleted: it outlives its
  // consumers but not a broker restart. Every workload program declares it the same way.
  Status DeclareQueue(const std::string& queue);
  Status DeleteQueue(const std::string& queue);
  // Publishes a transient message through the default exchange, stamped with the time it was
  // sent (seconds since the epoch) so the broker can report the age of the head message.
  Status Publish(const std::string& queue, const std::string& body, std::int64_t timestamp_seconds);
  Status SetPrefetch(std::uint16_t count);
  Status Consume(const std::string& queue);  // manual acknowledgement
  // Waits up to `wait` for a delivery; nullopt when none arrived in that time.
  Result<std::optional<Delivery>> Next(std::chrono::milliseconds wait);
  Status Ack(std::uint64_t delivery_tag);

 private:
  explicit AmqpSession(amqp_connection_state_t connection) : connection_(connection) {}
  Status CheckReply(const char* what);

  amqp_connection_state_t connection_;
  bool channel_open_ = false;
};

}  // namespace maiev::tools
