// Fresh queue counts over AMQP 0-9-1: a passive queue.declare answers with the ready-message and
// consumer counts of an existing queue, or closes the channel with 404 when there is none.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

struct amqp_connection_state_t_;  // librabbitmq's connection, kept out of this header

namespace maiev::monitor {

struct AmqpEndpoint {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string vhost = "/";
  std::string user;
  std::string password;
};

// Bounds of every AMQP call. A timed-out call closes the connection; the next call reconnects
// (the caller spaces reconnections with its backoff policy).
struct AmqpTimeouts {
  Duration connect{2.0};    // TCP connect
  Duration handshake{5.0};  // AMQP login
  Duration rpc{2.0};        // each method call: channel.open, queue.declare, close
};

struct QueueCounts {
  bool exists = false;
  std::uint64_t waiting = 0;    // messages ready for delivery
  std::uint64_t consumers = 0;  // consumers attached
  friend bool operator==(const QueueCounts&, const QueueCounts&) = default;
};

// One long-lived connection and channel, opened on first use. Not thread-safe: one thread uses a
// probe at a time. Credentials never reach an error message.
class AmqpQueueProbe {
 public:
  explicit AmqpQueueProbe(AmqpEndpoint endpoint, AmqpTimeouts timeouts = {});
  ~AmqpQueueProbe();  // closes the connection
  AmqpQueueProbe(const AmqpQueueProbe&) = delete;
  AmqpQueueProbe& operator=(const AmqpQueueProbe&) = delete;

  // Passive queue.declare of `queue`, connecting first when needed. A missing queue is
  // exists=false (the channel the broker closed is reopened on the next call).
  // Error codes: "unavailable" (connection refused, lost or timed out; the connection is dropped),
  // "auth" (login or vhost access refused), "denied" (the broker refused this queue, e.g. 405 for
  // another connection's exclusive queue; the connection stays usable), "invalid" (not a queue
  // name).
  Result<QueueCounts> Declare(const std::string& queue);

  // The same for many queues, pipelined: up to kPipelineWindow declares are written at once and
  // their replies read together, so a cycle over N queues costs about N / kPipelineWindow round
  // trips and system calls instead of N. One result per queue, in order: counts, or "denied" /
  // "invalid" for that queue. The whole call fails ("unavailable", "auth") when the connection
  // does.
  Result<std::vector<Result<QueueCounts>>> DeclareAll(std::span<const std::string> queues);
  static constexpr std::size_t kPipelineWindow = 256;

  // Connects and opens the channel when needed; the errors of Declare. For a cycle with no
  // queue to declare, so that an unreachable broker is known before a queue needs it.
  Status Ready();

  bool connected() const { return conn_ != nullptr; }
  void Disconnect();

 private:
  Status Connect();
  Status OpenChannel();
  // Writes one passive declare per queue of `batch` in as few TCP segments as possible, then
  // reads the replies into `out`, first letting them accumulate when `expect_all` (every queue is
  // expected to exist). Returns how many replies were read before the broker closed
  // the channel (batch.size() when it did not); the queues after that one got no answer.
  Result<std::size_t> DeclareBatch(std::span<const std::string> queues,
                                   std::span<const std::size_t> batch, bool expect_all,
                                   std::vector<Result<QueueCounts>>& out);
  // Closes the socket without the AMQP close handshake (the connection is already broken).
  void Drop();
  std::string Where() const;

  AmqpEndpoint endpoint_;
  AmqpTimeouts timeouts_;
  amqp_connection_state_t_* conn_ = nullptr;
  bool channel_open_ = false;
  // Queues whose last passive declare the broker answered by closing the channel (missing or
  // refused).
  std::unordered_set<std::string> unanswered_;
};

}  // namespace maiev::monitor
