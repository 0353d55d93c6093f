#include "cli/sse_parser.hpp"

namespace maiev::cli {

bool SseParser::Feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event) {
  for (const char c : bytes) {
    // A line ends with CRLF, LF or CR alone; the LF of a CRLF is not a second (blank) line.
    if (after_cr_ && c == '\n') {
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c != '\n' && c != '\r') {
      pending_.push_back(c);
      continue;
    }
    const std::string line = std::move(pending_);
    pending_.clear();
    if (!Line(line, on_event)) return false;
  }
  return true;
}

bool SseParser::Line(std::string_view line, const std::function<bool(const SseEvent&)>& on_event) {
  if (line.empty()) {  // the end of an event
    const bool had_data = has_data_;
    SseEvent event = std::move(event_);
    event_ = {};
    has_data_ = false;
    if (!had_data) return true;
    if (event.type.empty()) event.type = "message";
    return on_event(event);
  }
  if (line.front() == ':') return true;  // a comment: a keepalive
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) event_.data.push_back('\n');
    event_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.type = value;
  } else if (field == "id") {
    event_.id = value;
    last_id_ = value;
  }
  return true;  // other fields (retry) are not used by the daemon
}

}  // namespace maiev::cli
