// Server-Sent Events read back from the bytes of a stream (the WHATWG EventSource rules, as far
// as the daemon's stream uses them): `id:`, `event:` and `data:` fields, events ended by a blank
// line, comments (`: keepalive`) ignored. Pure, so that it is unit-tested on split chunks.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace maiev::cli {

struct SseEvent {
  std::string id;    // empty when the event named none
  std::string type;  // "message" when the event named none
  std::string data;  // the data lines joined with '\n'
};

class SseParser {
 public:
  // Feeds the next bytes of the stream; calls `on_event` for every event they complete and
  // stops early (returning false) when it returns false.
  bool Feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event);

  // The id of the last event seen (what a reconnect sends as Last-Event-ID).
  const std::string& last_id() const { return last_id_; }

 private:
  // One line, without its line ending. Returns false when `on_event` asked to stop.
  bool Line(std::string_view line, const std::function<bool(const SseEvent&)>& on_event);

  std::string pending_;  // an incomplete line
  bool after_cr_ = false;
  SseEvent event_;
  bool has_data_ = false;
  std::string last_id_;
};

}  // namespace maiev::cli
