// Runs the `maiev` executable as a user would: `maiev solve` on the fixture catalogs and on bad
// inputs, checking stdout, stderr and exit codes. Expected targets are computed here from the
// catalogs (newest version of each service), not taken from the solver.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_test_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

using maiev::cli::testing::Outcome;

std::string Catalog(const std::string& name) {
  return std::string(MAIEV_FIXTURES_DIR) + "/catalogs/" + name;
}

// "0.2.64" → {0, 2, 64}: enough to order the fixtures' plain numeric versions.
std::vector<int> Numbers(const std::string& version) {
  std::vector<int> parts;
  std::istringstream in(version);
  std::string part;
  while (std::getline(in, part, '.')) parts.push_back(std::stoi(part));
  return parts;
}

std::string Newest(const std::vector<std::string>& versions) {
  return *std::max_element(versions.begin(), versions.end(),
                           [](const auto& a, const auto& b) { return Numbers(a) < Numbers(b); });
}

json Load(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// Service → newest version listed, in catalog order, for both catalog forms.
std::vector<std::pair<std::string, std::string>> NewestPhase(const json& doc) {
  std::vector<std::pair<std::string, std::string>> phase;
  if (doc.is_object()) {
    for (const auto& service : doc.at("catalog")) {
      std::vector<std::string> versions;
      for (const auto& v : service.at("versions_list")) versions.push_back(v.at("version"));
      phase.emplace_back(service.at("name"), Newest(versions));
    }
    return phase;
  }
  for (const auto& service : doc.at(0)) {
    std::vector<std::string> versions;
    for (const auto& [version, body] : service.at("versions").items()) versions.push_back(version);
    phase.emplace_back(service.at("name"), Newest(versions));
  }
  return phase;
}

// Index of the step moving `service` in a JSON plan, or -1.
int StepOf(const json& plan, const std::string& service) {
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].at("service") == service) return static_cast<int>(i);
  }
  return -1;
}

// A scratch directory per test, removed afterwards.
class SolveCommand : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    return scratch_.Write(name, text);
  }

  Outcome Solve(const std::vector<std::string>& args) {
    return maiev::cli::testing::RunMaiev(scratch_, "solve", args);
  }

  // Runs with --json and parses stdout (an empty object when it is not JSON).
  json SolveJson(std::vector<std::string> args, int expected_exit) {
    args.push_back("--json");
    const Outcome run = Solve(args);
    EXPECT_EQ(run.exit_code, expected_exit) << run.out << run.err;
    const json doc = json::parse(run.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << run.out;
    return doc.is_discarded() ? json::object() : doc;
  }

  maiev::cli::testing::ScratchDir scratch_{"maiev-solve-test"};
};

void ExpectTarget(const json& doc, const std::vector<std::pair<std::string, std::string>>& phase) {
  ASSERT_TRUE(doc.contains("target")) << doc.dump();
  ASSERT_TRUE(doc["target"].is_object());
  EXPECT_EQ(doc["target"].size(), phase.size());
  for (const auto& [service, version] : phase) {
    EXPECT_EQ(doc["target"].value(service, ""), version) << service;
  }
}

TEST_F(SolveCommand, SolverSampleTargetsNewestVersionsWithoutPlan) {
  const json doc = SolveJson({Catalog("solver-sample1.json")}, 0);
  // Every newest version's requirements are provided by another newest version: rank 0.
  ExpectTarget(doc, NewestPhase(Load(Catalog("solver-sample1.json"))));
  EXPECT_EQ(doc.value("rank", -1), 0);
  ASSERT_TRUE(doc.contains("plan"));
  EXPECT_EQ(doc["plan"], json::array());  // the solver form records no running phase
}

