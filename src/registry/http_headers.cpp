#include "registry/http_headers.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>

namespace maiev::registry {
namespace {

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 9110 §11.2 token68 (without its trailing `=` padding).
bool IsToken68Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("-._~+/").find(c) != std::string_view::npos;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A cursor over a header value with the small grammar pieces both Link and WWW-Authenticate use.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  std::size_t pos() const { return pos_; }
  void Seek(std::size_t pos) { pos_ = pos; }
  void Advance() { ++pos_; }

  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }
  void SkipSpaceAndCommas() {
    while (!AtEnd() && (IsSpace(text_[pos_]) || text_[pos_] == ',')) ++pos_;
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  std::string_view Token() {
    const std::size_t start = pos_;
    while (!AtEnd() && IsTokenChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // A quoted-string (the cursor is on its opening quote), unescaped; nullopt when unterminated.
  std::optional<std::string> Quoted() {
    std::string out;
    for (++pos_; !AtEnd(); ++pos_) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\' && pos_ + 1 < text_.size()) c = text_[++pos_];
      out += c;
    }
    return std::nullopt;
  }
  // A token68 followed by the end of its challenge (end of text or a comma), else nullopt and the
  // cursor unchanged.
  std::optional<std::string_view> Token68() {
    const std::size_t start = pos_;
    std::size_t end = start;
    while (end < text_.size() && IsToken68Char(text_[end])) ++end;
    if (end == start) return std::nullopt;
    while (end < text_.size() && text_[end] == '=') ++end;
    std::size_t after = end;
    while (after < text_.size() && IsSpace(text_[after])) ++after;
    if (after < text_.size() && text_[after] != ',') return std::nullopt;
    pos_ = end;
    return text_.substr(start, end - start);
  }
  std::string_view Until(char c) {
    const std::size_t start = pos_;
    while (!AtEnd() && text_[pos_] != c) ++pos_;
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Unexpected<Error> HeaderError(std::string_view header, const Cursor& at, std::string_view what) {
  return Fail("protocol", std::string(header) + " header, offset " + std::to_string(at.pos()) +
                              ": " + std::string(what));
}

// A token or quoted-string parameter value; nullopt (cursor on the fault) when there is none.
std::optional<std::string> ParamValue(Cursor& in) {
  if (in.Peek() == '"') return in.Quoted();
  std::string_view token = in.Token();
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

// The parameters of one challenge, up to the start of the next challenge or the end.
Status ParseChallengeParams(Cursor& in, AuthChallenge& challenge) {
  if (auto token68 = in.Token68()) {
    challenge.params["token68"] = std::string(*token68);
    return {};
  }
  while (true) {
    in.SkipSpace();
    const std::size_t start = in.pos();
    std::string_view name = in.Token();
    if (name.empty()) return {};  // end, or a comma before the next challenge
    in.SkipSpace();
    if (!in.Consume('=')) {  // a bare token: the scheme of the next challenge
      in.Seek(start);
      return {};
    }
    in.SkipSpace();
    auto value = ParamValue(in);
    if (!value) {
      return HeaderError("WWW-Authenticate", in,
                         in.Peek() == '"' || in.AtEnd() ? "unterminated or empty value"
                                                        : "expected a token or a quoted string");
    }
    challenge.params[Lower(name)] = std::move(*value);
    in.SkipSpace();
    if (in.AtEnd()) return {};
    if (!in.Consume(',')) {
      return HeaderError("WWW-Authenticate", in, "expected `,` between parameters");
    }
    in.SkipSpaceAndCommas();
  }
}

bool HasScheme(std::string_view url) {
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (std::isalpha(static_cast<unsigned char>(url[0])) == 0) return false;
  return std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  });
}

bool RelHasNext(std::string_view rel) {
  std::size_t pos = 0;
  while (pos < rel.size()) {
    std::size_t end = rel.find(' ', pos);
    if (end == std::string_view::npos) end = rel.size();
    if (Lower(rel.substr(pos, end - pos)) == "next") return true;
    pos = end + 1;
  }
  return false;
}

std::optional<int> Digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string AuthChallenge::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

Result<std::vector<AuthChallenge>> ParseAuthChallenges(std::string_view header) {
  std::vector<AuthChallenge> challenges;
  Cursor in(header);
  while (true) {
    in.SkipSpaceAndCommas();
    if (in.AtEnd()) break;
    std::string_view scheme = in.Token();
    if (scheme.empty()) return HeaderError("WWW-Authenticate", in, "expected an auth scheme");
    AuthChallenge challenge;
    challenge.scheme = Lower(scheme);
    if (!in.AtEnd() && !IsSpace(in.Peek()) && in.Peek() != ',') {
      return HeaderError("WWW-Authenticate", in, "expected a space after the auth scheme");
    }
    in.SkipSpace();
    if (Status s = ParseChallengeParams(in, challenge); !s.ok()) return Unexpected{s.error()};
    challenges.push_back(std::move(challenge));
  }
  if (challenges.empty()) return Fail("protocol", "WWW-Authenticate header: no challenge");
  return challenges;
}

const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges,
                                   std::string_view scheme) {
  for (const AuthChallenge& c : challenges) {
    if (c.scheme == scheme) return &c;
  }
  return nullptr;
}

std::string UrlOrigin(std::string_view url) {
  if (!HasScheme(url)) return {};
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const std::size_t authority_end = url.find_first_of("/?#", scheme_end + 3);
  return Lower(url.substr(0, authority_end));
}

std::string ResolveUrl(std::string_view base, std::string_view reference) {
  if (HasScheme(reference)) return std::string(reference);
  const std::string origin = UrlOrigin(base);
  if (reference.starts_with("//"))
    return std::string(base.substr(0, base.find(':') + 1)) + std::string(reference);
  if (reference.starts_with('/')) return origin + std::string(reference);
  std::string_view rest = base.substr(std::min(origin.size(), base.size()));
  std::string_view path = rest.substr(0, rest.find_first_of("?#"));
  if (path.empty()) path = "/";
  if (reference.empty()) return origin + std::string(rest.substr(0, rest.find('#')));
  if (reference.starts_with('?')) return origin + std::string(path) + std::string(reference);
  return origin + std::string(path.substr(0, path.rfind('/') + 1)) + std::string(reference);
}

Result<std::optional<std::string>> NextPageLink(std::string_view link_header,
                                                std::string_view request_url) {
  Cursor in(link_header);
  while (true) {
    in.SkipSpaceAndCommas();
    if (in.AtEnd()) return std::optional<std::string>();
    if (!in.Consume('<')) return HeaderError("Link", in, "expected `<URI>`");
    std::string_view target = in.Until('>');
    if (!in.Consume('>')) return HeaderError("Link", in, "unterminated `<URI>`");
    bool next = false;
    while (true) {
      in.SkipSpace();
      if (!in.Consume(';')) break;
      in.SkipSpace();
      std::string_view name = in.Token();
      if (name.empty()) return HeaderError("Link", in, "expected a parameter name after `;`");
      in.SkipSpace();
      std::string value;
      if (in.Consume('=')) {
        in.SkipSpace();
        auto parsed = ParamValue(in);
        if (!parsed) return HeaderError("Link", in, "expected a token or a quoted string");
        value = std::move(*parsed);
      }
      if (Lower(name) == "rel" && RelHasNext(value)) next = true;
    }
    if (!in.AtEnd() && in.Peek() != ',') {
      return HeaderError("Link", in, "expected `;` or `,` after a link");
    }
    if (next) return std::optional<std::string>(ResolveUrl(request_url, target));
  }
}

std::optional<TimePoint> ParseHttpDate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::find(kDays.begin(), kDays.end(), text.substr(0, 3)) == kDays.end()) return std::nullopt;
  auto month = std::find(kMonths.begin(), kMonths.end(), text.substr(8, 3));
  if (month == kMonths.end()) return std::nullopt;
  auto day = Digits(text.substr(5, 2));
  auto year = Digits(text.substr(12, 4));
  auto hour = Digits(text.substr(17, 2));
  auto minute = Digits(text.substr(20, 2));
  auto second = Digits(text.substr(23, 2));
  if (!day || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{
      std::chrono::year{*year},
      std::chrono::month{static_cast<unsigned>(month - kMonths.begin() + 1)},
      std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  // Whole seconds first: 64-bit seconds hold any four-digit year, the clock's ticks may not
  // (nanoseconds end in 2262).
  const std::chrono::seconds since_epoch =
      std::chrono::sys_days{date}.time_since_epoch() + std::chrono::hours{*hour} +
      std::chrono::minutes{*minute} + std::chrono::seconds{*second};
  constexpr auto kEarliest =
      std::chrono::ceil<std::chrono::seconds>(TimePoint::min().time_since_epoch());
  constexpr auto kLatest =
      std::chrono::floor<std::chrono::seconds>(TimePoint::max().time_since_epoch());
  if (since_epoch < kEarliest || since_epoch > kLatest) return std::nullopt;
  return TimePoint{std::chrono::duration_cast<WallClock::duration>(since_epoch)};
}

std::optional<Duration> ParseRetryAfter(std::string_view value, TimePoint now) {
  while (!value.empty() && IsSpace(value.front())) value.remove_prefix(1);
  while (!value.empty() && IsSpace(value.back())) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // A day is more than any registry asks for; longer values are read as a day.
    constexpr std::int64_t kMaxSeconds = 86'400;
    std::int64_t seconds = 0;
    for (char c : value) {
      seconds = std::min(kMaxSeconds, seconds * 10 + (c - '0'));
    }
    return Duration{static_cast<double>(seconds)};
  }
  auto date = ParseHttpDate(value);
  if (!date) return std::nullopt;
  return *date <= now ? Duration{0.0} : std::chrono::duration_cast<Duration>(*date - now);
}

}  // namespace maiev::registry
