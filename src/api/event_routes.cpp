// GET /api/v1/events: the event hub as a Server-Sent Events stream (docs/OPERATIONS.md, "The
// event stream"). Each client holds one HTTP thread, waiting on its own subscription's queue; the
// stream ends when the client goes, falls too far behind (dropped by the hub), or the API stops.
#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "api/event_json.hpp"
#include "api/http_api.hpp"
#include "api/http_replies.hpp"

namespace maiev::api {
namespace {

// Where a client resumes: the Last-Event-ID header (what a reconnecting EventSource sends), else
// ?last_event_id=; nullopt for neither. Error "invalid" for one that is not an event id.
Result<std::optional<std::uint64_t>> ResumePoint(const httplib::Request& req) {
  const bool header = req.has_header("Last-Event-ID");
  if (!header && !req.has_param("last_event_id")) return std::optional<std::uint64_t>();
  const std::string text =
      header ? req.get_header_value("Last-Event-ID") : req.get_param_value("last_event_id");
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return Fail("invalid", std::string(header ? "Last-Event-ID" : "last_event_id") +
                               ": expected an event id (an integer >= 0), got '" + text + "'");
  }
  return std::optional<std::uint64_t>(id);
}

// ?types=decision,plan: the types a client wants (empty: all). Error "invalid" naming an unknown
// type and those there are.
Result<std::set<std::string>> TypeFilter(const httplib::Request& req) {
  std::set<std::string> types;
  const std::string text = req.get_param_value("types");
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string type = text.substr(start, comma - start);
    start = comma + 1;
    if (type.empty()) continue;
    if (std::find(kEventTypes.begin(), kEventTypes.end(), type) == kEventTypes.end()) {
      std::string known;
      for (std::string_view t : kEventTypes) known += (known.empty() ? "" : ", ") + std::string(t);
      return Fail("invalid", "types: unknown event type '" + type + "' (known: " + known + ")");
    }
    types.insert(type);
  }
  return types;
}

// One call of the stream's content provider: what came within `keepalive`, or a keepalive
// comment; ends the stream (done) once the subscription has ended. False when the client is gone.
bool WriteEvents(EventSubscription& subscription, std::chrono::milliseconds keepalive,
                 httplib::DataSink& sink) {
  const std::vector<StreamEventPtr> events = subscription.Take(keepalive);
  if (events.empty() && subscription.ended()) {
    sink.done();
    return true;
  }
  if (events.empty()) return sink.write(kSseKeepalive.data(), kSseKeepalive.size());
  std::string frames;
  for (const StreamEventPtr& event : events) frames += SseFrame(*event);
  return sink.write(frames.data(), frames.size());
}

}  // namespace

void HttpApi::StreamEvents(const httplib::Request& req, httplib::Response& res) {
  auto after = ResumePoint(req);
  if (!after) return ReplyFailure(req, res, after.error());
  auto types = TypeFilter(req);
  if (!types) return ReplyFailure(req, res, types.error());
  auto subscribed = events_->Subscribe(*after, std::move(*types));
  // Not logged as a failure: a client refused at the limit retries on its own, often.
  if (!subscribed) return ReplyError(res, 503, subscribed.error().code, subscribed.error().message);
  // Shared by the provider and cpp-httplib's copies of it (std::function copies); the last copy
  // goes when the response does, and unsubscribes.
  std::shared_ptr<EventSubscription> subscription = std::move(*subscribed);
  res.set_header("Cache-Control", "no-cache");
  // Reverse proxies (nginx) buffer a response unless told not to; a stream must not wait.
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider("text/event-stream",
                                   [subscription, keepalive = options_.event_keepalive](
                                       std::size_t /*offset*/, httplib::DataSink& sink) {
                                     return WriteEvents(*subscription, keepalive, sink);
                                   });
}

}  // namespace maiev::api