TEST_F(SolveCommand, PlannerSampleMovesEveryServiceFromItsRecordedVersion) {
  const json catalog = Load(Catalog("planner-sample1.json"));
  const json doc = SolveJson({Catalog("planner-sample1.json")}, 0);
  const auto newest = NewestPhase(catalog);
  ExpectTarget(doc, newest);
  EXPECT_EQ(doc.value("rank", -1), 0);
  const json& plan = doc["plan"];
  ASSERT_TRUE(plan.is_array());
  ASSERT_EQ(plan.size(), newest.size());  // every recorded version is older than the newest
  std::map<std::string, std::string> recorded;
  for (const auto& service : catalog.at("catalog")) recorded[service["name"]] = service["version"];
  for (const auto& step : plan) {
    ASSERT_EQ(step.size(), 3U) << step.dump();
    const std::string service = step.at("service");
    EXPECT_EQ(step.at("from"), recorded[service]);
    EXPECT_EQ(step.at("to"), doc["target"][service]);
  }
  // fetcher 0.1.24 needs algolia 0.1.24's publish; http_to_rpc 0.1.24 needs all three rpcs.
  const int algolia = StepOf(plan, "joboffer_algolia_publisher");
  const int fetcher = StepOf(plan, "joboffer_fetcher");
  const int xml = StepOf(plan, "joboffer_xml_publisher");
  const int http = StepOf(plan, "http_to_rpc");
  EXPECT_LT(algolia, fetcher);
  EXPECT_LT(fetcher, http);
  EXPECT_LT(algolia, http);
  EXPECT_LT(xml, http);
}

TEST_F(SolveCommand, CurrentFileReplacesTheRecordedRunningVersions) {
  // webui behind, maiev not deployed, the rest already at the newest.
  json current = json::object();
  for (const auto& [service, version] : NewestPhase(Load(Catalog("planner-sample1.json")))) {
    if (service != "maiev") current[service] = version;
  }
  current["yupeeposting-webui"] = "0.2.57";
  const std::string path = Write("current.json", current.dump());
  const json doc = SolveJson({Catalog("planner-sample1.json"), "--current", path}, 0);
  EXPECT_EQ(doc.value("rank", -1), 0);
  EXPECT_EQ(doc["plan"], json::parse(R"([
    {"service": "yupeeposting-webui", "from": "0.2.57", "to": "0.2.64"},
    {"service": "maiev", "from": null, "to": "1.3.0"}])"));
}

TEST_F(SolveCommand, TextOutputShowsTargetAndPlan) {
  const Outcome run = Solve({Catalog("planner-sample1.json")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("target phase (total rank 0):"));
  EXPECT_THAT(run.out, HasSubstr("plan (7 steps):"));
  EXPECT_THAT(run.out, HasSubstr("maiev 1.2.0 → 1.3.0"));
  EXPECT_EQ(run.err, "");
}

TEST_F(SolveCommand, ConstraintNarrowsTheTarget) {
  // maiev 1.3.0 provides nothing, so only 1.2.0 (rank 1) provides overseer:rpc:scale.
  const json doc =
      SolveJson({Catalog("planner-sample1.json"), "--constraint", "overseer:rpc:scale > 0"}, 0);
  EXPECT_EQ(doc["target"].value("maiev", ""), "1.2.0");
  EXPECT_EQ(doc["target"].value("http_to_rpc", ""), "0.1.24");
  EXPECT_EQ(doc.value("rank", -1), 1);
  EXPECT_EQ(StepOf(doc["plan"], "maiev"), -1);  // already runs 1.2.0
  EXPECT_EQ(doc["plan"].size(), 6U);
}

TEST_F(SolveCommand, RepeatedConstraintsAllApply) {
  const json doc =
      SolveJson({Catalog("solver-sample1.json"), "--constraint", "yupeeposting_backend:http > 0",
                 "--constraint", "joboffer_fetcher:rpc:publish == 1"},
                0);
  EXPECT_EQ(doc.value("rank", -1), 0);
  const Outcome run =
      Solve({Catalog("solver-sample1.json"), "--constraint", "yupeeposting_backend:http > 0",
             "--constraint", "joboffer_fetcher:rpc:publish == 2"});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_THAT(run.err, HasSubstr("joboffer_fetcher:rpc:publish == 2"));
}

constexpr const char* kUnsatisfiable = R"([
  {"name": "web", "versions": {"1.0": {"require": ["api:level > 5"]},
                               "2.0": {"require": ["api:level > 5"]}}},
  {"name": "api", "versions": {"1.0": {"provide": {"api:level": 1}},
                               "3.0": {"provide": {"api:level": 3}}}}])";

