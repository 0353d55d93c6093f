#include "versions/version.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include "common/message_text.hpp"

namespace maiev::versions {
namespace {

constexpr std::size_t kMaxNumberDigits = 18;  // fits std::uint64_t
constexpr std::size_t kMaxTagLength = 128;    // Docker's limit
constexpr std::size_t kMaxRepositoryLength = 255;
constexpr std::string_view kDockerHub = "docker.io";
constexpr std::string_view kLatest = "latest";
constexpr std::string_view kAcceptedVersion =
    "accepted: latest, or [v]N[.N[.N]] then a letter suffix (122b, 1.0.69a1), a fourth part read "
    "as build (1.3.0.119), -PRE and/or +BUILD (v2.0.0-rc.1, 1.0.0+build.5)";
constexpr std::size_t kMaxNumericParts = 3;  // a fourth dotted part is build metadata
// Words that start a pre-release segment of a tag (`1.0-rc1`, `2.0-beta.2`), case-insensitive.
constexpr std::string_view kPreReleaseWords[] = {
    "alpha", "beta", "rc", "pre", "preview", "dev", "snapshot", "canary", "nightly", "a", "b", "c"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z'); }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsLetter(c); }
bool IsIdentifierChar(char c) { return IsAlnum(c) || c == '-'; }
bool IsTagChar(char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

Unexpected<Error> VersionError(std::string_view text, std::size_t pos, std::string_view what) {
  return Fail("parse", "version \"" + EscapeInvalidUtf8(text) + "\": " + std::string(what) +
                           " at position " + std::to_string(pos) + "; " +
                           std::string(kAcceptedVersion));
}

// Splits a pre-release or build section into dot-separated SemVer identifiers ([0-9A-Za-z-]+),
// appended to `out`. Returns the offset in `section` of the first bad character or empty
// identifier, or npos.
std::size_t ParseIdentifiers(std::string_view section, std::vector<std::string>& out) {
  std::size_t pos = 0;
  for (std::string_view id : Split(section, '.')) {
    if (id.empty()) return pos;
    for (std::size_t i = 0; i < id.size(); ++i) {
      if (!IsIdentifierChar(id[i])) return pos + i;
    }
    out.emplace_back(id);
    pos += id.size() + 1;
  }
  return std::string_view::npos;
}

// A glued letter suffix (`a1`, `rc10`, `b`) as pre-release identifiers, split where letters and
// digits meet, so that `a2` < `a10` compares numerically.
void SplitGluedSuffix(std::string_view suffix, std::vector<std::string>& out) {
  std::size_t start = 0;
  for (std::size_t i = 1; i <= suffix.size(); ++i) {
    if (i == suffix.size() || IsDigit(suffix[i]) != IsDigit(suffix[i - 1])) {
      out.emplace_back(suffix.substr(start, i - start));
      start = i;
    }
  }
}

std::string Join(const std::vector<std::string>& ids, char sep) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += sep;
    out += id;
  }
  return out;
}

// Numeric identifiers compare by value, of any length: strip leading zeros, then the longer is
// larger, then digit by digit.
std::strong_ordering CompareNumeric(std::string_view a, std::string_view b) {
  a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
  b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
  if (a.size() != b.size()) return a.size() <=> b.size();
  return a.compare(b) <=> 0;
}

// SemVer 2.0 §11.4; used for build identifiers too (an empty list first).
std::strong_ordering CompareIdentifiers(const std::vector<std::string>& a,
                                        const std::vector<std::string>& b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool a_num = AllDigits(a[i]);
    bool b_num = AllDigits(b[i]);
    std::strong_ordering c = std::strong_ordering::equal;
    if (a_num && b_num) {
      c = CompareNumeric(a[i], b[i]);
    } else if (a_num != b_num) {
      c = a_num ? std::strong_ordering::less : std::strong_ordering::greater;
    } else {
      c = a[i].compare(b[i]) <=> 0;
    }
    if (std::is_neq(c)) return c;
  }
  return a.size() <=> b.size();
}

// Build identifiers split where letters and digits meet (`110b` → `110`, `b`), so that build
// numbers order as numbers whatever follows them: 1.3.0.110b < 1.3.0.119 < 1.3.0.119b.
std::vector<std::string> LetterAndDigitRuns(const std::vector<std::string>& identifiers) {
  std::vector<std::string> runs;
  for (const std::string& id : identifiers) {
    std::size_t start = 0;
    for (std::size_t i = 1; i <= id.size(); ++i) {
      if (i == id.size() || IsDigit(id[i]) != IsDigit(id[i - 1])) {
        runs.push_back(id.substr(start, i - start));
        start = i;
      }
    }
  }
  return runs;
}

Status ValidateTagSyntax(std::string_view tag) {
  if (tag.empty())
    return Fail("parse", "tag is empty; accepted: [A-Za-z0-9_.-], up to 128 characters");
  if (tag.size() > kMaxTagLength) {
    return Fail("parse", "tag \"" + EscapeInvalidUtf8(tag.substr(0, 32)) + "…\" is " +
                             std::to_string(tag.size()) + " characters long; at most 128 accepted");
  }
  if (tag[0] == '.' || tag[0] == '-') {
    return Fail("parse", "tag \"" + EscapeInvalidUtf8(tag) + "\" starts with '" + tag[0] +
                             "'; accepted: a letter, digit or '_' first, then [A-Za-z0-9_.-]");
  }
  for (std::size_t i = 0; i < tag.size(); ++i) {
    if (tag[i] == '+') {
      return Fail("parse", "tag \"" + EscapeInvalidUtf8(tag) + "\": character '+' at position " +
                               std::to_string(i) +
                               " is not accepted: a Docker tag cannot hold build metadata (write "
                               "1.3.0.119 for 1.3.0+119); accepted: [A-Za-z0-9_.-]");
    }
    if (!IsTagChar(tag[i])) {
      return Fail("parse", "tag \"" + EscapeInvalidUtf8(tag) + "\": character '" +
                               CharacterAt(tag, i) + "' at position " + std::to_string(i) +
                               " is not accepted; accepted: [A-Za-z0-9_.-]");
    }
  }
  return {};
}

// host[:port], where host is a DNS name / IPv4 address or a bracketed IPv6 address.
bool IsValidRegistry(std::string_view registry) {
  std::string_view host = registry;
  std::string_view port;
  if (!registry.empty() && registry.front() == '[') {
    std::size_t close = registry.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view inner = registry.substr(1, close - 1);
    bool ipv6_ok = std::all_of(inner.begin(), inner.end(), [](char c) {
      return IsHex(c) || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    });
    if (!ipv6_ok) return false;
    std::string_view rest = registry.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
    return AllDigits(port) && port.size() <= 5;
  }
  std::size_t colon = registry.find(':');
  if (colon != std::string_view::npos) {
    host = registry.substr(0, colon);
    port = registry.substr(colon + 1);
    if (!AllDigits(port) || port.size() > 5) return false;
  }
  if (host.empty()) return false;
  for (std::string_view label : Split(host, '.')) {
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return IsAlnum(c) || c == '-'; })) {
      return false;
    }
  }
  return true;
}

