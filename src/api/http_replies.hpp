// How every route of HttpApi answers: JSON bodies, errors as {"error": code, "message": text},
// and the query parameters routes share. Internal to src/api.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace maiev::api {

void Reply(httplib::Response& res, int status, const nlohmann::json& body);

void ReplyError(httplib::Response& res, int status, const std::string& code,
                const std::string& message);

// A failed request: its status from the error code (HttpStatusFor); a server-side failure (5xx)
// is logged too.
void ReplyFailure(const httplib::Request& req, httplib::Response& res, const Error& error);
// As above with the status given.
void ReplyFailure(const httplib::Request& req, httplib::Response& res, const Error& error,
                  int status);

// The `limit` query parameter: `fallback` when absent; error "invalid" saying what is accepted
// when it is not an integer from 1 to `max`.
Result<std::size_t> QueryLimit(const httplib::Request& req, std::size_t fallback, std::size_t max);

// `value` escaped for a Prometheus label value (backslash, double quote, newline).
std::string PrometheusLabel(const std::string& value);

}  // namespace maiev::api
