#include "cli/terminal.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace maiev::cli {
namespace {

std::size_t EnvColumns() {
  const char* text = std::getenv("COLUMNS");
  if (text == nullptr) return 0;
  const std::string_view value(text);
  std::size_t columns = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), columns);
  return ec == std::errc() && end == value.data() + value.size() ? columns : 0;
}

}  // namespace

TableStyle StdoutStyle() {
  TableStyle style;
  const bool tty = isatty(STDOUT_FILENO) == 1;
  style.width = EnvColumns();
  winsize size{};
  if (style.width == 0 && tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) {
    style.width = size.ws_col;
  }
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  style.colour = tty && (no_color == nullptr || no_color[0] == '\0') &&
                 (term == nullptr || std::string_view(term) != "dumb");
  return style;
}

struct RawKeyboard::Saved {
  termios mode{};
};

RawKeyboard::RawKeyboard() {
  if (isatty(STDIN_FILENO) != 1) return;
  saved_ = std::make_unique<Saved>();
  if (tcgetattr(STDIN_FILENO, &saved_->mode) != 0) return;
  termios raw = saved_->mode;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

RawKeyboard::~RawKeyboard() {
  if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_->mode);
}

std::optional<char> RawKeyboard::Next(int timeout_ms) const {
  pollfd fd{STDIN_FILENO, POLLIN, 0};
  if (poll(&fd, 1, timeout_ms) <= 0) return std::nullopt;
  char key = 0;
  const ssize_t n = read(STDIN_FILENO, &key, 1);
  if (n == 0) return 'q';  // end of input
  if (n < 0) return std::nullopt;
  return key;
}

}  // namespace maiev::cli
