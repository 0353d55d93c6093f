#include "versions/version.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace maiev::versions {
namespace {

Version V(std::string_view text) {
  auto v = Version::Parse(text);
  EXPECT_TRUE(v.ok()) << text << ": " << (v.ok() ? "" : v.error().message);
  return std::move(v).value();
}

ImageRef Ref(std::string_view text) {
  auto r = ParseImageRef(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return std::move(r).value();
}

// ---------------------------------------------------------------------------------------------
// Tags, table-driven.

struct TagCase {
  std::string tag;
  std::string species;
  std::string version;  // "" = no version
  bool is_latest = false;
};

const std::vector<TagCase>& TagTable() {
  static const std::vector<TagCase> kTable = {
      // Whole-tag versions: no species.
      {"1.2", "", "1.2"},
      {"1", "", "1"},
      {"1.0.16", "", "1.0.16"},
      {"0.2.42", "", "0.2.42"},
      {"v1.2", "", "v1.2"},
      {"V3.0.1", "", "V3.0.1"},
      {"2.0.0-rc.1", "", "2.0.0-rc.1"},
      {"1.0.0-alpha.beta", "", "1.0.0-alpha.beta"},
      {"1.2.3.4", "", "1.2.3.4"},
      {"2024.01.05", "", "2024.01.05"},
      {"20240105", "", "20240105"},
      // Species + version.
      {"producer-1.0.16", "producer", "1.0.16"},
      {"consumer-0.0.1", "consumer", "0.0.1"},
      {"worker-1.0.0", "worker", "1.0.0"},
      {"my-svc-1.2.3", "my-svc", "1.2.3"},
      {"my_svc-1.2.3", "my_svc", "1.2.3"},
      {"a-b-c-d-0.1", "a-b-c-d", "0.1"},
      {"producer-1.0.0-rc.1", "producer", "1.0.0-rc.1"},
      {"producer-2.0.0-beta.11", "producer", "2.0.0-beta.11"},
      {"producer-v1.2", "producer", "v1.2"},
      {"svc-2-1.0", "svc-2", "1.0"},
      {"worker-2", "worker", "2"},
      {"python3-3.11", "python3", "3.11"},
      {"Api_Gateway-10.20.30", "Api_Gateway", "10.20.30"},
      // Real tags of the original deployment (fixtures/catalogs/planner-sample1.json).
      {"yupeeposting_webui-0.2.42", "yupeeposting_webui", "0.2.42"},
      {"yupeeposting_webui-0.2.9", "yupeeposting_webui", "0.2.9"},
      {"yupeeposting_backend-0.2.65", "yupeeposting_backend", "0.2.65"},
      {"http_to_rpc-0.1.8", "http_to_rpc", "0.1.8"},
      {"joboffer_fetcher-0.1.24", "joboffer_fetcher", "0.1.24"},
      {"joboffer_algolia_publisher-0.1.10", "joboffer_algolia_publisher", "0.1.10"},
      {"joboffer_xml_publisher-0.1.19", "joboffer_xml_publisher", "0.1.19"},
      // The original read the last '-' segment as the species ("release"); a species here keeps
      // every '-' (SPEC §5 identity), so the two flavours are distinct images.
      {"global-release-1.1.0", "global-release", "1.1.0"},
      {"health_mongodb-release-1.3.0", "health_mongodb-release", "1.3.0"},
      // latest.
      {"latest", "", "", true},
      {"producer-latest", "producer", "", true},
      {"my-svc-latest", "my-svc", "", true},
      // Valid tags that are not versions: no species, no version, not an error.
      {"edge", "", ""},
      {"feature-x", "", ""},
      {"release", "", ""},
      {"main_branch", "", ""},
      {"Latest", "", ""},
      {"_private", "", ""},
      {"1.2.", "", ""},
      {"v", "", ""},
      {"sha-abc1234", "", ""},
  };
  return kTable;
}

TEST(ParseTag, TableOfTagsYieldsSpeciesVersionAndLatest) {
  ASSERT_GE(TagTable().size(), 40u);
  for (const TagCase& c : TagTable()) {
    SCOPED_TRACE(c.tag);
    auto tag = ParseTag(c.tag);
    ASSERT_TRUE(tag.ok()) << tag.error().message;
    EXPECT_EQ(tag->text, c.tag);
    EXPECT_EQ(tag->species, c.species);
    EXPECT_EQ(tag->is_latest, c.is_latest);
    if (c.version.empty()) {
      EXPECT_FALSE(tag->version.has_value());
    } else {
      ASSERT_TRUE(tag->version.has_value());
      EXPECT_EQ(tag->version->text(), c.version);
    }
  }
}

TEST(ParseTag, RejectsTagsDockerRejects) {
  for (std::string bad :
       {std::string(), std::string("-1.2"), std::string(".x"), std::string("a b"),
        std::string("x:1"), std::string("é"), std::string("1.0+build"), std::string(129, 'a')}) {
    SCOPED_TRACE(bad);
    auto tag = ParseTag(bad);
    ASSERT_FALSE(tag.ok());
    EXPECT_EQ(tag.error().code, "parse");
    EXPECT_NE(tag.error().message.find("accepted"), std::string::npos) << tag.error().message;
  }
  EXPECT_TRUE(ParseTag(std::string(128, 'a')).ok());
}

// Every version and tag written in the original deployment's catalogs parses, and a tag's version
// and species agree with what the catalog recorded next to it (species aside for the two
// `*-release-*` flavours, see the table above).
void CollectStrings(const nlohmann::json& j, std::set<std::string>& versions,
                    std::vector<nlohmann::json>& image_infos) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if ((it.key() == "version" || it.key() == "from" || it.key() == "to") &&
          it.value().is_string()) {
        versions.insert(it.value().get<std::string>());
      }
      if (it.key() == "versions" && it.value().is_object()) {
        for (auto v = it.value().begin(); v != it.value().end(); ++v) versions.insert(v.key());
      }
      if (it.key() == "image_info" && it.value().is_object()) image_infos.push_back(it.value());
      CollectStrings(it.value(), versions, image_infos);
    }
  } else if (j.is_array()) {
    for (const auto& item : j) CollectStrings(item, versions, image_infos);
  }
}

