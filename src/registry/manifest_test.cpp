#include "registry/manifest.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::registry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kDigestC = "sha256:" + std::string(64, 'c');
const std::string kDigestD = "sha256:" + std::string(64, 'd');

Manifest Parsed(const std::string& body, std::string_view content_type = "") {
  auto m = ParseManifest(body, content_type);
  EXPECT_TRUE(m.ok()) << body << ": " << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : Manifest{};
}

void ExpectError(const Result<Manifest>& m, std::string_view code, std::string_view text) {
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, code);
  EXPECT_THAT(m.error().message, HasSubstr(std::string(text)));
}

// As Docker 20.10 pushes a FROM scratch image.
std::string DockerManifest(const std::string& config_digest) {
  return R"({"schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1512,
               "digest": ")" +
         config_digest + R"("},
    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 977,
                "digest": ")" +
         kDigestD + R"("}]})";
}

// A multi-platform list as buildx writes one, with an attestation manifest.
std::string DockerList() {
  return R"({"schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests": [
      {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
       "digest": ")" +
         kDigestA + R"(", "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
      {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
       "digest": ")" +
         kDigestB + R"(", "platform": {"architecture": "amd64", "os": "linux"}},
      {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 566,
       "digest": ")" +
         kDigestC + R"(", "platform": {"architecture": "unknown", "os": "unknown"}}
    ]})";
}

TEST(IsValidDigest, AcceptsSha256AndSha512InLowercaseHex) {
  EXPECT_TRUE(IsValidDigest(kDigestA));
  EXPECT_TRUE(IsValidDigest("sha512:" + std::string(128, '0')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(63, 'a') + "/"));
  EXPECT_FALSE(IsValidDigest("md5:" + std::string(32, 'a')));
  EXPECT_FALSE(IsValidDigest(""));
}

TEST(IsValidRepository, FollowsDistributionsNameGrammar) {
  for (std::string_view ok : {"app", "library/nginx", "a/b/c", "my-app", "my--app", "my_app",
                              "my__app", "my.app", "0x"}) {
    EXPECT_TRUE(IsValidRepository(ok)) << ok;
  }
  for (std::string_view bad : {"", "App", "a//b", "/a", "a/", "-a", "a-", "a___b", "a..b", "a/../b",
                               "a b", "a?n=1", "a:tag"}) {
    EXPECT_FALSE(IsValidRepository(bad)) << bad;
  }
  EXPECT_FALSE(IsValidRepository(std::string(256, 'a')));
}

TEST(ParseManifest, ReadsTheConfigDigestOfADockerImage) {
  Manifest m = Parsed(DockerManifest(kDigestA));
  EXPECT_EQ(m.kind, Manifest::Kind::kImage);
  EXPECT_EQ(m.media_type, kDockerManifestV2);
  EXPECT_EQ(m.config_digest, kDigestA);
}

TEST(ParseManifest, ReadsAnOciImageManifest) {
  Manifest m =
      Parsed(R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ")" +
             kDigestB + R"(", "size": 7}, "layers": []})");
  EXPECT_EQ(m.kind, Manifest::Kind::kImage);
  EXPECT_EQ(m.media_type, kOciManifest);
  EXPECT_EQ(m.config_digest, kDigestB);
}

TEST(ParseManifest, TakesTheMediaTypeFromTheContentTypeWhenTheBodyHasNone) {
  Manifest m = Parsed(R"({"schemaVersion": 2, "manifests": [{"digest": ")" + kDigestA +
                          R"(", "platform": {"os": "linux", "architecture": "amd64"}}]})",
                      "application/vnd.oci.image.index.v1+json; charset=utf-8");
  EXPECT_EQ(m.kind, Manifest::Kind::kIndex);
  EXPECT_EQ(m.media_type, kOciIndex);
  ASSERT_EQ(m.entries.size(), 1u);
  EXPECT_EQ(m.entries[0].digest, kDigestA);
}

TEST(ParseManifest, TellsUntypedOciDocumentsApartByShape) {
  EXPECT_EQ(Parsed(R"({"schemaVersion": 2, "manifests": []})", "application/json").kind,
            Manifest::Kind::kIndex);
  EXPECT_EQ(Parsed(R"({"schemaVersion": 2, "config": {"digest": ")" + kDigestA + R"("}})").kind,
            Manifest::Kind::kImage);
}

TEST(ParseManifest, ReadsEveryEntryOfAManifestList) {
  Manifest m = Parsed(DockerList());
  EXPECT_EQ(m.kind, Manifest::Kind::kIndex);
  EXPECT_EQ(m.media_type, kDockerManifestList);
  ASSERT_EQ(m.entries.size(), 3u);
  EXPECT_EQ(m.entries[0], (ManifestEntry{kDigestA, std::string(kDockerManifestV2),
                                         Platform{"linux", "arm64", "v8"}}));
  EXPECT_EQ(m.entries[1].platform, (Platform{"linux", "amd64", ""}));
  EXPECT_EQ(m.entries[2].media_type, kOciManifest);
}

