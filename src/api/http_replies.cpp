#include "api/http_replies.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "api/http_api.hpp"

namespace maiev::api {

void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // A message may still quote bytes that are not UTF-8 (a query parameter, a header): replaced
  // (U+FFFD), so that the answer is the one meant and not dump()'s exception.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void ReplyError(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  Reply(res, status, {{"error", code}, {"message", message}});
}

void ReplyFailure(const httplib::Request& req, httplib::Response& res, const Error& error) {
  ReplyFailure(req, res, error, HttpStatusFor(error));
}

void ReplyFailure(const httplib::Request& req, httplib::Response& res, const Error& error,
                  int status) {
  if (status >= 500) spdlog::error("API {} {}: {}", req.method, req.path, error.message);
  ReplyError(res, status, error.code, error.message);
}

Result<std::size_t> QueryLimit(const httplib::Request& req, std::size_t fallback, std::size_t max) {
  if (!req.has_param("limit")) return fallback;
  const std::string text = req.get_param_value("limit");
  char* end = nullptr;
  const unsigned long v = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v == 0 || v > max) {
    return Fail("invalid", "limit: expected an integer from 1 to " + std::to_string(max) +
                               ", got '" + text + "'");
  }
  return static_cast<std::size_t>(v);
}

std::string PrometheusLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace maiev::api