// Docker's path components: lowercase alphanumerics joined by '.', '_' or '-' separators.
bool IsValidPathComponent(std::string_view component) {
  if (component.empty() || !IsLowerAlnum(component.front()) || !IsLowerAlnum(component.back())) {
    return false;
  }
  return std::all_of(component.begin(), component.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

Status ValidateDigest(std::string_view ref, std::string_view digest) {
  auto bad = [&](std::string_view why) {
    return Fail("parse", "image reference \"" + EscapeInvalidUtf8(ref) + "\": digest \"" +
                             EscapeInvalidUtf8(digest) + "\" " + std::string(why) +
                             "; accepted: sha256:<64 lowercase hex digits>");
  };
  std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0) return bad("has no algorithm");
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  if (!std::all_of(algorithm.begin(), algorithm.end(), [](char c) {
        return IsLowerAlnum(c) || c == '+' || c == '.' || c == '_' || c == '-';
      })) {
    return bad("has an invalid algorithm");
  }
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), IsHex)) {
    return bad("has an invalid hex part");
  }
  if (algorithm == "sha256" && hex.size() != 64) return bad("is not 64 hex digits long");
  return {};
}

// `SPECIES-latest` and `latest-SPECIES` → SPECIES; `latest` → "". nullopt for other tags.
std::optional<std::string_view> LatestSpecies(std::string_view tag) {
  constexpr std::string_view kLatestSuffix = "-latest";
  constexpr std::string_view kLatestPrefix = "latest-";
  if (tag == kLatest) return std::string_view();
  if (tag.size() > kLatestSuffix.size() && tag.ends_with(kLatestSuffix)) {
    return tag.substr(0, tag.size() - kLatestSuffix.size());
  }
  if (tag.size() > kLatestPrefix.size() && tag.starts_with(kLatestPrefix)) {
    return tag.substr(kLatestPrefix.size());
  }
  return std::nullopt;
}

