// Image versions, tags and references (SPEC §5). Pure: no I/O, no clock.
//
// A tag carries a species and a version: `producer-1.0.16` → species `producer`, version
// `1.0.16`; `1.2` → no species; `latest` is compared by digest. An image's identity is
// `registry/repository:species`; only images of the same identity are candidate upgrades, and
// only a strictly newer version is an upgrade (never a downgrade).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace maiev::versions {

// A semantic-version-like version: `[v]N(.N)*[-PRE][+BUILD]`.
//  - one or more numeric dot parts (digits only, at most 18 digits each); missing parts compare
//    as 0, so `1.2` == `1.2.0`; leading zeros are accepted and compare numerically;
//  - an optional leading `v` or `V` (`v1.2`), kept in text() but ignored in comparisons;
//  - an optional pre-release after `-`: dot-separated non-empty identifiers of [0-9A-Za-z-];
//    compared per SemVer 2.0 §11 (numeric identifiers numerically and below alphanumeric ones,
//    alphanumeric ones in ASCII order, a longer list above its prefix); any pre-release sorts
//    before the release of the same numbers;
//  - an optional build after `+`: dot-separated non-empty identifiers of [0-9A-Za-z-], ignored
//    in comparisons and equality (`1.0+a` == `1.0+b`). Docker tags cannot contain `+`, so build
//    metadata only appears in versions written elsewhere (catalogs, labels).
// Immutable value type; thread-compatible.
class Version {
 public:
  // Errors: code "parse", message naming the text, the offending position and the accepted form.
  static Result<Version> Parse(std::string_view text);

  const std::string& text() const { return text_; }  // exactly as written, `v` included
  const std::vector<std::uint64_t>& numbers() const { return numbers_; }  // as written
  const std::vector<std::string>& pre_release() const { return pre_release_; }
  const std::string& build() const { return build_; }  // without the `+`; empty when absent
  bool is_pre_release() const { return !pre_release_.empty(); }

  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const { return std::is_eq(*this <=> other); }

 private:
  Version() = default;

  std::string text_;
  std::vector<std::uint64_t> numbers_;
  std::vector<std::string> pre_release_;
  std::string build_;
};

// A parsed image tag.
//  - `latest` → is_latest, no species; `SPECIES-latest` → is_latest with that species;
//  - a tag that is a Version as a whole (`1.2`, `v2.0.0-rc.1`) → no species;
//  - `SPECIES-VERSION` → the species may itself contain `-` and `_` (`my-svc-1.2.3` → species
//    `my-svc`). The split is at the leftmost `-` whose remainder is a Version with at least two
//    numeric parts; failing that, the leftmost `-` whose remainder is any Version (`worker-2`).
//  - any other valid tag (`edge`, `feature-x`) is NOT an error: it yields a Tag with no version,
//    is_latest false and species empty; such a tag is never an upgrade candidate.
struct Tag {
  std::string species;             // empty when the tag names none
  std::optional<Version> version;  // absent for `latest` and for non-version tags
  bool is_latest = false;
  std::string text;  // the tag as written
};

// Errors (code "parse") only for tags Docker would reject: empty, longer than 128 characters,
// characters outside [A-Za-z0-9_.-], or a first character `.` or `-`.
Result<Tag> ParseTag(std::string_view tag);

// A Docker image reference, normalised the way Docker does it.
struct ImageRef {
  std::string registry;    // host[:port]; "docker.io" when the reference names none
  std::string repository;  // path; "library/" prefixed for single-component Docker Hub images
  std::string tag;         // "latest" when neither tag nor digest is given; empty with digest only
  std::string digest;      // "sha256:<64 hex>" or empty

  // `registry/repository:species`, or `registry/repository` when the tag names no species
  // (`1.2`, `latest`, `edge`). Two images with equal identity are versions of one another.
  std::string Identity() const;
  // The species of the tag; empty when none (or the tag is empty/invalid).
  std::string Species() const;
  // `registry/repository[:tag][@digest]`, parseable by ParseImageRef into an equal ImageRef.
  std::string ToString() const;

  friend bool operator==(const ImageRef&, const ImageRef&) = default;
};

// Accepts `[registry/]repository[:tag][@digest]`, e.g. `nginx`, `library/x:1`,
// `127.0.0.1:5000/worker:worker-1.0.0`, `registry:5000/repo/name:tag@sha256:…`.
// Docker's rule: the first path component is a registry when it contains `.` or `:` or is
// `localhost`; otherwise the registry is docker.io (and `index.docker.io` is read as docker.io).
// Errors: code "parse", message naming the reference and the part that is wrong.
Result<ImageRef> ParseImageRef(std::string_view ref);

// How a candidate image relates to a running one, for upgrade decisions and for telling an
// operator why an image was not chosen.
enum class Candidacy {
  kUpgrade,        // same identity, strictly newer version (or `latest` with another digest)
  kSame,           // same identity and equal version (build metadata ignored), or same digest
  kOlder,          // same identity, older version: never a candidate (no downgrade)
  kOtherIdentity,  // registry, repository or species differ
  kNotComparable,  // a side has no version (`edge`), or `latest` against a versioned tag,
                   // or `latest` without both digests
};

Candidacy CompareCandidate(const ImageRef& running, const ImageRef& candidate);
// True only for Candidacy::kUpgrade.
bool IsUpgrade(const ImageRef& running, const ImageRef& candidate);

std::string_view ToString(Candidacy c);

// The tags of `species` that carry a version, newest first (ties, e.g. `1.2` and `1.2.0`, in
// text order so the result is deterministic). Other species, `latest`, non-version and invalid
// tags are dropped. Use species "" for tags that name no species.
std::vector<Tag> VersionedTagsNewestFirst(std::span<const std::string> tags,
                                          std::string_view species);

}  // namespace maiev::versions