TEST_F(SolveCommand, NoConsistentPhaseExitsThreeWithReasonsInJson) {
  const std::string path = Write("catalog.json", kUnsatisfiable);
  const json doc = SolveJson({path}, 3);
  ASSERT_TRUE(doc.contains("error")) << doc.dump();
  EXPECT_THAT(doc["error"].get<std::string>(), HasSubstr("no consistent phase"));
  EXPECT_THAT(doc["error"].get<std::string>(), HasSubstr("web"));
  ASSERT_TRUE(doc["reasons"].is_array());
  ASSERT_FALSE(doc["reasons"].empty());
  const std::string reason = doc["reasons"][0];
  EXPECT_THAT(reason, HasSubstr("web 2.0"));
  EXPECT_THAT(reason, HasSubstr("api:level > 5"));
  EXPECT_FALSE(doc.contains("plan"));
}

TEST_F(SolveCommand, NoConsistentPhaseExitsThreeWithReasonsInText) {
  const std::string path = Write("catalog.json", kUnsatisfiable);
  const Outcome run = Solve({path});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, HasSubstr("no consistent phase"));
  EXPECT_THAT(run.err, HasSubstr("requires `api:level > 5`"));
  EXPECT_THAT(run.err, HasSubstr("candidates: 3.0, 1.0"));
}

TEST_F(SolveCommand, NoUpgradePathExitsThreeWithTheTarget) {
  // a 2 needs b 2 and b 2 breaks a 1: they would have to change at once.
  const std::string path = Write("catalog.json", R"({"catalog": [
    {"name": "a", "version": "1", "versions_list": [
      {"version": "1", "dependencies": {"require": ["b:v == 1"]}},
      {"version": "2", "dependencies": {"require": ["b:v == 2"]}}]},
    {"name": "b", "version": "1", "versions_list": [
      {"version": "1", "dependencies": {"provide": {"b:v": 1}}},
      {"version": "2", "dependencies": {"provide": {"b:v": 2}}}]}]})");
  const json doc = SolveJson({path}, 3);
  EXPECT_THAT(doc.value("error", ""), HasSubstr("no upgrade path"));
  EXPECT_EQ(doc["target"], json::parse(R"({"a": "2", "b": "2"})"));
  EXPECT_EQ(doc.value("rank", -1), 0);
  EXPECT_FALSE(doc["reasons"].empty());
}

// Versions as the original deployment wrote them: letter suffixes, four parts and `latest`.
constexpr const char* kOriginalVersions = R"({"catalog": [
  {"name": "overseer", "version": "1.3.0.119", "versions_list": [
    {"version": "1.1.108b", "dependencies": {"provide": {"overseer:rpc:scale": 1}}},
    {"version": "latest", "dependencies": {"provide": {"overseer:rpc:scale": 3}}},
    {"version": "1.3.0.119", "dependencies": {"provide": {"overseer:rpc:scale": 2}}}]},
  {"name": "scaler", "version": "122b", "versions_list": [
    {"version": "122b", "dependencies": {"require": ["overseer:rpc:scale >= 2"]}},
    {"version": "1.1.52b", "dependencies": {"require": ["overseer:rpc:scale > 0"]}}]}]})";

TEST_F(SolveCommand, ReadsLetterSuffixesFourPartsAndLatestNewest) {
  const std::string path = Write("catalog.json", kOriginalVersions);
  const json doc = SolveJson({path}, 0);
  EXPECT_EQ(doc["target"], json::parse(R"({"overseer": "latest", "scaler": "122b"})"));
  EXPECT_EQ(doc.value("rank", -1), 0);
  EXPECT_EQ(doc["plan"], json::parse(R"([
    {"service": "overseer", "from": "1.3.0.119", "to": "latest"}])"));

  // Without `latest`, 1.3.0.119 (rank 1) is newer than 1.1.108b.
  const json narrowed = SolveJson({path, "--constraint", "overseer:rpc:scale < 3"}, 0);
  EXPECT_EQ(narrowed["target"], json::parse(R"({"overseer": "1.3.0.119", "scaler": "122b"})"));
  EXPECT_EQ(narrowed.value("rank", -1), 1);
  EXPECT_EQ(narrowed["plan"], json::array());

  const Outcome run = Solve({path});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("overseer 1.3.0.119 → latest"));
}