// Where a version core sits in a tag: [start, end), `end` at the tag's end or at a '-'.
struct TagCore {
  std::size_t start = 0;
  std::size_t end = 0;
  std::size_t numeric_parts = 0;
};

// Scans the core of a version at tag[start]: `[v]N(.N){0,2}` then either a glued letter suffix
// `[A-Za-z][0-9A-Za-z]*` or, after three numbers, a fourth part of '.'-separated [0-9A-Za-z]+
// identifiers starting with a digit. nullopt unless the core ends at the tag's end or a '-'.
std::optional<TagCore> ScanTagCore(std::string_view tag, std::size_t start) {
  TagCore core;
  core.start = start;
  bool fourth_part = false;
  std::size_t pos = start;
  if (pos < tag.size() && (tag[pos] == 'v' || tag[pos] == 'V')) ++pos;
  while (true) {
    std::size_t number = pos;
    while (pos < tag.size() && IsDigit(tag[pos])) ++pos;
    if (pos == number || pos - number > kMaxNumberDigits) return std::nullopt;
    ++core.numeric_parts;
    if (pos + 1 >= tag.size() || tag[pos] != '.' || !IsDigit(tag[pos + 1])) break;
    ++pos;
    if (core.numeric_parts == kMaxNumericParts) {  // a fourth part: build metadata
      fourth_part = true;
      while (pos < tag.size() && (IsAlnum(tag[pos]) || (tag[pos] == '.' && pos + 1 < tag.size() &&
                                                        IsAlnum(tag[pos + 1])))) {
        ++pos;
      }
      break;
    }
  }
  if (!fourth_part && pos < tag.size() && IsLetter(tag[pos])) {
    while (pos < tag.size() && IsAlnum(tag[pos])) ++pos;
  }
  if (pos != tag.size() && tag[pos] != '-') return std::nullopt;
  core.end = pos;
  return core;
}

