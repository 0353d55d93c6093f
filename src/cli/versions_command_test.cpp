// Runs the `maiev` executable as a user would: `maiev versions` on tags of real registries and
// of the original deployment, and on bad tags, checking stdout, stderr and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_test_support.hpp"

namespace {

using nlohmann::json;
using ::testing::HasSubstr;

using maiev::cli::testing::Outcome;

class VersionsCommand : public ::testing::Test {
 protected:
  Outcome Versions(const std::vector<std::string>& args) {
    return maiev::cli::testing::RunMaiev(scratch_, "versions", args);
  }

  // Runs with --json and parses stdout (an empty object when it is not JSON).
  json VersionsJson(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    const Outcome run = Versions(args);
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.err, "");
    const json doc = json::parse(run.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << run.out;
    return doc.is_discarded() ? json::object() : doc;
  }

  maiev::cli::testing::ScratchDir scratch_{"maiev-versions-test"};
};

TEST_F(VersionsCommand, JsonListsTagsInArgumentOrderAndOrdersEachSpecies) {
  const json doc =
      VersionsJson({"3.6.1-alpine", "producer-1.0.69", "3.6-alpine", "latest", "1.2.0",
                    "producer-1.0.69a1", "edge", "1.2", "producer-latest", "1.3.0.119"});
  EXPECT_EQ(doc, json::parse(R"({
    "tags": [
      {"tag": "3.6.1-alpine", "species": "alpine", "version": "3.6.1"},
      {"tag": "producer-1.0.69", "species": "producer", "version": "1.0.69"},
      {"tag": "3.6-alpine", "species": "alpine", "version": "3.6"},
      {"tag": "latest", "species": "", "version": "latest"},
      {"tag": "1.2.0", "species": "", "version": "1.2.0"},
      {"tag": "producer-1.0.69a1", "species": "producer", "version": "1.0.69-a.1"},
      {"tag": "edge", "species": "edge", "version": null},
      {"tag": "1.2", "species": "", "version": "1.2"},
      {"tag": "producer-latest", "species": "producer", "version": "latest"},
      {"tag": "1.3.0.119", "species": "", "version": "1.3.0+119"}],
    "order": {
      "alpine": ["3.6-alpine", "3.6.1-alpine"],
      "producer": ["producer-1.0.69a1", "producer-1.0.69", "producer-latest"],
      "": ["1.2", "1.2.0", "1.3.0.119", "latest"]}})"));
}

TEST_F(VersionsCommand, OrdersTheOriginalDeploymentsVersions) {
  const json doc = VersionsJson({"latest", "1.3.0.119", "122b", "1.1.52b", "1.1.108b"});
  EXPECT_EQ(doc["order"], json::parse(R"({
    "": ["1.1.52b", "1.1.108b", "1.3.0.119", "122b", "latest"]})"));
  EXPECT_EQ(doc["tags"][2]["version"], "122-b");
}

TEST_F(VersionsCommand, ATagGivenTwiceIsOrderedOnce) {
  const json doc = VersionsJson({"worker-2", "worker-2", "worker-1"});
  EXPECT_EQ(doc["tags"].size(), 3U);
  EXPECT_EQ(doc["order"], json::parse(R"({"worker": ["worker-1", "worker-2"]})"));
}

TEST_F(VersionsCommand, TextPrintsATableThenEachSpeciesOrder) {
  const Outcome run = Versions({"3.6.1-alpine", "3.6-alpine", "scaler_docker", "1.2", "1.2.0",
                                "python-3.6-alpine", "latest"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out,
            "TAG                SPECIES        VERSION\n"
            "3.6.1-alpine       alpine         3.6.1\n"
            "3.6-alpine         alpine         3.6\n"
            "scaler_docker      scaler_docker  -\n"
            "1.2                -              1.2\n"
            "1.2.0              -              1.2.0\n"
            "python-3.6-alpine  python-alpine  3.6\n"
            "latest             -              latest\n"
            "\n"
            "alpine: 3.6-alpine < 3.6.1-alpine\n"
            "(no species): 1.2 = 1.2.0 < latest\n"
            "python-alpine: python-3.6-alpine\n");
}

TEST_F(VersionsCommand, TagsWithoutVersionsPrintNoOrder) {
  const Outcome run = Versions({"edge"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "TAG   SPECIES  VERSION\nedge  edge     -\n");
  EXPECT_EQ(VersionsJson({"alpine"})["order"], json::object());
}

TEST_F(VersionsCommand, NoTagIsAUsageError) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, std::vector<std::string>{"--json"}}) {
    const Outcome run = Versions(args);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.out, "");
    EXPECT_THAT(run.err, HasSubstr("no TAG given"));
    EXPECT_THAT(run.err, HasSubstr("usage: maiev versions [--json] TAG..."));
  }
}

TEST_F(VersionsCommand, EveryBadTagIsNamedAndNothingIsPrinted) {
  for (const char* json_flag : {"", "--json"}) {
    SCOPED_TRACE(json_flag);
    std::vector<std::string> args = {"1.0.0+build.5", "3.6-alpine", "a b", ""};
    if (*json_flag != '\0') args.emplace_back(json_flag);
    const Outcome run = Versions(args);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.out, "");
    EXPECT_THAT(run.err,
                HasSubstr("argument 1: tag \"1.0.0+build.5\": character '+' at position 5"));
    EXPECT_THAT(run.err, HasSubstr("build metadata"));
    EXPECT_THAT(run.err, HasSubstr("argument 3: tag \"a b\": character ' ' at position 1"));
    EXPECT_THAT(run.err, HasSubstr("argument 4: tag is empty"));
    EXPECT_THAT(run.err, ::testing::Not(HasSubstr("3.6-alpine")));
  }
}

}  // namespace
