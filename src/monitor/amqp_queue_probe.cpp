#include "monitor/amqp_queue_probe.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/redact.hpp"

namespace maiev::monitor {
namespace {

constexpr amqp_channel_t kChannel = 1;
constexpr int kFrameMax = 131072;  // librabbitmq's default
constexpr int kHeartbeatOff = 0;   // a dead broker is detected by the RPC timeout instead
constexpr std::size_t kMaxQueueNameBytes = 255;  // AMQP shortstr
constexpr int kNotFound = 404;                   // AMQP reply code of a missing queue
constexpr int kAccessRefused = 403;              // login refused
constexpr int kNotAllowed = 530;  // vhost access refused, also when the vhost does not exist

// A queue.declare-ok frame without its queue name: frame header 7, method id 4, name length 1,
// message and consumer counts 8, frame end 1.
constexpr int kDeclareOkFrameBytes = 21;
// How long to let a batch's replies accumulate before reading them, and how many bytes at most
// to wait for (the kernel caps SO_RCVLOWAT by the receive buffer).
constexpr int kReplyCoalesceMs = 100;
constexpr int kMaxReplyLowWater = 16 * 1024;

// Waits until `bytes` can be read from `fd` or kReplyCoalesceMs passed, so the replies of a
// pipelined batch are read in a few system calls instead of about one per reply (the broker
// answers each declare on its own). Best effort: whatever happens, the reads that follow are
// bounded by the RPC timeout.
void AwaitBytes(int fd, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) != 0) return;
  pollfd readable{fd, POLLIN, 0};
  poll(&readable, 1, kReplyCoalesceMs);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
}

timeval ToTimeval(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  return tv;
}

std::string ServerText(amqp_bytes_t text) {
  return std::string(static_cast<const char*>(text.bytes), text.len);
}

// Classifies a failed RPC and leaves the probe consistent: a channel the broker closed is
// acknowledged and marked closed; a connection that is closed or broken is dropped.
Error FailedReply(amqp_connection_state_t conn, const amqp_rpc_reply_t& reply, bool& channel_open,
                  bool& connection_broken) {
  connection_broken = false;
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      connection_broken = true;
      return Error{"protocol", "the broker sent no reply"};
    case AMQP_RESPONSE_NONE:
      connection_broken = true;
      return Error{"protocol", "missing RPC reply"};
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      connection_broken = true;
      return Error{"unavailable", amqp_error_string2(reply.library_error)};
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
    amqp_channel_close_ok_t ok{};
    if (amqp_send_method(conn, kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) != AMQP_STATUS_OK) {
      connection_broken = true;
    }
    channel_open = false;
    const std::string code = close->reply_code == kNotFound ? "not_found" : "denied";
    return Error{code, ServerText(close->reply_text)};
  }
  connection_broken = true;
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
    amqp_connection_close_ok_t ok{};
    amqp_send_method(conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    const bool refused = close->reply_code == kAccessRefused || close->reply_code == kNotAllowed;
    const std::string code = refused ? "auth" : "unavailable";
    return Error{code, "connection closed by the broker: " + ServerText(close->reply_text)};
  }
  return Error{"protocol", "unexpected method in reply"};
}

}  // namespace

AmqpQueueProbe::AmqpQueueProbe(AmqpEndpoint endpoint, AmqpTimeouts timeouts)
    : endpoint_(std::move(endpoint)), timeouts_(timeouts) {}

AmqpQueueProbe::~AmqpQueueProbe() { Disconnect(); }

std::string AmqpQueueProbe::Where() const {
  return "AMQP " + endpoint_.host + ":" + std::to_string(endpoint_.port) + " vhost `" +
         endpoint_.vhost + "`";
}

void AmqpQueueProbe::Drop() {
  if (conn_) amqp_destroy_connection(conn_);
  conn_ = nullptr;
  channel_open_ = false;
}

void AmqpQueueProbe::Disconnect() {
  if (!conn_) return;
  // Best effort: each close is bounded by the RPC timeout; its outcome does not matter.
  if (channel_open_) amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  Drop();
}