// The tag's version core: at its start if it starts with one; else after the leftmost '-'
// followed by a version of at least two numeric parts; else after the leftmost '-' followed by
// any version.
std::optional<TagCore> FindTagCore(std::string_view tag) {
  if (auto core = ScanTagCore(tag, 0)) return core;
  std::optional<TagCore> any;
  for (std::size_t at = tag.find('-'); at != std::string_view::npos; at = tag.find('-', at + 1)) {
    auto core = ScanTagCore(tag, at + 1);
    if (!core) continue;
    if (core->numeric_parts >= 2) return core;
    if (!any) any = core;
  }
  return any;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A '-'-separated segment of a tag after its version core that continues the version: valid
// '.'-separated identifiers, starting with a digit (`119b`, `2`, `20231001`) or with a
// pre-release word followed only by digits and/or '.'-identifiers (`rc1`, `rc.1`, `beta.2`, `b`).
bool LooksLikePreRelease(std::string_view segment) {
  std::vector<std::string> ids;
  if (segment.empty() || ParseIdentifiers(segment, ids) != std::string_view::npos) return false;
  if (IsDigit(segment.front())) return true;
  return std::any_of(
      std::begin(kPreReleaseWords), std::end(kPreReleaseWords), [&](std::string_view word) {
        if (segment.size() < word.size() ||
            !EqualsIgnoreCase(segment.substr(0, word.size()), word)) {
          return false;
        }
        std::string_view tail = segment.substr(word.size());
        tail.remove_prefix(std::min(tail.find_first_not_of("0123456789"), tail.size()));
        return tail.empty() || tail.front() == '.';
      });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Version

Result<Version> Version::Parse(std::string_view text) {
  Version v;
  v.text_ = std::string(text);
  if (text == kLatest) {
    v.latest_ = true;
    return v;
  }
  std::size_t pos = 0;
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) pos = 1;

  while (true) {
    std::size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == start) return VersionError(text, pos, "expected a digit");
    if (pos - start > kMaxNumberDigits) {
      return VersionError(text, start, "number longer than 18 digits");
    }
    v.numbers_.push_back(std::stoull(std::string(text.substr(start, pos - start))));
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      if (v.numbers_.size() == kMaxNumericParts) return ParseFourthPart(std::move(v), text, pos);
      continue;
    }
    break;
  }

  if (pos < text.size() && IsLetter(text[pos])) {
    std::size_t start = pos;
    while (pos < text.size() && IsAlnum(text[pos])) ++pos;
    SplitGluedSuffix(text.substr(start, pos - start), v.pre_release_);
  }
  if (pos < text.size() && text[pos] == '-') {
    ++pos;
    std::size_t end = std::min(text.find('+', pos), text.size());
    std::size_t bad = ParseIdentifiers(text.substr(pos, end - pos), v.pre_release_);
    if (bad != std::string_view::npos) {
      return VersionError(text, pos + bad, "invalid or empty pre-release identifier");
    }
    pos = end;
  }
  if (pos < text.size() && text[pos] == '+') {
    ++pos;
    std::size_t bad = ParseIdentifiers(text.substr(pos), v.build_);
    if (bad != std::string_view::npos) {
      return VersionError(text, pos + bad, "invalid or empty build identifier");
    }
    pos = text.size();
  }
  if (pos != text.size()) return VersionError(text, pos, "unexpected character");
  return v;
}

// As semantic_version's coerce: `1.3.0.119` → `1.3.0+119`, `1.2.3.4+x` → `1.2.3+4.x`.
Result<Version> Version::ParseFourthPart(Version v, std::string_view text, std::size_t pos) {
  if (pos >= text.size() || !IsDigit(text[pos])) {
    return VersionError(text, pos, "expected a digit (a fourth part is read as build metadata)");
  }
  std::size_t plus = std::min(text.find('+', pos), text.size());
  std::size_t bad = ParseIdentifiers(text.substr(pos, plus - pos), v.build_);
  if (bad == std::string_view::npos && plus < text.size()) {
    pos = plus + 1;
    bad = ParseIdentifiers(text.substr(pos), v.build_);
  }
  if (bad != std::string_view::npos) {
    return VersionError(text, pos + bad, "invalid or empty build identifier");
  }
  return v;
}

std::string Version::Canonical() const {
  if (latest_) return std::string(kLatest);
  std::string out;
  for (std::size_t i = 0; i < numbers_.size(); ++i) {
    if (i > 0) out += '.';
    out += std::to_string(numbers_[i]);
  }
  if (!pre_release_.empty()) out += "-" + Join(pre_release_, '.');
  if (!build_.empty()) out += "+" + Join(build_, '.');
  return out;
}

