// Where the REST API listens: the value of `--listen` / MAIEV_LISTEN, checked before anything
// starts. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace maiev::api {

struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 address, without brackets
  int port = 0;      // 0: any free port, chosen when binding

  // "127.0.0.1:8080", "[::1]:8080".
  std::string ToString() const;
};

// Parses "HOST:PORT": HOST an IPv4 address (127.0.0.1, 0.0.0.0) or an IPv6 address in brackets
// ([::1], [::]), PORT from 0 to 65535. Error "invalid" quotes the value and says what is
// accepted; the caller names the flag.
Result<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace maiev::api