Status AmqpQueueProbe::Connect() {
  conn_ = amqp_new_connection();
  if (!conn_) return Fail("unavailable", Where() + ": out of memory");
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
  if (!socket) {
    Drop();
    return Fail("unavailable", Where() + ": cannot create a socket");
  }
  timeval connect_timeout = ToTimeval(timeouts_.connect);
  const int rc =
      amqp_socket_open_noblock(socket, endpoint_.host.c_str(), endpoint_.port, &connect_timeout);
  if (rc != AMQP_STATUS_OK) {
    Drop();
    return Fail("unavailable", Where() + ": connect: " + amqp_error_string2(rc));
  }
  const timeval handshake = ToTimeval(timeouts_.handshake);
  const timeval rpc = ToTimeval(timeouts_.rpc);
  amqp_set_handshake_timeout(conn_, &handshake);
  amqp_set_rpc_timeout(conn_, &rpc);
  const amqp_rpc_reply_t reply =
      amqp_login(conn_, endpoint_.vhost.c_str(), 0, kFrameMax, kHeartbeatOff,
                 AMQP_SASL_METHOD_PLAIN, endpoint_.user.c_str(), endpoint_.password.c_str());
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return {};
  bool broken = false;
  Error e = FailedReply(conn_, reply, channel_open_, broken);
  Drop();
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      reply.library_error == AMQP_STATUS_CONNECTION_CLOSED) {
    e.message +=
        " (the broker closes the connection on a refused login, a missing vhost, or "
        "while it starts)";
  }
  return Fail(e.code, Redact(Where() + ": login: " + e.message, endpoint_.password));
}

Status AmqpQueueProbe::OpenChannel() {
  amqp_channel_open(conn_, kChannel);
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn_);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
    channel_open_ = true;
    return {};
  }
  bool broken = false;
  Error e = FailedReply(conn_, reply, channel_open_, broken);
  Drop();  // a connection that cannot open its only channel is of no use
  return Fail(e.code == "auth" ? "auth" : "unavailable",
              Redact(Where() + ": channel.open: " + e.message, endpoint_.password));
}

Status AmqpQueueProbe::Ready() {
  if (!conn_) {
    if (Status s = Connect(); !s) return s;
  }
  if (!channel_open_) return OpenChannel();
  return {};
}

Result<QueueCounts> AmqpQueueProbe::Declare(const std::string& queue) {
  auto all = DeclareAll(std::span<const std::string>(&queue, 1));
  if (!all) return Unexpected{all.error()};
  return std::move(all->front());
}

Result<std::vector<Result<QueueCounts>>> AmqpQueueProbe::DeclareAll(
    std::span<const std::string> queues) {
  std::vector<Result<QueueCounts>> out(queues.size(), QueueCounts{});
  // Queues missing or refused at the previous call go last, in batches read without waiting for
  // a whole batch of replies: the broker answers them with a channel.close, not a declare-ok.
  std::vector<std::size_t> likely_counts;
  std::vector<std::size_t> likely_closed;
  likely_counts.reserve(queues.size());
  for (std::size_t i = 0; i < queues.size(); ++i) {
    if (queues[i].empty() || queues[i].size() > kMaxQueueNameBytes) {
      out[i] = Fail("invalid", "queue name `" + queues[i] + "`: accepted are 1 to 255 bytes");
    } else {
      (unanswered_.contains(queues[i]) ? likely_closed : likely_counts).push_back(i);
    }
  }
  unanswered_.clear();
  for (const auto* group : {&likely_counts, &likely_closed}) {
    const bool expect_all = group == &likely_counts;
    std::size_t next = 0;
    while (next < group->size()) {
      if (Status s = Ready(); !s) return Unexpected{s.error()};
      const auto batch = std::span<const std::size_t>(*group).subspan(
          next, std::min(kPipelineWindow, group->size() - next));
      auto replies = DeclareBatch(queues, batch, expect_all, out);
      if (!replies) return Unexpected{replies.error()};
      for (std::size_t i : batch.first(*replies)) {
        if (!out[i] || !out[i]->exists) unanswered_.insert(queues[i]);
      }
      // A closed channel dropped the declares written after the refused one: send them again.
      next += *replies;
    }
  }
  return out;
}

