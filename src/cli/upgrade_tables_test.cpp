#include "cli/upgrade_tables.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maiev::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const char* const kHeldBack =
    "held back: requires `nothing:here > 0`, but no candidate version provides `nothing:here`";

json Catalog() {
  return {{"checked_at", "2023-11-14T22:13:20.000Z"},
          {"error", nullptr},
          {"outcome", "ok"},
          {"message", nullptr},
          {"reasons", json::array()},
          {"needs_approval", json::array({"a"})},
          {"services",
           {{{"name", "a"},
             {"image", "127.0.0.1:5000/a:1.0.0"},
             {"update", "approve"},
             {"update_policy", "all"},
             {"running", "1.0.0"},
             {"target", "2.0.0"},
             {"note", nullptr},
             {"versions",
              {{{"version", "2.0.0"}, {"state", "target"}, {"reason", nullptr}},
               {{"version", "1.0.0"}, {"state", "running"}, {"reason", nullptr}}}}},
            {{"name", "c"},
             {"image", "127.0.0.1:5000/c:1.0.0"},
             {"update", "auto"},
             {"update_policy", "patch"},
             {"running", "1.0.0"},
             {"target", "1.0.0"},
             {"note", "registry 127.0.0.1:5000: connection reset"},
             {"versions",
              {{{"version", "2.0.0"}, {"state", "held_back"}, {"reason", kHeldBack}},
               {{"version", "1.0.0"}, {"state", "running"}, {"reason", nullptr}}}}}}},
          {"unversioned",
           {{{"service", "x"},
             {"reason", "runs 127.0.0.1:5000/x:edge, which names no known version"}}}}};
}

TEST(CatalogText, ShowsRunningToTargetAndTheHeldBackLinesUnderTheirService) {
  EXPECT_EQ(CatalogText(Catalog()),
            "checked at 2023-11-14T22:13:20Z\n"
            "plans wait for approval (maiev.update=approve): a\n"
            "SERVICE  UPDATE       RUNNING → TARGET   IMAGE\n"
            "a        approve/all  1.0.0 → 2.0.0      127.0.0.1:5000/a:1.0.0\n"
            "c        auto/patch   1.0.0 (at target)  127.0.0.1:5000/c:1.0.0\n"
            "  c 2.0.0 " +
                std::string(kHeldBack) +
                "\n"
                "  note: registry 127.0.0.1:5000: connection reset\n"
                "not upgraded (no known version):\n"
                "  x: runs 127.0.0.1:5000/x:edge, which names no known version\n");
}

TEST(CatalogText, SaysWhenThereIsNoCheckYetOrNoTarget) {
  EXPECT_THAT(CatalogText({{"checked_at", nullptr}}), HasSubstr("no check yet"));
  json failed = Catalog();
  failed["outcome"] = "no_solution";
  failed["message"] = "no consistent phase";
  failed["reasons"] = {"b 1.0.0: requires `a:rpc >= 2`"};
  failed["services"][0]["target"] = nullptr;
  const std::string text = CatalogText(failed);
  EXPECT_THAT(text, HasSubstr("no target (no_solution): no consistent phase\n"
                              "  b 1.0.0: requires `a:rpc >= 2`\n"));
  EXPECT_THAT(text, HasSubstr("1.0.0 (no target)"));
  json down = {{"checked_at", "2023-11-14T22:13:20.000Z"}, {"error", "Docker Engine: refused"}};
  EXPECT_THAT(CatalogText(down),
              HasSubstr("the swarm could not be listed: Docker Engine: refused"));
}

json Plan() {
  return {{"id", 2},
          {"state", "failed"},
          {"created", "2023-11-14T22:13:20.000Z"},
          {"updated", "2023-11-14T22:16:30.250Z"},
          {"reason", "plan 2 step 2 (b 1.0.0 → 2.0.0) failed: rolled back"},
          {"steps",
           {{{"index", 0},
             {"service", "a"},
             {"from", "1.0.0"},
             {"to", "2.0.0"},
             {"image", "r/a:2.0.0@sha256:aa"},
             {"state", "done"},
             {"error", nullptr},
             {"started", "2023-11-14T22:13:20.000Z"}},
            {{"index", 1},
             {"service", "b"},
             {"from", nullptr},
             {"to", "2.0.0"},
             {"image", "r/b:2.0.0@sha256:bb"},
             {"state", "failed"},
             {"error", "Swarm rolled the update back"},
             {"started", "2023-11-14T22:14:00.000Z"}}}}};
}