TEST(ParseManifest, RejectsSchema1AndUnknownTypes) {
  ExpectError(ParseManifest(R"({"schemaVersion": 1, "name": "x", "fsLayers": []})",
                            "application/vnd.docker.distribution.manifest.v1+prettyjws"),
              "unsupported", "schema 1");
  ExpectError(ParseManifest(R"({"mediaType": "application/vnd.example+json"})", ""), "unsupported",
              "application/vnd.example+json");
  ExpectError(ParseManifest(R"({"schemaVersion": 2})", ""), "unsupported", "accepted:");
}

TEST(ParseManifest, RejectsEveryMalformedShapeWithItsPath) {
  struct Case {
    std::string body;
    std::string text;
  };
  const std::string list =
      R"("mediaType": "application/vnd.docker.distribution.manifest.list.v2+json")";
  const std::string image =
      R"("mediaType": "application/vnd.docker.distribution.manifest.v2+json")";
  const std::vector<Case> cases = {
      {"not json", "manifest is not JSON"},
      {"[]", "(top level): expected an object"},
      {R"({"mediaType": 5})", "mediaType: expected a string"},
      {"{" + image + "}", "config: expected an object"},
      {"{" + image + R"(, "config": []})", "config: expected an object"},
      {"{" + image + R"(, "config": {}})", "config.digest: expected a digest"},
      {"{" + image + R"(, "config": {"digest": "sha256:abc"}})",
       "config.digest: expected a digest"},
      {"{" + list + "}", "manifests: expected an array"},
      {"{" + list + R"(, "manifests": {}})", "manifests: expected an array"},
      {"{" + list + R"(, "manifests": [7]})", "manifests[0]: expected an object"},
      {"{" + list + R"(, "manifests": [{"digest": 1}]})", "manifests[0].digest: expected a digest"},
      {"{" + list + R"(, "manifests": [{"digest": ")" + kDigestA + R"(", "mediaType": []}]})",
       "manifests[0].mediaType: expected a string"},
      {"{" + list + R"(, "manifests": [{"digest": ")" + kDigestA + R"(", "platform": "linux"}]})",
       "manifests[0].platform: expected an object"},
      {"{" + list + R"(, "manifests": [{"digest": ")" + kDigestA + R"(", "platform": {"os": 1}}]})",
       "manifests[0].platform.os: expected a string"},
      {"{" + list + R"(, "manifests": [{"digest": ")" + kDigestA + R"("}, {"digest": ")" +
           kDigestB + R"(", "platform": {"os": "linux", "architecture": false}}]})",
       "manifests[1].platform.architecture: expected a string"},
  };
  for (const Case& c : cases) {
    auto m = ParseManifest(c.body, "");
    ASSERT_FALSE(m.ok()) << c.body;
    EXPECT_EQ(m.error().code, "protocol") << c.body;
    EXPECT_THAT(m.error().message, HasSubstr(c.text)) << c.body;
  }
}

// ---------------------------------------------------------------------------------------------
// Platform choice

Manifest Index(std::vector<Platform> platforms) {
  Manifest m;
  m.kind = Manifest::Kind::kIndex;
  char fill = 'a';
  for (Platform& p : platforms) {
    m.entries.push_back({"sha256:" + std::string(64, fill++), std::string(kOciManifest), p});
  }
  return m;
}

TEST(ChoosePlatform, PicksLinuxAmd64FromAList) {
  auto chosen = ChoosePlatform(Parsed(DockerList()));
  ASSERT_TRUE(chosen.ok()) << chosen.error().message;
  EXPECT_EQ(chosen->digest, kDigestB);
}

TEST(ChoosePlatform, PrefersTheBaselineVariantWhenNoneIsAskedFor) {
  auto m = Index({{"linux", "amd64", "v3"}, {"linux", "amd64", ""}, {"linux", "amd64", "v2"}});
  EXPECT_EQ(ChoosePlatform(m)->digest, m.entries[1].digest);
  auto v1 = Index({{"linux", "amd64", "v3"}, {"linux", "amd64", "v1"}});
  EXPECT_EQ(ChoosePlatform(v1)->digest, v1.entries[1].digest);
}

TEST(ChoosePlatform, IgnoresTheVariantWhenOnlyVariantsExist) {
  auto m = Index({{"windows", "amd64", ""}, {"linux", "amd64", "v3"}, {"linux", "amd64", "v2"}});
  EXPECT_EQ(ChoosePlatform(m)->digest, m.entries[1].digest);
}

TEST(ChoosePlatform, MatchesAVariantWhenOneIsAskedFor) {
  auto m = Index({{"linux", "arm", "v6"}, {"linux", "arm", "v7"}});
  EXPECT_EQ(ChoosePlatform(m, Platform{"linux", "arm", "v7"})->digest, m.entries[1].digest);
  auto none = ChoosePlatform(m, Platform{"linux", "arm", "v8"});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "not_found");
}

