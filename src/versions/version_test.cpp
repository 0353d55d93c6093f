#include "versions/version.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace maiev::versions {
namespace {

using ::testing::HasSubstr;

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
  std::optional<std::string> version;  // canonical text; nullopt = no version
};

const std::vector<TagCase>& TagTable() {
  static const std::vector<TagCase> kTable = {
      // Whole-tag versions: no species.
      {"1.2", "", "1.2"},
      {"1", "", "1"},
      {"1.0.16", "", "1.0.16"},
      {"0.2.42", "", "0.2.42"},
      {"v1.2", "", "1.2"},
      {"V3.0.1", "", "3.0.1"},
      {"2.0.0-rc.1", "", "2.0.0-rc.1"},
      {"v2.0.0-rc.1", "", "2.0.0-rc.1"},
      {"1.0.0-alpha.beta", "", "1.0.0-alpha.beta"},
      {"2024.01.05", "", "2024.1.5"},
      {"20240105", "", "20240105"},
      {"3.6.1", "", "3.6.1"},
      // Four dotted parts: the fourth and what follows is build metadata (coerce).
      {"1.2.3.4", "", "1.2.3+4"},
      {"1.3.0.119", "", "1.3.0+119"},
      {"1.3.0.110b", "", "1.3.0+110b"},
      {"1.2.3.4.5", "", "1.2.3+4.5"},
      {"producer-1.3.0.119", "producer", "1.3.0+119"},
      {"1.3.0.119-alpine", "alpine", "1.3.0+119"},
      {"1.3.0.119-2", "", "1.3.0+119-2"},  // as Version::Parse reads `1.3.0.119-2`
      // Letter suffixes glued to the last number: a pre-release split at letter/digit.
      {"122b", "", "122-b"},
      {"1.1.108b", "", "1.1.108-b"},
      {"1.2rc10", "", "1.2-rc.10"},
      {"overseer-1.0.69a1", "overseer", "1.0.69-a.1"},
      {"3.12.0rc1-alpine", "alpine", "3.12.0-rc.1"},
      {"1.0.69a1-2", "", "1.0.69-a.1.2"},
      // Species + version (species first).
      {"producer-1.0.16", "producer", "1.0.16"},
      {"overseer-1.0.69", "overseer", "1.0.69"},
      {"consumer-0.0.1", "consumer", "0.0.1"},
      {"worker-1.0.0", "worker", "1.0.0"},
      {"my-svc-1.2.3", "my-svc", "1.2.3"},
      {"my_svc-1.2.3", "my_svc", "1.2.3"},
      {"a-b-c-d-0.1", "a-b-c-d", "0.1"},
      {"producer-1.0.0-rc.1", "producer", "1.0.0-rc.1"},
      {"producer-2.0.0-beta.11", "producer", "2.0.0-beta.11"},
      {"producer-v1.2", "producer", "1.2"},
      {"svc-2-1.0", "svc-2", "1.0"},  // a version of two parts is preferred
      {"worker-2", "worker", "2"},    // else any version
      {"python3-3.11", "python3", "3.11"},
      {"Api_Gateway-10.20.30", "Api_Gateway", "10.20.30"},
      {"load_manager-release-1.3.1", "load_manager-release", "1.3.1"},
      // Species after the version, as Docker official images write it.
      {"3.6.1-slim_lol", "slim_lol", "3.6.1"},
      {"3-alpine", "alpine", "3"},
      {"3.6-alpine", "alpine", "3.6"},
      {"3.6.1-alpine3.18", "alpine3.18", "3.6.1"},
      {"3.11-slim-bullseye", "slim-bullseye", "3.11"},
      {"3.12.1-management-alpine", "management-alpine", "3.12.1"},
      {"20-bookworm-slim", "bookworm-slim", "20"},
      {"1.25-bullseye", "bullseye", "1.25"},
      {"17-jdk-beta", "jdk-beta", "17"},  // after a species segment, `beta` is species
      // Composed species: prefix and suffix joined by '-'.
      {"python-3.6-alpine", "python-alpine", "3.6"},
      {"node-20-bookworm-slim", "node-bookworm-slim", "20"},
      {"app-1.0-rc1-slim", "app-slim", "1.0-rc1"},
      // Pre-release segments after the core: a first digit or a pre-release word.
      {"1.3.0-110b", "", "1.3.0-110b"},
      {"producer-1.3.0-119b", "producer", "1.3.0-119b"},
      {"1.0-2", "", "1.0-2"},
      {"1.0-20231001", "", "1.0-20231001"},
      {"1.0.0-rc1-alpine", "alpine", "1.0.0-rc1"},
      {"1.0.0-RC.2", "", "1.0.0-RC.2"},
      {"2.0-beta", "", "2.0-beta"},
      {"2.0-beta.2-slim", "slim", "2.0-beta.2"},
      {"2.0-b1", "", "2.0-b1"},
      {"1.0.0-SNAPSHOT", "", "1.0.0-SNAPSHOT"},
      {"1.0-dev3", "", "1.0-dev3"},
      {"1.0-preview.1", "", "1.0-preview.1"},
      {"1.0-nightly-1", "", "1.0-nightly-1"},
      {"4.0-canary", "", "4.0-canary"},
      {"1.0-alphafoo", "alphafoo", "1.0"},  // a word followed by letters is not a pre-release
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
      {"latest", "", "latest"},
      {"producer-latest", "producer", "latest"},
      {"overseer-latest", "overseer", "latest"},
      {"my-svc-latest", "my-svc", "latest"},
      {"latest-alpine", "alpine", "latest"},
      {"2-latest", "2", "latest"},  // `-latest` makes a moving tag, whatever precedes it
      // Tags without a version: the tag is the species.
      {"alpine", "alpine", std::nullopt},
      {"scaler_docker", "scaler_docker", std::nullopt},
      {"edge", "edge", std::nullopt},
      {"feature-x", "feature-x", std::nullopt},
      {"release", "release", std::nullopt},
      {"main_branch", "main_branch", std::nullopt},
      {"Latest", "Latest", std::nullopt},
      {"_private", "_private", std::nullopt},
      {"1.2.", "1.2.", std::nullopt},
      {"1.2.x", "1.2.x", std::nullopt},
      {"1.2.3.x", "1.2.3.x", std::nullopt},
      {"1.2.3.4.", "1.2.3.4.", std::nullopt},
      {"1.0_beta", "1.0_beta", std::nullopt},
      {"v", "v", std::nullopt},
      {"sha-abc1234", "sha-abc1234", std::nullopt},
      {"1234567890123456789", "1234567890123456789", std::nullopt},  // 19 digits
  };
  return kTable;
}

