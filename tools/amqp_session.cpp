#include "tools/amqp_session.hpp"

#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <cstdlib>
#include <string_view>

namespace maiev::tools {
namespace {

// Bounds of every broker interaction, so a broker that went away is noticed.
constexpr std::chrono::seconds kConnectTimeout{3};
constexpr std::chrono::seconds kRpcTimeout{5};
constexpr int kHeartbeatSeconds = 10;
constexpr int kFrameMax = 131072;
constexpr amqp_channel_t kChannel = 1;

timeval ToTimeval(std::chrono::milliseconds d) {
  return timeval{.tv_sec = static_cast<time_t>(d.count() / 1000),
                 .tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

amqp_bytes_t Bytes(std::string_view s) {
  return amqp_bytes_t{.len = s.size(), .bytes = const_cast<char*>(s.data())};
}

std::string FromBytes(amqp_bytes_t b) { return {static_cast<const char*>(b.bytes), b.len}; }

std::string EnvOr(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

std::string DescribeReply(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "missing RPC reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
        return "connection closed by broker: " + std::to_string(m->reply_code) + " " +
               FromBytes(m->reply_text);
      }
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
        return "channel closed by broker: " + std::to_string(m->reply_code) + " " +
               FromBytes(m->reply_text);
      }
      return "unexpected broker method " + std::to_string(reply.reply.id);
  }
  return "unknown reply";
}

}  // namespace

Result<AmqpSettings> AmqpSettings::FromEnvironment() {
  AmqpSettings s;
  s.host = EnvOr("RABBITMQ_HOST", s.host);
  s.user = EnvOr("RABBITMQ_USER", s.user);
  s.password = EnvOr("RABBITMQ_PASSWORD", s.password);
  s.vhost = EnvOr("RABBITMQ_VHOST", s.vhost);
  const std::string port = EnvOr("RABBITMQ_PORT", std::to_string(s.port));
  char* end = nullptr;
  const long value = std::strtol(port.c_str(), &end, 10);
  if (end == port.c_str() || *end != '\0' || value < 1 || value > 65535) {
    return Fail("invalid", "RABBITMQ_PORT: '" + port + "' is not a port number (1-65535)");
  }
  s.port = static_cast<int>(value);
  return s;
}

std::string AmqpSettings::Describe() const {
  return host + ":" + std::to_string(port) + " vhost " + vhost;
}

Result<std::unique_ptr<AmqpSession>> AmqpSession::Open(const AmqpSettings& settings) {
  amqp_connection_state_t connection = amqp_new_connection();
  std::unique_ptr<AmqpSession> session(new AmqpSession(connection));
  amqp_socket_t* socket = amqp_tcp_socket_new(connection);
  if (socket == nullptr) return Fail("io", "cannot create a TCP socket");
  timeval connect_timeout = ToTimeval(kConnectTimeout);
  const int status =
      amqp_socket_open_noblock(socket, settings.host.c_str(), settings.port, &connect_timeout);
  if (status != AMQP_STATUS_OK) {
    return Fail("io", "connect to " + settings.Describe() + ": " + amqp_error_string2(status));
  }
  timeval rpc_timeout = ToTimeval(kRpcTimeout);
  amqp_set_rpc_timeout(connection, &rpc_timeout);
  const amqp_rpc_reply_t login =
      amqp_login(connection, settings.vhost.c_str(), 0, kFrameMax, kHeartbeatSeconds,
                 AMQP_SASL_METHOD_PLAIN, settings.user.c_str(), settings.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    return Fail("io", "login to " + settings.Describe() + ": " + DescribeReply(login));
  }
  amqp_channel_open(connection, kChannel);
  if (Status s = session->CheckReply("channel.open"); !s) return Unexpected{s.error()};
  session->channel_open_ = true;
  return session;
}

AmqpSession::~AmqpSession() {
  if (channel_open_) amqp_channel_close(connection_, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(connection_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(connection_);
}

Status AmqpSession::CheckReply(const char* what) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection_);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return {};
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) channel_open_ = false;
  return Fail("io", std::string(what) + ": " + DescribeReply(reply));
}