TEST(ChoosePlatform, NamesThePlatformsAListHasWhenItLacksTheWantedOne) {
  auto m = Index({{"linux", "arm64", "v8"}, {"windows", "amd64", ""}, {"", "", ""}});
  auto chosen = ChoosePlatform(m);
  ASSERT_FALSE(chosen.ok());
  EXPECT_EQ(chosen.error().code, "not_found");
  EXPECT_THAT(chosen.error().message, HasSubstr("no linux/amd64 image"));
  EXPECT_THAT(chosen.error().message, HasSubstr("linux/arm64/v8, windows/amd64, ?/?"));
  EXPECT_THAT(ChoosePlatform(Index({})).error().message, HasSubstr("no entries"));
}

// ---------------------------------------------------------------------------------------------
// Config labels, tag lists, error bodies

TEST(ParseImageConfigLabels, ReadsTheLabelsOfAConfigBlob) {
  auto labels = ParseImageConfigLabels(R"({"architecture": "amd64", "os": "linux",
      "config": {"Env": ["PATH=/"], "Labels": {"maiev.scale_config": "{\"min\": 1}",
                                               "maiev.version": "1.0.0"}},
      "rootfs": {"type": "layers", "diff_ids": []}})");
  ASSERT_TRUE(labels.ok()) << labels.error().message;
  EXPECT_EQ(labels->size(), 2u);
  EXPECT_EQ(labels->at(std::string(kScaleConfigLabel)), R"({"min": 1})");
}

TEST(ParseImageConfigLabels, ReadsNoLabelsAsEmpty) {
  for (std::string_view body :
       {R"({})", R"({"config": null})", R"({"config": {}})", R"({"config": {"Labels": null}})"}) {
    auto labels = ParseImageConfigLabels(body);
    ASSERT_TRUE(labels.ok()) << body;
    EXPECT_TRUE(labels->empty()) << body;
  }
}

TEST(ParseImageConfigLabels, RejectsMalformedShapes) {
  struct Case {
    std::string body;
    std::string text;
  };
  for (const Case& c : std::vector<Case>{
           {"{", "image config is not JSON"},
           {"[]", "(top level): expected an object"},
           {R"({"config": "x"})", "config: expected an object"},
           {R"({"config": {"Labels": []}})", "config.Labels: expected an object"},
           {R"({"config": {"Labels": {"a": "1", "b": 2}}})",
            R"(config.Labels["b"]: expected a string)"},
       }) {
    auto labels = ParseImageConfigLabels(c.body);
    ASSERT_FALSE(labels.ok()) << c.body;
    EXPECT_EQ(labels.error().code, "protocol");
    EXPECT_THAT(labels.error().message, HasSubstr(c.text));
  }
}

TEST(ParseTagList, ReadsTags) {
  auto tags = ParseTagList(R"({"name": "app", "tags": ["1.0.0", "latest"]})");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_THAT(*tags, ElementsAre("1.0.0", "latest"));
  auto none = ParseTagList(R"({"name": "app", "tags": null})");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ParseTagList, RejectsMalformedShapes) {
  struct Case {
    std::string body;
    std::string text;
  };
  for (const Case& c : std::vector<Case>{
           {"", "tag list is not JSON"},
           {"[]", "(top level): expected an object"},
           {R"({"name": "x"})", "tags: expected an array"},
           {R"({"tags": "1.0"})", "tags: expected an array"},
           {R"({"tags": ["1.0", 2]})", "tags[1]: expected a string"},
       }) {
    auto tags = ParseTagList(c.body);
    ASSERT_FALSE(tags.ok()) << c.body;
    EXPECT_EQ(tags.error().code, "protocol");
    EXPECT_THAT(tags.error().message, HasSubstr(c.text));
  }
}

TEST(RegistryErrorSummary, QuotesTheRegistrysCodesAndMessages) {
  EXPECT_EQ(
      RegistryErrorSummary(
          R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})"),
      "MANIFEST_UNKNOWN: manifest unknown");
  EXPECT_EQ(RegistryErrorSummary(R"({"errors":[{"code":"A"},{"message":"b"},{"code":1},7]})"),
            "A; b");
  EXPECT_EQ(RegistryErrorSummary("<html>bad gateway</html>"), "");
  EXPECT_EQ(RegistryErrorSummary(R"({"errors": "x"})"), "");
  std::string long_message(1000, 'x');
  EXPECT_LT(RegistryErrorSummary(R"({"errors":[{"message":")" + long_message + R"("}]})").size(),
            320u);
}

// Found by fuzz/manifest_fuzz: the syntax error and the unsupported media type were quoted with
// bytes that are not UTF-8.
TEST(ParseManifest, ErrorsEscapeBytesThatAreNotUtf8) {
  auto syntax = ParseManifest("{\"config\": \x8A\x8A", "application/json");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, "protocol");
  EXPECT_EQ(syntax.error().message.find('\x8A'), std::string::npos) << syntax.error().message;
  auto type = ParseManifest("{}", "application/vnd.oci.image.index.v1+js\x8A");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.error().code, "unsupported");
  EXPECT_THAT(type.error().message, HasSubstr(R"("application/vnd.oci.image.index.v1+js\x8A")"));
}

}  // namespace
}  // namespace maiev::registry