TEST(ParseTag, EveryVersionAndTagOfTheFixtureCatalogsParses) {
  std::set<std::string> versions;
  std::vector<nlohmann::json> image_infos;
  for (const char* file : {"planner-sample1.json", "solver-sample1.json"}) {
    std::ifstream in(std::string(MAIEV_FIXTURES_DIR) + "/catalogs/" + file);
    ASSERT_TRUE(in) << file;
    CollectStrings(nlohmann::json::parse(in), versions, image_infos);
  }
  ASSERT_GE(versions.size(), 40u);
  ASSERT_GE(image_infos.size(), 100u);
  for (const std::string& text : versions) {
    SCOPED_TRACE(text);
    auto tag = ParseTag(text);
    ASSERT_TRUE(tag.ok()) << tag.error().message;
    ASSERT_TRUE(tag->version.has_value());
    EXPECT_EQ(tag->species, "");
    EXPECT_EQ(tag->version->numbers().size(), 3u);
  }
  for (const nlohmann::json& info : image_infos) {
    std::string text = info.at("tag").get<std::string>();
    SCOPED_TRACE(text);
    auto tag = ParseTag(text);
    ASSERT_TRUE(tag.ok()) << tag.error().message;
    ASSERT_TRUE(tag->version.has_value());
    EXPECT_EQ(*tag->version, V(info.at("version").get<std::string>()));
    EXPECT_TRUE(tag->species.ends_with(info.at("species").get<std::string>()));
  }
}

// ---------------------------------------------------------------------------------------------
// Version parsing and ordering.

TEST(Version, KeepsTextAsWrittenAndSplitsParts) {
  Version v = V("v2.0.10-rc.1+build.5");
  EXPECT_EQ(v.text(), "v2.0.10-rc.1+build.5");
  EXPECT_EQ(v.numbers(), (std::vector<std::uint64_t>{2, 0, 10}));
  EXPECT_EQ(v.pre_release(), (std::vector<std::string>{"rc", "1"}));
  EXPECT_EQ(v.build(), "build.5");
  EXPECT_TRUE(v.is_pre_release());
  EXPECT_FALSE(V("1.2").is_pre_release());
}

TEST(Version, RejectsMalformedTextWithPositionAndAcceptedForm) {
  for (const char* bad : {"", "v", "x1", "1..2", "1.", ".1", "1.2-", "1.2-rc..1", "1.2+", "1.2+a_b",
                          "1.2-rc_1", "1.2 ", "1234567890123456789", "producer-1.0"}) {
    SCOPED_TRACE(bad);
    auto v = Version::Parse(bad);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, "parse");
    EXPECT_NE(v.error().message.find("position"), std::string::npos) << v.error().message;
    EXPECT_NE(v.error().message.find("accepted"), std::string::npos) << v.error().message;
  }
  EXPECT_TRUE(Version::Parse("123456789012345678").ok());
}

