// Image references, tags and versions (src/versions): the input is read as each. Invariants:
// error messages can be sent as JSON (they reach the catalog's answer);
// Version::Parse(Canonical()) is an equal version with the same canonical text, and order is
// consistent with equality; ParseImageRef(ToString()) is an equal reference; a reference is
// always the same candidate as itself; a tag's version is Version::Parse of part of the tag.
#include <array>
#include <compare>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "versions/version.hpp"

namespace maiev::versions {
namespace {

void CheckVersion(std::string_view text) {
  auto version = Version::Parse(text);
  if (!version.ok()) return fuzz::CheckMessage(version.error().message);
  const std::string canonical = version->Canonical();
  auto again = Version::Parse(canonical);
  fuzz::Check(again.ok());
  fuzz::Check(*again == *version);
  fuzz::Check(again->Canonical() == canonical);
  fuzz::Check(std::is_eq(*version <=> *again));
  // Against fixed versions, the order is antisymmetric.
  for (const char* other : {"1.2.3", "1.2.3-rc.1", "1.2.3+4", "latest", "0"}) {
    auto o = Version::Parse(other);
    fuzz::Check(o.ok());
    const std::strong_ordering forward = *version <=> *o;
    const std::strong_ordering backward = *o <=> *version;
    fuzz::Check(std::is_lt(forward) == std::is_gt(backward));
    fuzz::Check(std::is_eq(forward) == std::is_eq(backward));
  }
}

void CheckTag(std::string_view text) {
  auto tag = ParseTag(text);
  if (!tag.ok()) return fuzz::CheckMessage(tag.error().message);
  fuzz::Check(tag->text == text);
  if (tag->version && !tag->version->is_latest()) {
    fuzz::Check(text.find(tag->version->text()) != std::string_view::npos);
  }
  const std::array<std::string, 3> tags = {std::string(text), "1.0.0", "latest"};
  static_cast<void>(VersionedTagsNewestFirst(tags, tag->species));
}

void CheckImageRef(std::string_view text) {
  auto ref = ParseImageRef(text);
  if (!ref.ok()) return fuzz::CheckMessage(ref.error().message);
  const std::string written = ref->ToString();
  auto again = ParseImageRef(written);
  fuzz::Check(again.ok());
  fuzz::Check(*again == *ref);
  fuzz::Check(again->ToString() == written);
  static_cast<void>(ref->Identity());
  const Candidacy self = CompareCandidate(*ref, *ref);
  fuzz::Check(self == Candidacy::kSame || self == Candidacy::kNotComparable);
  auto other = ParseImageRef("127.0.0.1:5000/worker:worker-1.0.0");
  fuzz::Check(other.ok());
  static_cast<void>(CompareCandidate(*ref, *other));
  static_cast<void>(CompareCandidate(*other, *ref));
}

}  // namespace
}  // namespace maiev::versions

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = maiev::fuzz::Text(data, size);
  maiev::versions::CheckVersion(text);
  maiev::versions::CheckTag(text);
  maiev::versions::CheckImageRef(text);
  return 0;
}