TEST(PlansText, OneRowPerPlanWithItsStepsDone) {
  json pending = Plan();
  pending["id"] = 3;
  pending["state"] = "pending";
  pending["reason"] = "new versions: c 1.0.0 → 1.1.0; waiting for approval";
  pending["steps"] = json::array({Plan()["steps"][1]});
  pending["steps"][0]["state"] = "pending";
  EXPECT_EQ(PlansText({{"plans", {pending, Plan()}}}),
            "ID  STATE    CREATED               STEPS  REASON\n"
            "3   pending  2023-11-14T22:13:20Z  0/1    new versions: c 1.0.0 → 1.1.0; waiting for "
            "approval\n"
            "2   failed   2023-11-14T22:13:20Z  1/2    plan 2 step 2 (b 1.0.0 → 2.0.0) failed: "
            "rolled back\n");
  EXPECT_EQ(PlansText({{"plans", json::array()}}), "no upgrade plans\n");
}

TEST(PlanText, ListsTheStepsWithTheirStateAndError) {
  EXPECT_EQ(PlanText(Plan()),
            "plan 2: failed (1/2 steps done)\n"
            "created 2023-11-14T22:13:20Z, updated 2023-11-14T22:16:30Z\n"
            "reason: plan 2 step 2 (b 1.0.0 → 2.0.0) failed: rolled back\n"
            "#  SERVICE  VERSION        STATE   STARTED               IMAGE\n"
            "1  a        1.0.0 → 2.0.0  done    2023-11-14T22:13:20Z  r/a:2.0.0@sha256:aa\n"
            "2  b        (new) → 2.0.0  failed  2023-11-14T22:14:00Z  r/b:2.0.0@sha256:bb\n"
            "   error: Swarm rolled the update back\n");
}

TEST(ResolveText, GivesTheTargetTheNumberedStepsAndTheHeldBackLines) {
  const json resolve = {
      {"checked_at", "2023-11-14T22:13:20.000Z"},
      {"outcome", "ok"},
      {"message", nullptr},
      {"reasons", json::array()},
      {"target", {{"a", "2.0.0"}, {"c", "1.0.0"}}},
      {"steps",
       {{{"service", "a"}, {"from", "1.0.0"}, {"to", "1.5.0"}, {"image", "r/a:1.5.0@sha256:a1"}},
        {{"service", "a"}, {"from", "1.5.0"}, {"to", "2.0.0"}, {"image", "r/a:2.0.0@sha256:a2"}}}},
      {"held_back", {{{"service", "c"}, {"version", "2.0.0"}, {"reason", kHeldBack}}}},
      {"needs_approval", json::array({"a"})},
      {"notes", {{"c", "registry 127.0.0.1:5000: connection reset"}}}};
  EXPECT_EQ(ResolveText(resolve),
            "checked at 2023-11-14T22:13:20Z (dry run: nothing is executed)\n"
            "target: a 2.0.0, c 1.0.0\n"
            "plan, 2 steps:\n"
            "  1. a 1.0.0 → 1.5.0  r/a:1.5.0@sha256:a1\n"
            "  2. a 1.5.0 → 2.0.0  r/a:2.0.0@sha256:a2\n"
            "waits for approval (maiev.update=approve): a\n"
            "c 2.0.0 " +
                std::string(kHeldBack) +
                "\n"
                "note: c: registry 127.0.0.1:5000: connection reset\n");
}

TEST(ResolveText, SaysWhyThereIsNoTargetOrThatNothingIsToDo) {
  const json failed = {{"outcome", "no_plan"},
                       {"message", "no path of consistent phases"},
                       {"reasons", {"a 2.0.0: requires `b:api >= 2`"}}};
  const std::string text = ResolveText(failed);
  EXPECT_THAT(text, HasSubstr("no target (no_plan): no path of consistent phases\n"
                              "  a 2.0.0: requires `b:api >= 2`\n"));
  EXPECT_THAT(text, Not(HasSubstr("target: ")));
  const json nothing = {{"outcome", "ok"}, {"target", {{"a", "1.0.0"}}}, {"steps", json::array()}};
  EXPECT_THAT(ResolveText(nothing), HasSubstr("nothing to upgrade: every service runs its target"));
}

TEST(HumanTime, DropsTheFractionOfASecond) {
  EXPECT_EQ(HumanTime("2023-11-14T22:13:20.123Z"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(HumanTime("2023-11-14T22:13:20Z"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(HumanTime(nullptr), "-");
}

}  // namespace
}  // namespace maiev::cli