TEST(Version, ComparesNumericPartsNumerically) {
  EXPECT_LT(V("0.2.9"), V("0.2.10"));
  EXPECT_LT(V("0.1.24"), V("0.2.9"));
  EXPECT_LT(V("1.9.9"), V("10.0.0"));
  EXPECT_GT(V("0.2.65"), V("0.2.64"));
  EXPECT_EQ(V("1.01"), V("1.1"));
}

TEST(Version, MissingPartsAreZero) {
  EXPECT_EQ(V("1.2"), V("1.2.0"));
  EXPECT_EQ(V("1"), V("1.0.0.0"));
  EXPECT_EQ(V("1.2") <=> V("1.2.0"), std::strong_ordering::equal);
  EXPECT_LT(V("1.2"), V("1.2.0.1"));
  EXPECT_EQ(V("v1.2"), V("1.2.0"));
}

TEST(Version, PreReleaseSortsBeforeRelease) {
  EXPECT_LT(V("1.0.0-rc.1"), V("1.0.0"));
  EXPECT_LT(V("1.0.0-rc.1"), V("1.0"));
  EXPECT_GT(V("1.0.1-alpha"), V("1.0.0"));
  EXPECT_NE(V("1.0.0-rc.1"), V("1.0.0"));
}

TEST(Version, PreReleaseIdentifiersFollowSemver) {
  // SemVer 2.0 §11 example chain.
  const std::vector<std::string> chain = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                          "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                          "1.0.0-rc.1",  "1.0.0"};
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    SCOPED_TRACE(chain[i] + " < " + chain[i + 1]);
    EXPECT_LT(V(chain[i]), V(chain[i + 1]));
    EXPECT_GT(V(chain[i + 1]), V(chain[i]));
  }
  EXPECT_LT(V("1.0.0-2"), V("1.0.0-10"));   // numeric identifiers numerically
  EXPECT_LT(V("1.0.0-99"), V("1.0.0-a"));   // numeric below alphanumeric
  EXPECT_LT(V("1.0.0-RC"), V("1.0.0-rc"));  // alphanumeric in ASCII order
  EXPECT_LT(V("1.0.0-1"), V("1.0.0-1.0"));  // a longer list above its prefix
  EXPECT_LT(V("1.0.0-99999999999999999999998"), V("1.0.0-99999999999999999999999"));
}

TEST(Version, BuildMetadataIsIgnored) {
  EXPECT_EQ(V("1.0.0+a"), V("1.0.0+b"));
  EXPECT_EQ(V("1.0.0+a"), V("1.0.0"));
  EXPECT_EQ(V("1.0.0-rc.1+x"), V("1.0.0-rc.1"));
  EXPECT_LT(V("1.0.0+zzz"), V("1.0.1+aaa"));
}

TEST(VersionedTagsNewestFirst, SortsOneSpeciesNewestFirstAndDropsTheRest) {
  const std::vector<std::string> tags = {
      "worker-0.2.9", "worker-0.2.10",   "latest", "worker-1.0.0-rc.1", "edge",      "other-9.0",
      "worker-1.0.0", "worker-0.2.10.0", "1.5",    "worker-latest",     "worker-0.1"};
  std::vector<std::string> got;
  for (const Tag& t : VersionedTagsNewestFirst(tags, "worker")) got.push_back(t.text);
  EXPECT_EQ(got, (std::vector<std::string>{"worker-1.0.0", "worker-1.0.0-rc.1", "worker-0.2.10",
                                           "worker-0.2.10.0", "worker-0.2.9", "worker-0.1"}));
  std::vector<std::string> bare;
  for (const Tag& t : VersionedTagsNewestFirst(tags, "")) bare.push_back(t.text);
  EXPECT_EQ(bare, (std::vector<std::string>{"1.5"}));
}

// ---------------------------------------------------------------------------------------------
// Image references.

TEST(ParseImageRef, RegistryWithPortTagAndDigest) {
  const std::string digest =
      "sha256:897bfe58cb185ca19ff3e599d4a4e8c02b5b7a5c55cc1249e0db00fac5319812";
  ImageRef r = Ref("registry:5000/repo/name:producer-1.0.16@" + digest);
  EXPECT_EQ(r.registry, "registry:5000");
  EXPECT_EQ(r.repository, "repo/name");
  EXPECT_EQ(r.tag, "producer-1.0.16");
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(r.ToString(), "registry:5000/repo/name:producer-1.0.16@" + digest);
}

