// The Store on an embedded SQLite file (SPEC §6: "state in an embedded SQLite file").
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "store/store.hpp"

struct sqlite3;

namespace maiev::store {

// SQLite in WAL mode (readers such as a CLI do not block the daemon), synchronous=NORMAL,
// foreign keys on, a named busy timeout. Times are stored as integer microseconds since the Unix
// epoch. The schema is versioned (PRAGMA user_version, see sqlite_schema.hpp): opening an older
// file migrates it; a file from a newer maiev is refused.
//
// Thread-safe: one connection, every method holds mutex_ for its whole transaction.
class SqliteStore final : public Store {
 public:
  struct Options {
    // Decisions kept per service; older ones are dropped on append and when the file is opened.
    std::size_t decisions_kept_per_service = 1000;
  };

  // `path` is a file (created if missing; its directory must exist) or ":memory:" for tests.
  // Errors: "io" (cannot open/create/read the file, not a database), "incompatible" (written by
  // a newer maiev: its schema version is above the latest this build knows).
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, Options options);
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path) {
    return Open(path, Options{});
  }

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status UpsertService(const ServiceRecord& service) override;
  Result<std::optional<ServiceRecord>> FindService(std::string_view name) override;
  Result<std::vector<ServiceRecord>> ListServices() override;
  Status DeleteService(std::string_view name) override;

  Result<RuleHistory> LoadRuleHistory(std::string_view service) override;
  Status SaveRuleHistories(const RuleHistories& by_service) override;

  Result<std::int64_t> AppendDecision(const DecisionRecord& decision) override;
  Result<std::vector<DecisionRecord>> RecentDecisions(
      std::size_t limit, std::optional<std::string_view> service = std::nullopt) override;
  Result<std::vector<DecisionRecord>> QueryDecisions(const DecisionQuery& query) override;

  Result<std::int64_t> CreatePlan(const UpgradePlan& plan) override;
  Result<UpgradePlan> LoadPlan(std::int64_t id) override;
  Result<std::vector<UpgradePlan>> ListPlans(std::size_t limit) override;
  Result<std::vector<UpgradePlan>> UnfinishedPlans() override;
  Result<std::map<RunState, std::size_t>> CountPlansByState() override;
  Status SetPlanState(std::int64_t id, RunState state, std::string_view reason,
                      TimePoint at) override;
  Status SetStepState(std::int64_t plan_id, int index, RunState state, TimePoint at,
                      std::string_view error) override;

  // The schema version of the open file (the latest known, once Open has succeeded).
  Result<int> SchemaVersion();

 private:
  SqliteStore(sqlite3* db, std::string path, Options options);

  // REQUIRES: mutex_ held.
  Status Configure();
  Result<std::vector<UpgradePlan>> LoadPlansLocked(std::string_view where_order_limit,
                                                   std::optional<std::int64_t> arg);
  Unexpected<Error> Failure(std::string_view what) const;  // from the connection's last error
  std::int64_t DecisionsKept() const;

  std::mutex mutex_;
  sqlite3* const db_;       // owned; guarded by mutex_
  const std::string path_;  // for messages
  const Options options_;
};

}  // namespace maiev::store
