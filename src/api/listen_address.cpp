#include "api/listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace maiev::api {
namespace {

constexpr int kMaxPort = 65535;
constexpr std::string_view kAccepted =
    "accepted: HOST:PORT with HOST an IPv4 address (127.0.0.1, 0.0.0.0) or an IPv6 address in "
    "brackets ([::1]) and PORT from 0 (any free port) to 65535";

Unexpected<Error> Invalid(std::string_view text, const std::string& why) {
  return Fail("invalid", "`" + std::string(text) + "`: " + why + "; " + std::string(kAccepted));
}

bool IsAddress(int family, const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(family, host.c_str(), buffer) == 1;
}

}  // namespace

std::string ListenAddress::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return Invalid(text, "no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);

  ListenAddress address{std::string(host), 0};
  if (address.host.empty()) return Invalid(text, "no host");
  const bool ok = bracketed ? IsAddress(AF_INET6, address.host) : IsAddress(AF_INET, address.host);
  if (!ok) {
    const bool bare_v6 = !bracketed && IsAddress(AF_INET6, address.host);
    return Invalid(text, bare_v6 ? "an IPv6 host needs brackets"
                                 : "host `" + address.host + "` is not an IP address");
  }
  const char* end = port_text.data() + port_text.size();
  const auto [ptr, ec] = std::from_chars(port_text.data(), end, address.port);
  if (port_text.empty() || ec != std::errc() || ptr != end || address.port < 0 ||
      address.port > kMaxPort) {
    return Invalid(text, "port `" + std::string(port_text) + "` is not in 0 to 65535");
  }
  return address;
}

}  // namespace maiev::api
