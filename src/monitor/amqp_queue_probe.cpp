#include "monitor/amqp_queue_probe.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <chrono>
#include <utility>

#include "monitor/redact.hpp"

namespace maiev::monitor {
namespace {

constexpr amqp_channel_t kChannel = 1;
constexpr int kFrameMax = 131072;  // librabbitmq's default
constexpr int kHeartbeatOff = 0;   // a dead broker is detected by the RPC timeout instead
constexpr std::size_t kMaxQueueNameBytes = 255;  // AMQP shortstr
constexpr int kNotFound = 404;                   // AMQP reply code of a missing queue
constexpr int kAccessRefused = 403;              // login refused
constexpr int kNotAllowed = 530;  // vhost access refused, also when the vhost does not exist

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

Result<QueueCounts> AmqpQueueProbe::Declare(const std::string& queue) {
  if (queue.empty() || queue.size() > kMaxQueueNameBytes) {
    return Fail("invalid", "queue name `" + queue + "`: accepted are 1 to 255 bytes");
  }
  if (!conn_) {
    if (Status s = Connect(); !s) return Unexpected{s.error()};
  }
  if (!channel_open_) {
    if (Status s = OpenChannel(); !s) return Unexpected{s.error()};
  }
  amqp_bytes_t name;
  name.len = queue.size();
  name.bytes = const_cast<char*>(queue.data());  // librabbitmq only reads it
  const amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(conn_, kChannel, name, /*passive=*/1, /*durable=*/0, /*exclusive=*/0,
                         /*auto_delete=*/0, amqp_empty_table);
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn_);
  if (ok && reply.reply_type == AMQP_RESPONSE_NORMAL) {
    QueueCounts counts{true, ok->message_count, ok->consumer_count};
    amqp_maybe_release_buffers(conn_);
    return counts;
  }
  bool broken = false;
  Error e = FailedReply(conn_, reply, channel_open_, broken);
  if (broken) Drop();
  if (e.code == "not_found") return QueueCounts{};
  if (e.code == "protocol") e.code = "unavailable";
  return Fail(e.code, Redact(Where() + ": queue.declare of `" + queue + "`: " + e.message,
                             endpoint_.password));
}

}  // namespace maiev::monitor
