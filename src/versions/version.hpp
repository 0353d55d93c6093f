// Image versions, tags and references (SPEC §5). Pure: no I/O, no clock.
//
// A tag carries a species and a version: `producer-1.0.16` → species `producer`, version
// `1.0.16`; `3.6.1-alpine` → species `alpine`, version `3.6.1`; `1.2` → no species; `latest` is
// compared by digest. An image's identity is
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

// A version as registries and catalogs write them (docs/VERSIONS.md): SemVer, the forms
// semantic_version's `Version.coerce` read, and `latest`.
//  - `latest`: newer than every other version, equal only to itself;
//  - otherwise an optional `v`/`V` (ignored in comparisons), then one to three numeric parts
//    `N(.N){0,2}` (digits only, at most 18 each, compared numerically; missing parts are 0, so
//    `1.2` == `1.2.0`), then at most one of:
//      - a FOURTH dotted part starting with a digit: it and everything after it is build
//        metadata, a later `+` read as `.` (`1.3.0.119` → `1.3.0+119`, `1.2.3.4.5` → `1.2.3+4.5`);
//      - a letter suffix glued to the last number, `[A-Za-z][0-9A-Za-z]*`, read as a
//        pre-release split at letter/digit boundaries (`1.0.69a1` → `1.0.69-a.1`, `122b` →
//        `122-b`), optionally followed by `-PRE` (identifiers appended) and/or `+BUILD`;
//      - `-PRE` and/or `+BUILD`: dot-separated SemVer identifiers of [0-9A-Za-z-].
// Order: numbers; then a release is newer than its pre-releases, which compare per SemVer 2.0
// §11 (numeric identifiers numerically and below alphanumeric ones, alphanumeric ones in ASCII
// order, a longer list above its prefix); then build metadata as the last key (none first, then
// its identifiers split where letters and digits meet, compared like pre-release ones). Unlike
// SemVer, build metadata counts, so that catalog versions are totally ordered and build numbers
// order as numbers: `1.3.0` < `1.3.0+110` < `1.3.0.110b` < `1.3.0.119`.
// Immutable value type; thread-compatible.
class Version {
 public:
  // Errors: code "parse", message naming the text, the offending position and the accepted forms.
  static Result<Version> Parse(std::string_view text);

  const std::string& text() const { return text_; }  // exactly as written, `v` included
  // As written (one to three); empty for `latest`.
  const std::vector<std::uint64_t>& numbers() const { return numbers_; }
  const std::vector<std::string>& pre_release() const { return pre_release_; }
  const std::vector<std::string>& build() const { return build_; }  // empty when absent
  bool is_pre_release() const { return !pre_release_.empty(); }
  bool is_latest() const { return latest_; }

  // The normalised text: the numbers as written without leading zeros, `-` and the pre-release
  // identifiers joined by `.`, `+` and the build identifiers; no `v`. `latest` for latest.
  // `1.0.69a1` → `1.0.69-a.1`, `1.3.0.119` → `1.3.0+119`, `v01.2` → `1.2`.
  // Parse(Canonical()) == *this.
  std::string Canonical() const;

  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const { return std::is_eq(*this <=> other); }

 private:
  Version() = default;
  // Parses the rest of `text` from `pos`, just after the dot that ends the third number.
  static Result<Version> ParseFourthPart(Version v, std::string_view text, std::size_t pos);

  std::string text_;
  std::vector<std::uint64_t> numbers_;
  std::vector<std::string> pre_release_;
  std::vector<std::string> build_;
  bool latest_ = false;
};

// A parsed image tag (docs/VERSIONS.md): a species and, optionally, a version.
//  - `latest` → version latest, no species; `SPECIES-latest` and `latest-SPECIES` → version
//    latest with that species.
//  - Otherwise the version starts at the tag's start when the tag starts with one
//    (`3.6.1-alpine`, `v2.0.0-rc.1`); else right after the leftmost `-` followed by a version
//    with at least two numeric parts (`load_manager-release-1.3.1`); else right after the
//    leftmost `-` followed by any version (`worker-2`). A version there is the version core
//    (numbers, glued letter suffix or fourth part) ending at the tag's end or at a `-`.
//  - After the core, `-`-separated segments that look like a pre-release (a first digit:
//    `119b`, `2`; or a pre-release word: `rc1`, `beta.2`, `b`) belong to the version; from the
//    first that does not, the rest is a species suffix (`alpine`, `slim-bullseye`).
//  - The species is the tag without its version: prefix and suffix joined by `-`
//    (`python-3.6-alpine` → `python-alpine`). A tag without a version (`edge`, `alpine`) is its
//    own species and is never an upgrade candidate.
// A tag's version is Version::Parse of the tag's version text (`1.0-rc1` in `x-1.0-rc1-slim`).
struct Tag {
  std::string species;             // empty when the tag names none
  std::optional<Version> version;  // absent for tags without a version; may be latest
  std::string text;                // the tag as written
};

// Errors (code "parse") only for tags Docker would reject: empty, longer than 128 characters,
// characters outside [A-Za-z0-9_.-] (`+` included: build metadata cannot be written in a tag),
// or a first character `.` or `-`.
Result<Tag> ParseTag(std::string_view tag);

// A Docker image reference, normalised the way Docker does it.
struct ImageRef {
  std::string registry;    // host[:port]; "docker.io" when the reference names none
  std::string repository;  // path; "library/" prefixed for single-component Docker Hub images
  std::string tag;         // "latest" when neither tag nor digest is given; empty with digest only
  std::string digest;      // "sha256:<64 hex>" or empty

  // `registry/repository:species`, or `registry/repository` when the tag names no species
  // (`1.2`, `latest`; `edge` is species `edge`). Two images with equal identity are versions of one
  // another.
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
  kSame,           // same identity and equal version (`1.2` and `1.2.0`), or same digest
  kOlder,          // same identity, older version: never a candidate (no downgrade)
  kOtherIdentity,  // registry, repository or species differ
  kNotComparable,  // a side has no version (`alpine` against `3-alpine`), or `latest`
                   // against a versioned tag, or `latest` without both digests
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