Result<std::size_t> AmqpQueueProbe::DeclareBatch(std::span<const std::string> queues,
                                                 std::span<const std::size_t> batch,
                                                 bool expect_all,
                                                 std::vector<Result<QueueCounts>>& out) {
  // The connection is of no use any more: drop it and fail the whole call.
  auto broken = [&](const std::string& what,
                    const std::string& code = "unavailable") -> Result<std::size_t> {
    Drop();
    return Fail(code, Redact(Where() + ": queue.declare: " + what, endpoint_.password));
  };
  // TCP_CORK holds the frames back until the batch is written: one segment instead of one per
  // queue (the socket has TCP_NODELAY set). Failing to set an option only costs system calls.
  const int fd = amqp_get_sockfd(conn_);
  int cork = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_CORK, &cork, sizeof cork);
  int rc = AMQP_STATUS_OK;
  int reply_bytes = 0;
  for (std::size_t i : batch) {
    amqp_queue_declare_t declare{};
    declare.queue.len = queues[i].size();
    declare.queue.bytes = const_cast<char*>(queues[i].data());  // librabbitmq only reads it
    declare.passive = 1;
    declare.arguments = amqp_empty_table;
    rc = amqp_send_method(conn_, kChannel, AMQP_QUEUE_DECLARE_METHOD, &declare);
    if (rc != AMQP_STATUS_OK) break;
    reply_bytes += kDeclareOkFrameBytes + static_cast<int>(queues[i].size());
  }
  cork = 0;
  setsockopt(fd, IPPROTO_TCP, TCP_CORK, &cork, sizeof cork);
  if (rc != AMQP_STATUS_OK) return broken(amqp_error_string2(rc));
  if (expect_all) AwaitBytes(fd, std::min(reply_bytes, kMaxReplyLowWater));

  timeval timeout = ToTimeval(timeouts_.rpc);
  std::size_t answered = 0;
  while (answered < batch.size()) {
    amqp_frame_t frame{};
    rc = amqp_simple_wait_frame_noblock(conn_, &frame, &timeout);
    if (rc != AMQP_STATUS_OK) return broken(amqp_error_string2(rc));
    if (frame.frame_type != AMQP_FRAME_METHOD) return broken("unexpected frame in reply");
    const amqp_method_t& method = frame.payload.method;
    if (frame.channel == kChannel && method.id == AMQP_QUEUE_DECLARE_OK_METHOD) {
      const auto* ok = static_cast<const amqp_queue_declare_ok_t*>(method.decoded);
      out[batch[answered++]] = QueueCounts{true, ok->message_count, ok->consumer_count};
      continue;
    }
    if (method.id != AMQP_CHANNEL_CLOSE_METHOD && method.id != AMQP_CONNECTION_CLOSE_METHOD) {
      continue;  // e.g. connection.blocked: not an answer to a declare
    }
    amqp_rpc_reply_t reply{};
    reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
    reply.reply = method;
    bool connection_broken = false;
    Error e = FailedReply(conn_, reply, channel_open_, connection_broken);
    if (connection_broken) return broken(e.message, e.code == "auth" ? "auth" : "unavailable");
    const std::size_t i = batch[answered++];
    if (e.code == "not_found") {
      out[i] = QueueCounts{};
    } else {
      out[i] = Fail(e.code, Redact(Where() + ": queue.declare of `" + queues[i] + "`: " + e.message,
                                   endpoint_.password));
    }
    break;  // the broker ignores the rest of the batch until the channel is reopened
  }
  amqp_maybe_release_buffers(conn_);
  return answered;
}

}  // namespace maiev::monitor