std::strong_ordering Version::operator<=>(const Version& other) const {
  if (latest_ || other.latest_) return latest_ <=> other.latest_;
  std::size_t n = std::max(numbers_.size(), other.numbers_.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t a = i < numbers_.size() ? numbers_[i] : 0;
    std::uint64_t b = i < other.numbers_.size() ? other.numbers_[i] : 0;
    if (a != b) return a <=> b;
  }
  // A release sorts after every pre-release of the same numbers.
  if (pre_release_.empty() != other.pre_release_.empty()) {
    return pre_release_.empty() ? std::strong_ordering::greater : std::strong_ordering::less;
  }
  if (auto c = CompareIdentifiers(pre_release_, other.pre_release_); std::is_neq(c)) return c;
  // Build metadata last, so that versions are totally ordered (docs/VERSIONS.md).
  if (build_.empty() || other.build_.empty()) return build_.size() <=> other.build_.size();
  return CompareIdentifiers(LetterAndDigitRuns(build_), LetterAndDigitRuns(other.build_));
}

// ---------------------------------------------------------------------------------------------
// Tags

Result<Tag> ParseTag(std::string_view tag) {
  if (Status s = ValidateTagSyntax(tag); !s.ok()) return Unexpected{s.error()};
  Tag out;
  out.text = std::string(tag);
  if (auto latest = LatestSpecies(tag)) {
    out.species = std::string(*latest);
    out.version = Version::Parse(kLatest).value();
    return out;
  }
  std::optional<TagCore> core = FindTagCore(tag);
  if (!core) {
    out.species = std::string(tag);  // no version: the tag is its own species
    return out;
  }
  // Pre-release segments after the core belong to the version; the rest is a species suffix.
  std::size_t version_end = core->end;
  while (version_end < tag.size()) {  // tag[version_end] == '-'
    std::size_t next = std::min(tag.find('-', version_end + 1), tag.size());
    if (!LooksLikePreRelease(tag.substr(version_end + 1, next - version_end - 1))) break;
    version_end = next;
  }
  std::string_view prefix = core->start > 0 ? tag.substr(0, core->start - 1) : std::string_view();
  std::string_view suffix =
      version_end < tag.size() ? tag.substr(version_end + 1) : std::string_view();
  out.species = std::string(prefix);
  if (!prefix.empty() && !suffix.empty()) out.species += '-';
  out.species += suffix;
  // ScanTagCore and LooksLikePreRelease accept only text that Version::Parse reads.
  out.version = Version::Parse(tag.substr(core->start, version_end - core->start)).value();
  return out;
}