TEST(ParseTag, TableOfTagsYieldsSpeciesAndVersion) {
  ASSERT_GE(TagTable().size(), 90u);
  for (const TagCase& c : TagTable()) {
    SCOPED_TRACE(c.tag);
    auto tag = ParseTag(c.tag);
    ASSERT_TRUE(tag.ok()) << tag.error().message;
    EXPECT_EQ(tag->text, c.tag);
    EXPECT_EQ(tag->species, c.species);
    if (!c.version) {
      EXPECT_FALSE(tag->version.has_value()) << tag->version->Canonical();
      continue;
    }
    ASSERT_TRUE(tag->version.has_value());
    EXPECT_EQ(tag->version->Canonical(), *c.version);
    EXPECT_EQ(tag->version->is_latest(), *c.version == "latest");
    // The canonical text reads back as the same version.
    EXPECT_EQ(V(tag->version->Canonical()), *tag->version);
  }
}

// The assertions of the original project's tests (semantic_version's coerce), as maiev reads
// them. Where maiev differs, docs/VERSIONS.md says why.
TEST(ParseTag, ReadsTheOriginalProjectsTags) {
  struct Case {
    const char* tag;
    const char* species;
    const char* version;  // canonical, or nullptr
  };
  for (const Case& c :
       std::vector<Case>{{"3.6.1", "", "3.6.1"},
                         {"3.6.1-slim_lol", "slim_lol", "3.6.1"},
                         {"3-alpine", "alpine", "3"},
                         {"alpine", "alpine", nullptr},
                         {"overseer-1.0.69", "overseer", "1.0.69"},
                         {"overseer-latest", "overseer", "latest"},
                         {"latest", "", "latest"},
                         {"scaler_docker", "scaler_docker", nullptr},
                         {"load_manager-release-1.3.1", "load_manager-release", "1.3.1"},
                         {"overseer-1.0.69a1", "overseer", "1.0.69-a.1"}}) {
    SCOPED_TRACE(c.tag);
    auto tag = ParseTag(c.tag);
    ASSERT_TRUE(tag.ok()) << tag.error().message;
    EXPECT_EQ(tag->species, c.species);
    ASSERT_EQ(tag->version.has_value(), c.version != nullptr);
    if (c.version) {
      EXPECT_EQ(tag->version->Canonical(), c.version);
    }
  }
  EXPECT_LT(V("3.1.9a1"), V("3.1.76"));
  EXPECT_LT(V("3.1.76a1"), V("3.1.76"));
  EXPECT_LT(V("3.1.76a7"), V("3.1.76b1"));
  EXPECT_LT(V("1.3.0-110b"), V("1.3.0-119b"));
  EXPECT_LT(V("1.1.108b"), V("1.3.0.119b"));
  // Differences: build metadata orders (the original: neither < nor >), and `1.3.0-119b` is a
  // pre-release of 1.3.0 (the original read version `119b` out of `producer-1.3.0-119b`).
  EXPECT_GT(V("3.1.9+build1"), V("3.1.9"));
  EXPECT_LT(V("1.3.0-119b"), V("1.3.0.110b"));
  EXPECT_GT(V("1.3.0.119b"), V("1.3.0-110b"));
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

TEST(ParseTag, SaysThatBuildMetadataCannotBeWrittenInATag) {
  auto tag = ParseTag("1.0.0+build.5");
  ASSERT_FALSE(tag.ok());
  EXPECT_THAT(tag.error().message, HasSubstr("\"1.0.0+build.5\""));
  EXPECT_THAT(tag.error().message, HasSubstr("'+' at position 5"));
  EXPECT_THAT(tag.error().message, HasSubstr("build metadata"));
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
  EXPECT_EQ(v.build(), (std::vector<std::string>{"build", "5"}));
  EXPECT_TRUE(v.is_pre_release());
  EXPECT_FALSE(v.is_latest());
  EXPECT_FALSE(V("1.2").is_pre_release());
}

TEST(Version, ReadsCoerceForms) {
  Version glued = V("1.0.69a1");
  EXPECT_EQ(glued.numbers(), (std::vector<std::uint64_t>{1, 0, 69}));
  EXPECT_EQ(glued.pre_release(), (std::vector<std::string>{"a", "1"}));
  EXPECT_EQ(V("122b").pre_release(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(V("1.2rc10").pre_release(), (std::vector<std::string>{"rc", "10"}));
  EXPECT_EQ(V("1.0a1-dev.2+x").pre_release(), (std::vector<std::string>{"a", "1", "dev", "2"}));
  EXPECT_EQ(V("1.0a1-dev.2+x").build(), (std::vector<std::string>{"x"}));
  Version four = V("1.3.0.110b");
  EXPECT_EQ(four.numbers(), (std::vector<std::uint64_t>{1, 3, 0}));
  EXPECT_TRUE(four.pre_release().empty());
  EXPECT_EQ(four.build(), (std::vector<std::string>{"110b"}));
  EXPECT_EQ(V("1.2.3.4.5+x").build(), (std::vector<std::string>{"4", "5", "x"}));
  EXPECT_EQ(V("1.2.3.4-rc").build(), (std::vector<std::string>{"4-rc"}));
}

TEST(Version, LatestIsNewestAndEqualOnlyToItself) {
  Version latest = V("latest");
  EXPECT_TRUE(latest.is_latest());
  EXPECT_TRUE(latest.numbers().empty());
  EXPECT_EQ(latest, V("latest"));
  for (const char* other : {"0", "1.2", "999999999999999999.0.0", "9.9.9+zzz", "122b"}) {
    SCOPED_TRACE(other);
    EXPECT_GT(latest, V(other));
    EXPECT_LT(V(other), latest);
    EXPECT_NE(V(other), latest);
  }
  EXPECT_FALSE(Version::Parse("Latest").ok());
  EXPECT_FALSE(Version::Parse("latest1").ok());
}

TEST(Version, CanonicalTextIsNormalised) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1.0.69a1", "1.0.69-a.1"}, {"122b", "122-b"},
      {"1.3.0.119", "1.3.0+119"}, {"1.2", "1.2"},
      {"v01.02.003", "1.2.3"},    {"V1.0.0-rc.1+b.2", "1.0.0-rc.1+b.2"},
      {"latest", "latest"},       {"1.2.3.4+x", "1.2.3+4.x"},
      {"0.0.0-0", "0.0.0-0"},     {"1.2rc10", "1.2-rc.10"}};
  for (const auto& [text, canonical] : cases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(V(text).Canonical(), canonical);
    EXPECT_EQ(V(canonical), V(text));
    EXPECT_EQ(V(canonical).Canonical(), canonical);
  }
}

TEST(Version, RejectsMalformedTextWithPositionAndAcceptedForm) {
  for (const char* bad : {"",
                          "v",
                          "x1",
                          "1..2",
                          "1.",
                          ".1",
                          "1.2-",
                          "1.2-rc..1",
                          "1.2+",
                          "1.2+a_b",
                          "1.2-rc_1",
                          "1.2 ",
                          "1234567890123456789",
                          "producer-1.0",
                          "1.2.x",
                          "1.2.3.x",
                          "1.2.3.",
                          "1.2.3.4.",
                          "1.2.3.4+",
                          "1.2.3.4++x",
                          "1.2.3.4+a+b",
                          "1a_",
                          "1a.2",
                          "1.0a-",
                          "latest-1",
                          "vlatest"}) {
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
  EXPECT_EQ(V("1"), V("1.0.0"));
  EXPECT_EQ(V("1.0"), V("v1.0.0"));
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

// Unlike SemVer, build metadata orders, as the last key (docs/VERSIONS.md).
TEST(Version, BuildMetadataIsTheLastKey) {
  EXPECT_LT(V("1.0.0+a"), V("1.0.0+b"));
  EXPECT_LT(V("1.0.0"), V("1.0.0+a"));
  EXPECT_LT(V("1.0.0-rc.1"), V("1.0.0-rc.1+x"));
  EXPECT_LT(V("1.0.0-rc.1+x"), V("1.0.0"));
  EXPECT_LT(V("1.0.0+zzz"), V("1.0.1+aaa"));
  EXPECT_LT(V("1.0.0+2"), V("1.0.0+10"));      // numeric identifiers numerically
  EXPECT_LT(V("1.0.0+999"), V("1.0.0+a"));     // numeric below alphanumeric
  EXPECT_LT(V("1.0.0+110b"), V("1.0.0+119"));  // in letter and digit runs: 110 < 119
  EXPECT_LT(V("1.0.0+119"), V("1.0.0+119b"));  // a longer list above its prefix
  EXPECT_EQ(V("1.0.0+110b"), V("1.0.0+110.b"));
  EXPECT_EQ(V("1.3.0.119"), V("1.3.0+119"));
  EXPECT_EQ(V("1.2+7"), V("1.2.0+7"));
  EXPECT_NE(V("1.0.0+a"), V("1.0.0"));
}

// Each text is older than the next; "=" marks one equal to the previous.
void ExpectAscending(const std::vector<std::string>& chain) {
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    const bool equal = chain[i + 1].starts_with("=");
    const std::string next = equal ? chain[i + 1].substr(1) : chain[i + 1];
    const std::string prev = chain[i].starts_with("=") ? chain[i].substr(1) : chain[i];
    SCOPED_TRACE(prev + (equal ? " == " : " < ") + next);
    if (equal) {
      EXPECT_EQ(V(prev), V(next));
    } else {
      EXPECT_LT(V(prev), V(next));
      EXPECT_GT(V(next), V(prev));
      EXPECT_NE(V(prev), V(next));
    }
  }
  // Transitivity, checked over the whole chain.
  for (std::size_t i = 0; i < chain.size(); ++i) {
    for (std::size_t j = i + 1; j < chain.size(); ++j) {
      const std::string a = chain[i].starts_with("=") ? chain[i].substr(1) : chain[i];
      const std::string b = chain[j].starts_with("=") ? chain[j].substr(1) : chain[j];
      EXPECT_LE(V(a), V(b)) << a << " <= " << b;
    }
  }
}

TEST(Version, OrderedChains) {
  // Python-style pre-releases, build metadata, then the next patch.
  ExpectAscending({"1.0.69a1", "1.0.69a2", "1.0.69a10", "1.0.69b1", "1.0.69rc1", "1.0.69",
                   "1.0.69+0", "=1.0.69.0", "1.0.69+1", "=1.0.69.1", "1.0.69.2", "1.0.69.10",
                   "1.0.70a1", "1.0.70"});
  // Letter suffixes on one number.
  ExpectAscending({"122a", "122b", "122", "=122.0", "=122.0.0", "122.0.0.1", "122.0.1", "123b"});
  // The original deployment's fourth parts: build numbers order as numbers.
  ExpectAscending({"1.3.0-110b", "1.3.0-119b", "1.3.0", "1.3.0.110", "1.3.0.110b", "1.3.0.119",
                   "=1.3.0+119", "1.3.0.119b", "1.3.1"});
  // The original deployment's versions.
  ExpectAscending({"1.1.52b", "1.1.108b", "1.1.108", "1.3.0.119", "122b", "latest"});
  // Leading `v`, missing parts and leading zeros.
  ExpectAscending({"0.9", "v1", "=1.0", "=V1.0.0", "=01.00.000", "1.0.1", "1.2", "=1.2.0", "1.10",
                   "v2.0.0-rc.1", "2.0.0"});
}

TEST(VersionedTagsNewestFirst, SortsOneSpeciesNewestFirstAndDropsTheRest) {
  const std::vector<std::string> tags = {
      "worker-0.2.9", "worker-0.2.10",   "latest", "worker-1.0.0-rc.1", "edge",      "other-9.0",
      "worker-1.0.0", "worker-0.2.10.0", "1.5",    "worker-latest",     "worker-0.1"};
  std::vector<std::string> got;
  for (const Tag& t : VersionedTagsNewestFirst(tags, "worker")) got.push_back(t.text);
  // `worker-0.2.10.0` is 0.2.10+0: newer than 0.2.10.
  EXPECT_EQ(got, (std::vector<std::string>{"worker-1.0.0", "worker-1.0.0-rc.1", "worker-0.2.10.0",
                                           "worker-0.2.10", "worker-0.2.9", "worker-0.1"}));
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

// Found by fuzzing: a 250-character Docker Hub name was accepted, and what ToString wrote back
// (with `library/`, 258 characters) was refused. The limit is on the repository as written back.
TEST(ParseImageRef, TheLengthLimitIsOnTheRepositoryWithItsLibraryPrefix) {
  auto longest = ParseImageRef(std::string(247, 'a'));
  ASSERT_TRUE(longest.ok()) << longest.error().message;
  EXPECT_EQ(longest->repository.size(), 255U);
  auto again = ParseImageRef(longest->ToString());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *longest);
  auto too_long = ParseImageRef(std::string(250, 'a'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("longer than 255"), std::string::npos);
  EXPECT_TRUE(ParseImageRef("127.0.0.1:5000/" + std::string(255, 'a')).ok());
  EXPECT_FALSE(ParseImageRef("127.0.0.1:5000/" + std::string(256, 'a')).ok());
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
  EXPECT_EQ(Ref("r.io/app:3.6-alpine").Identity(), "r.io/app:alpine");
  EXPECT_EQ(Ref("r.io/app:3.6-alpine").Identity(), Ref("r.io/app:alpine").Identity());
  EXPECT_EQ(Ref("r.io/app:python-3.6-alpine").Identity(), "r.io/app:python-alpine");
  EXPECT_EQ(Ref("r.io/app:edge").Identity(), "r.io/app:edge");
  EXPECT_EQ(Ref("r.io/app:latest-alpine").Identity(), "r.io/app:alpine");
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
  EXPECT_TRUE(IsUpgrade(Ref("r.io/a:overseer-1.0.69a1"), Ref("r.io/a:overseer-1.0.69")));
  EXPECT_TRUE(IsUpgrade(Ref("r.io/a:3.6-alpine"), Ref("r.io/a:3.6.1-alpine")));
  EXPECT_TRUE(IsUpgrade(Ref("r.io/a:1.3.0"), Ref("r.io/a:1.3.0.119")));
  EXPECT_FALSE(IsUpgrade(Ref("r.io/a:3.6-alpine"), Ref("r.io/a:3.7-slim")));  // other species
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
  // A tag without a version is its own species: `alpine` and `3-alpine` share the identity.
  EXPECT_EQ(CompareCandidate(Ref("r.io/app:alpine"), Ref("r.io/app:3-alpine")),
            Candidacy::kNotComparable);
  EXPECT_EQ(CompareCandidate(Ref("r.io/app:3-alpine"), Ref("r.io/app:alpine")),
            Candidacy::kNotComparable);
  EXPECT_EQ(CompareCandidate(Ref("r.io/app:edge"), Ref("r.io/app:feature-x")),
            Candidacy::kOtherIdentity);
  EXPECT_FALSE(IsUpgrade(Ref("r.io/app:1.0"), Ref("r.io/app:edge")));
  // `SPECIES-latest` against a version of that species.
  EXPECT_EQ(CompareCandidate(Ref("r.io/app:worker-1.0@" + kDigestA),
                             Ref("r.io/app:worker-latest@" + kDigestB)),
            Candidacy::kNotComparable);
}

TEST(Candidacy, HasReadableNames) {
  EXPECT_EQ(ToString(Candidacy::kUpgrade), "upgrade");
  EXPECT_EQ(ToString(Candidacy::kOlder), "older");
  EXPECT_EQ(ToString(Candidacy::kOtherIdentity), "other identity");
}

// Found by fuzz/versions_fuzz: errors quoted the text as it was, not always UTF-8, and they reach
// the catalog's JSON answer.
TEST(ParseErrors, EscapeBytesThatAreNotUtf8) {
  for (const Error& error : {Version::Parse(".\xF8").error(), ParseTag("a\xC3").error(),
                             ParseImageRef("1.\xD0\xD1"
                                           "0-RC")
                                 .error(),
                             ParseImageRef("x:\xFF").error()}) {
    EXPECT_EQ(error.code, "parse");
    EXPECT_EQ(error.message.find_first_of("\xF8\xC3\xD0\xD1\xFF"), std::string::npos)
        << error.message;
    EXPECT_THAT(error.message, HasSubstr("\\x"));
  }
}

}  // namespace
}  // namespace maiev::versions
