// What maiev would do now: the target phase and the plan to it, from an UpgradeCatalog, and why
// each newer version a service does not get is held back (docs/UPGRADES.md, "Deciding"). Pure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "solver/solver.hpp"
#include "upgrade/upgrade_catalog.hpp"

namespace maiev::upgrade {

struct PlannedStep {
  std::string service;
  std::string from;   // version text
  std::string to;     // version text
  std::string image;  // pinned: `registry/repo:tag@sha256:…`

  friend bool operator==(const PlannedStep&, const PlannedStep&) = default;
};

struct DecideLimits {
  solver::SolveLimits solve;
  solver::PlanLimits plan;
  // Newer versions explained per service and in all (each costs one solve).
  int explained_per_service = 3;
  int explained_in_all = 30;
};

struct UpgradeDecision {
  // "ok" (a target and a plan; steps may be empty when everything is newest), or the solver's
  // failure code: "invalid" (the catalog does not compile), "no_solution", "no_plan", "limit".
  std::string outcome = "ok";
  std::string message;                        // one sentence for a failure; empty for "ok"
  std::vector<std::string> reasons;           // which requirement of which version fails
  std::map<std::string, std::string> target;  // service → version text (when a target exists)
  std::vector<PlannedStep> steps;
  // Why newer versions are not in the target: the catalog's exclusions, then the solver's.
  std::vector<HeldBack> held_back;
  // Services whose steps wait for approval (maiev.update=approve), by name.
  std::vector<std::string> needs_approval;

  bool ok() const { return outcome == "ok"; }
};

UpgradeDecision Decide(const UpgradeCatalog& catalog, const DecideLimits& limits = {});

}  // namespace maiev::upgrade