TEST_F(SolveCommand, NotJsonNamesFileLineAndColumn) {
  const std::string path = Write("catalog.json", "[{\"name\": \"a\",\n  \"versions\": {oops}}]");
  const Outcome run = Solve({path});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(path));
  EXPECT_THAT(run.err, HasSubstr("not JSON"));
  EXPECT_THAT(run.err, HasSubstr("line 2, column"));
  EXPECT_EQ(run.out, "");
}

TEST_F(SolveCommand, WrongShapeNamesTheField) {
  const std::string path = Write("catalog.json", R"([{"name": "a", "versions": {"1": {}}},
                                                     {"name": 3, "versions": {}}])");
  const Outcome run = Solve({path});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(path + ": [1].name: expected a non-empty string"));
  const std::string planner = Write("planner.json", R"({"catalog": 5})");
  const Outcome planner_run = Solve({planner});
  EXPECT_EQ(planner_run.exit_code, 2);
  EXPECT_THAT(planner_run.err, HasSubstr("catalog: expected a list"));
}

TEST_F(SolveCommand, UnparsableRequirementNamesServiceVersionAndColumn) {
  const std::string path = Write("catalog.json", R"([
    {"name": "web", "versions": {"1.0": {"require": ["api:level >= 1", "api:level >> 2"]}}},
    {"name": "api", "versions": {"1.0": {"provide": {"api:level": 1}}}}])");
  const Outcome run = Solve({path});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("service `web` version `1.0`"));
  EXPECT_THAT(run.err, HasSubstr("require[1] `api:level >> 2`"));
  EXPECT_THAT(run.err, HasSubstr("(col 12)"));
}

TEST_F(SolveCommand, UnparsableConstraintNamesItAndTheColumn) {
  const Outcome run = Solve({Catalog("solver-sample1.json"), "--constraint", "http_to_rpc:http >"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("constraint 1 `http_to_rpc:http >`"));
  EXPECT_THAT(run.err, HasSubstr("col 19"));
}

TEST_F(SolveCommand, MissingCatalogFileIsNamed) {
  const std::string path = (scratch_.path() / "absent.json").string();
  const Outcome run = Solve({path});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("cannot read " + path));
  const Outcome json_run = Solve({path, "--json"});
  EXPECT_EQ(json_run.exit_code, 2);
  EXPECT_THAT(json::parse(json_run.out, nullptr, false).value("error", ""),
              HasSubstr("cannot read " + path));
}

TEST_F(SolveCommand, BadCurrentFileIsRejected) {
  const std::string catalog = Catalog("planner-sample1.json");
  const std::string absent = (scratch_.path() / "absent.json").string();
  Outcome run = Solve({catalog, "--current", absent});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("cannot read " + absent));

  const std::string truncated = Write("truncated.json", "{\"maiev\": ");
  run = Solve({catalog, "--current", truncated});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(truncated + ": not JSON"));
  EXPECT_THAT(run.err, HasSubstr("line 1, column"));

  const std::string number = Write("number.json", R"({"maiev": 1})");
  run = Solve({catalog, "--current", number});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr(number + ": maiev: expected a version"));

  const std::string unknown = Write("unknown.json", R"({"maiev": "9.9.9"})");
  run = Solve({catalog, "--current", unknown});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("`maiev` runs version `9.9.9`, which the catalog does not list"));
  EXPECT_THAT(run.out, Not(HasSubstr("target")));
}

TEST_F(SolveCommand, MissingCatalogArgumentIsAUsageError) {
  const Outcome run = Solve({});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("catalog"));
}

}  // namespace