Status AmqpSession::DeclareQueue(const std::string& queue) {
  amqp_queue_declare(connection_, kChannel, Bytes(queue), /*passive=*/0, /*durable=*/0,
                     /*exclusive=*/0, /*auto_delete=*/0, amqp_empty_table);
  return CheckReply(("queue.declare " + queue).c_str());
}

Status AmqpSession::DeleteQueue(const std::string& queue) {
  amqp_queue_delete(connection_, kChannel, Bytes(queue), /*if_unused=*/0, /*if_empty=*/0);
  return CheckReply(("queue.delete " + queue).c_str());
}

Status AmqpSession::Publish(const std::string& queue, const std::string& body,
                            std::int64_t timestamp_seconds) {
  amqp_basic_properties_t props{};
  props._flags =
      AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
  props.content_type = amqp_cstring_bytes("text/plain");
  props.delivery_mode = 1;  // transient
  props.timestamp = static_cast<std::uint64_t>(timestamp_seconds);
  const int status = amqp_basic_publish(connection_, kChannel, amqp_empty_bytes, Bytes(queue),
                                        /*mandatory=*/0, /*immediate=*/0, &props, Bytes(body));
  if (status != AMQP_STATUS_OK) {
    return Fail("io", "publish to " + queue + ": " + amqp_error_string2(status));
  }
  return {};
}

Status AmqpSession::SetPrefetch(std::uint16_t count) {
  amqp_basic_qos(connection_, kChannel, 0, count, /*global=*/0);
  return CheckReply("basic.qos");
}

Status AmqpSession::Consume(const std::string& queue) {
  amqp_basic_consume(connection_, kChannel, Bytes(queue), amqp_empty_bytes, /*no_local=*/0,
                     /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  return CheckReply(("basic.consume " + queue).c_str());
}

Result<std::optional<Delivery>> AmqpSession::Next(std::chrono::milliseconds wait) {
  amqp_maybe_release_buffers(connection_);
  amqp_envelope_t envelope;
  timeval timeout = ToTimeval(wait);
  const amqp_rpc_reply_t reply = amqp_consume_message(connection_, &envelope, &timeout, 0);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
    Delivery delivery{envelope.delivery_tag, FromBytes(envelope.message.body)};
    amqp_destroy_envelope(&envelope);
    return std::optional<Delivery>(std::move(delivery));
  }
  if (reply.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    return Fail("io", "consume: " + DescribeReply(reply));
  }
  if (reply.library_error == AMQP_STATUS_TIMEOUT) return std::optional<Delivery>();
  if (reply.library_error != AMQP_STATUS_UNEXPECTED_STATE) {
    return Fail("io", std::string("consume: ") + amqp_error_string2(reply.library_error));
  }
  // A frame other than a delivery: the broker closing the channel or the connection ends the
  // session; anything else (e.g. basic.cancel-ok) is skipped.
  amqp_frame_t frame;
  if (amqp_simple_wait_frame_noblock(connection_, &frame, &timeout) != AMQP_STATUS_OK) {
    return std::optional<Delivery>();
  }
  if (frame.frame_type == AMQP_FRAME_METHOD &&
      (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
       frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)) {
    channel_open_ = false;
    return Fail("io", "consume: the broker closed the session");
  }
  return std::optional<Delivery>();
}

Status AmqpSession::Ack(std::uint64_t delivery_tag) {
  const int status = amqp_basic_ack(connection_, kChannel, delivery_tag, /*multiple=*/0);
  if (status != AMQP_STATUS_OK)
    return Fail("io", std::string("ack: ") + amqp_error_string2(status));
  return {};
}

}  // namespace maiev::tools