TEST(ParseImageRef, LoopbackRegistry) {
  ImageRef r = Ref("127.0.0.1:5000/worker:worker-1.0.0");
  EXPECT_EQ(r.registry, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "worker");
  EXPECT_EQ(r.tag, "worker-1.0.0");
  EXPECT_EQ(r.digest, "");
  EXPECT_EQ(r.Identity(), "127.0.0.1:5000/worker:worker");
  EXPECT_EQ(Ref("localhost/x").registry, "localhost");
  EXPECT_EQ(Ref("localhost:5000/x").registry, "localhost:5000");
  EXPECT_EQ(Ref("[::1]:5000/x:1").registry, "[::1]:5000");
}

TEST(ParseImageRef, NoTagMeansLatest) {
  ImageRef r = Ref("nginx");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/nginx");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.ToString(), "docker.io/library/nginx:latest");
  EXPECT_EQ(Ref("localhost:5000/x").tag, "latest");
}

TEST(ParseImageRef, DigestWithoutTagKeepsTagEmpty) {
  const std::string digest =
      "sha256:00b33e7a6d1f18e3db21d26214790b95650626be4214c52d57d55b0e74cd583b";
  ImageRef r = Ref("nginx@" + digest);
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(r.ToString(), "docker.io/library/nginx@" + digest);
}

TEST(ParseImageRef, LibraryAndUserImagesOnDockerHub) {
  EXPECT_EQ(Ref("library/x:1"), Ref("x:1"));
  EXPECT_EQ(Ref("docker.io/library/x:1"), Ref("x:1"));
  EXPECT_EQ(Ref("index.docker.io/library/x:1"), Ref("x:1"));
  ImageRef user = Ref("yupeek/maiev:global-release-1.2.0");
  EXPECT_EQ(user.registry, "docker.io");
  EXPECT_EQ(user.repository, "yupeek/maiev");
  EXPECT_EQ(user.Identity(), "docker.io/yupeek/maiev:global-release");
}

TEST(ParseImageRef, FirstComponentIsRegistryOnlyWithDotColonOrLocalhost) {
  ImageRef r = Ref("docker-registry.gmd-prod.ypk.li/yupeeposting:yupeeposting_webui-0.2.42");
  EXPECT_EQ(r.registry, "docker-registry.gmd-prod.ypk.li");
  EXPECT_EQ(r.repository, "yupeeposting");
  EXPECT_EQ(r.Identity(), "docker-registry.gmd-prod.ypk.li/yupeeposting:yupeeposting_webui");
  ImageRef p = Ref("myorg/team/app:1");
  EXPECT_EQ(p.registry, "docker.io");
  EXPECT_EQ(p.repository, "myorg/team/app");
}

TEST(ParseImageRef, ToStringRoundTrips) {
  for (const char* text :
       {"nginx", "127.0.0.1:5000/worker:worker-1.0.0", "a.b/c/d:e",
        "x@sha256:00b33e7a6d1f18e3db21d26214790b95650626be4214c52d57d55b0e74cd583b"}) {
    SCOPED_TRACE(text);
    ImageRef r = Ref(text);
    EXPECT_EQ(Ref(r.ToString()), r);
  }
}

TEST(ParseImageRef, RejectsMalformedReferencesWithReason) {
  for (const char* bad : {"", "UPPER/case", "registry:5000/", "x:", "x:-1", "x@sha256:abc",
                          "x@sha256:ZZ3e7a6d1f18e3db21d26214790b95650626be4214c52d57d55b0e74cd583b",
                          "x@md5", "a//b", "host:port/x", "-x", "x_"}) {
    SCOPED_TRACE(bad);
    auto r = ParseImageRef(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "parse");
    EXPECT_NE(r.error().message.find("accepted"), std::string::npos) << r.error().message;
  }
}

TEST(ImageRef, IdentityIgnoresVersionAndDigestButNotSpecies) {
  EXPECT_EQ(Ref("r.io/app:producer-1.0").Identity(), Ref("r.io/app:producer-2.0@sha256:"
                                                         "00b33e7a6d1f18e3db21d26214790b95650626be"
                                                         "4214c52d57d55b0e74cd583b")
                                                         .Identity());
  EXPECT_NE(Ref("r.io/app:producer-1.0").Identity(), Ref("r.io/app:consumer-1.0").Identity());
  EXPECT_NE(Ref("r.io/app:producer-1.0").Identity(), Ref("r.io/other:producer-1.0").Identity());
  EXPECT_NE(Ref("r.io/app:producer-1.0").Identity(), Ref("s.io/app:producer-1.0").Identity());
  EXPECT_EQ(Ref("r.io/app:1.2").Identity(), "r.io/app");
  EXPECT_EQ(Ref("r.io/app").Identity(), "r.io/app");
  EXPECT_EQ(Ref("r.io/app:my-svc-1.2.3").Species(), "my-svc");
}