std::vector<Tag> VersionedTagsNewestFirst(std::span<const std::string> tags,
                                          std::string_view species) {
  std::vector<Tag> out;
  for (const std::string& text : tags) {
    auto tag = ParseTag(text);
    if (!tag.ok() || !tag->version || tag->version->is_latest() || tag->species != species) {
      continue;
    }
    out.push_back(std::move(tag).value());
  }
  std::sort(out.begin(), out.end(), [](const Tag& a, const Tag& b) {
    auto c = *a.version <=> *b.version;
    if (std::is_neq(c)) return std::is_gt(c);
    return a.text < b.text;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Image references

Result<ImageRef> ParseImageRef(std::string_view ref) {
  auto bad = [&](std::string_view why) {
    return Fail("parse", "image reference \"" + EscapeInvalidUtf8(ref) + "\": " + std::string(why) +
                             "; accepted: [registry[:port]/]repository[:tag][@sha256:<hex>]");
  };
  if (ref.empty()) return bad("is empty");

  ImageRef out;
  std::string_view name = ref;
  if (std::size_t at = name.find('@'); at != std::string_view::npos) {
    out.digest = std::string(name.substr(at + 1));
    if (Status s = ValidateDigest(ref, out.digest); !s.ok()) return Unexpected{s.error()};
    name = name.substr(0, at);
  }
  std::size_t last_slash = name.rfind('/');
  std::size_t colon = name.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = name.substr(colon + 1);
    if (Status s = ValidateTagSyntax(tag); !s.ok()) {
      return Fail("parse",
                  "image reference \"" + EscapeInvalidUtf8(ref) + "\": " + s.error().message);
    }
    out.tag = std::string(tag);
    name = name.substr(0, colon);
  }
  if (out.tag.empty() && out.digest.empty()) out.tag = std::string(kLatest);

  std::size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = name.substr(0, first_slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
        (!first.empty() && first.front() == '[')) {
      if (!IsValidRegistry(first))
        return bad("registry \"" + EscapeInvalidUtf8(first) + "\" is invalid");
      out.registry = std::string(first);
      name = name.substr(first_slash + 1);
    }
  }
  if (out.registry.empty() || out.registry == "index.docker.io" ||
      out.registry == "registry-1.docker.io") {
    out.registry = std::string(kDockerHub);
  }
  if (name.empty()) return bad("has no repository");
  for (std::string_view component : Split(name, '/')) {
    if (!IsValidPathComponent(component)) {
      return bad("repository component \"" + EscapeInvalidUtf8(component) +
                 "\" is invalid (lowercase letters and digits, separated by '.', '_' or '-')");
    }
  }
  out.repository = std::string(name);
  if (out.registry == kDockerHub && out.repository.find('/') == std::string::npos) {
    out.repository = "library/" + out.repository;
  }
  // On the repository as written back (with `library/`), so that what ToString writes parses.
  if (out.repository.size() > kMaxRepositoryLength) {
    return bad("repository is longer than 255 characters");
  }
  return out;
}

std::string ImageRef::Species() const {
  auto parsed = ParseTag(tag);
  return parsed.ok() ? parsed->species : std::string();
}

std::string ImageRef::Identity() const {
  std::string id = registry + "/" + repository;
  std::string species = Species();
  if (!species.empty()) id += ":" + species;
  return id;
}

std::string ImageRef::ToString() const {
  std::string s = registry + "/" + repository;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Candidacy CompareCandidate(const ImageRef& running, const ImageRef& candidate) {
  if (running.Identity() != candidate.Identity()) return Candidacy::kOtherIdentity;
  if (!running.digest.empty() && running.digest == candidate.digest) return Candidacy::kSame;
  auto r = ParseTag(running.tag);
  auto c = ParseTag(candidate.tag);
  if (!r.ok() || !c.ok()) return Candidacy::kNotComparable;
  if (!r->version || !c->version) return Candidacy::kNotComparable;
  if (r->version->is_latest() && c->version->is_latest()) {
    // `latest` is a moving tag: a different digest is a newer push.
    if (running.digest.empty() || candidate.digest.empty()) return Candidacy::kNotComparable;
    return Candidacy::kUpgrade;  // equal digests were handled above
  }
  // `latest` is newest as a Version, but a versioned tag may have been pushed after it.
  if (r->version->is_latest() || c->version->is_latest()) return Candidacy::kNotComparable;
  auto order = *c->version <=> *r->version;
  if (std::is_gt(order)) return Candidacy::kUpgrade;
  if (std::is_lt(order)) return Candidacy::kOlder;
  return Candidacy::kSame;
}

bool IsUpgrade(const ImageRef& running, const ImageRef& candidate) {
  return CompareCandidate(running, candidate) == Candidacy::kUpgrade;
}

std::string_view ToString(Candidacy c) {
  switch (c) {
    case Candidacy::kUpgrade:
      return "upgrade";
    case Candidacy::kSame:
      return "same";
    case Candidacy::kOlder:
      return "older";
    case Candidacy::kOtherIdentity:
      return "other identity";
    case Candidacy::kNotComparable:
      return "not comparable";
  }
  return "unknown";
}

}  // namespace maiev::versions