// ---------------------------------------------------------------------------------------------
// Upgrades.

const std::string kDigestA =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kDigestB =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

TEST(IsUpgrade, StrictlyNewerVersionOfSameIdentityIsAnUpgrade) {
  ImageRef running = Ref("127.0.0.1:5000/worker:worker-0.2.9@" + kDigestA);
  EXPECT_TRUE(IsUpgrade(running, Ref("127.0.0.1:5000/worker:worker-0.2.10")));
  EXPECT_TRUE(IsUpgrade(running, Ref("127.0.0.1:5000/worker:worker-1.0.0-rc.1")));
  EXPECT_TRUE(IsUpgrade(Ref("r.io/a:1.2"), Ref("r.io/a:1.3")));
}

TEST(IsUpgrade, NeverDowngrades) {
  ImageRef running = Ref("r.io/app:producer-1.0.0");
  EXPECT_FALSE(IsUpgrade(running, Ref("r.io/app:producer-0.9.9")));
  EXPECT_FALSE(IsUpgrade(running, Ref("r.io/app:producer-1.0.0-rc.1")));
  EXPECT_EQ(CompareCandidate(running, Ref("r.io/app:producer-0.9.9")), Candidacy::kOlder);
}

TEST(IsUpgrade, EqualVersionIsNotAnUpgradeEvenWithAnotherDigest) {
  ImageRef running = Ref("r.io/app:producer-1.2@" + kDigestA);
  ImageRef same = Ref("r.io/app:producer-1.2.0@" + kDigestB);
  EXPECT_FALSE(IsUpgrade(running, same));
  EXPECT_EQ(CompareCandidate(running, same), Candidacy::kSame);
}

TEST(IsUpgrade, DifferentSpeciesRepositoryOrRegistryIsNeverACandidate) {
  ImageRef running = Ref("r.io/app:producer-1.0.0");
  for (const char* other :
       {"r.io/app:consumer-9.0.0", "r.io/other:producer-9.0.0", "s.io/app:producer-9.0.0",
        "r.io/app:9.0.0", "r.io/app:my-producer-9.0.0"}) {
    SCOPED_TRACE(other);
    EXPECT_FALSE(IsUpgrade(running, Ref(other)));
    EXPECT_EQ(CompareCandidate(running, Ref(other)), Candidacy::kOtherIdentity);
  }
}

TEST(IsUpgrade, LatestIsComparedByDigest) {
  ImageRef running = Ref("r.io/app:latest@" + kDigestA);
  EXPECT_TRUE(IsUpgrade(running, Ref("r.io/app:latest@" + kDigestB)));
  EXPECT_FALSE(IsUpgrade(running, Ref("r.io/app:latest@" + kDigestA)));
  EXPECT_EQ(CompareCandidate(running, Ref("r.io/app:latest@" + kDigestA)), Candidacy::kSame);
  // Without a digest on both sides nothing can be said.
  EXPECT_EQ(CompareCandidate(running, Ref("r.io/app:latest")), Candidacy::kNotComparable);
  EXPECT_EQ(CompareCandidate(Ref("r.io/app"), Ref("r.io/app:latest@" + kDigestB)),
            Candidacy::kNotComparable);
  // Species-latest follows the same rule within its species.
  EXPECT_TRUE(IsUpgrade(Ref("r.io/app:worker-latest@" + kDigestA),
                        Ref("r.io/app:worker-latest@" + kDigestB)));
}

TEST(IsUpgrade, LatestAgainstVersionAndNonVersionTagsAreNotComparable) {
  EXPECT_EQ(CompareCandidate(Ref("r.io/app:latest@" + kDigestA), Ref("r.io/app:9.0@" + kDigestB)),
            Candidacy::kNotComparable);
  EXPECT_EQ(CompareCandidate(Ref("r.io/app:1.0"), Ref("r.io/app:latest@" + kDigestB)),
            Candidacy::kNotComparable);
  EXPECT_EQ(CompareCandidate(Ref("r.io/app:edge"), Ref("r.io/app:feature-x")),
            Candidacy::kNotComparable);
  EXPECT_FALSE(IsUpgrade(Ref("r.io/app:1.0"), Ref("r.io/app:edge")));
}

TEST(Candidacy, HasReadableNames) {
  EXPECT_EQ(ToString(Candidacy::kUpgrade), "upgrade");
  EXPECT_EQ(ToString(Candidacy::kOlder), "older");
  EXPECT_EQ(ToString(Candidacy::kOtherIdentity), "other identity");
}

}  // namespace
}  // namespace maiev::versions
