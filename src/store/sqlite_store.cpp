#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <utility>

#include "store/sqlite_schema.hpp"

namespace maiev::store {
namespace {

// How long a write waits for another connection (e.g. a CLI reading the file) to release its
// lock before failing with "database is locked".
constexpr int kBusyTimeoutMs = 5000;

constexpr std::array<std::pair<RunState, std::string_view>, 5> kRunStateNames = {{
    {RunState::kPending, "pending"},
    {RunState::kRunning, "running"},
    {RunState::kDone, "done"},
    {RunState::kFailed, "failed"},
    {RunState::kAborted, "aborted"},
}};

std::int64_t ToMicros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TimePoint FromMicros(std::int64_t us) {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds{us})};
}

std::int64_t ClampToInt64(std::size_t n) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(n, kMax));
}

// A prepared statement. Remembers the first failing prepare/bind/step code so that callers check
// once, at Step() or ok().
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }

  Statement& BindText(int i, std::string_view s) {
    // A null pointer would bind SQL NULL; an empty text is "".
    if (ok()) {
      rc_ = sqlite3_bind_text(stmt_, i, s.empty() ? "" : s.data(), static_cast<int>(s.size()),
                              SQLITE_TRANSIENT);
    }
    return *this;
  }
  Statement& BindInt(int i, std::int64_t v) {
    if (ok()) rc_ = sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& BindNull(int i) {
    if (ok()) rc_ = sqlite3_bind_null(stmt_, i);
    return *this;
  }
  int ParameterCount() const { return ok() ? sqlite3_bind_parameter_count(stmt_) : 0; }

  // SQLITE_ROW, SQLITE_DONE, or the failing code (then ok() is false).
  int Step() {
    if (!ok()) return rc_;
    int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) rc_ = rc;
    return rc;
  }
  // Ready to run again with new bindings.
  void Reset() {
    if (!ok()) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const unsigned char* text = sqlite3_column_text(stmt_, col);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Rolls back unless committed. IMMEDIATE takes the write lock up front (no upgrade deadlock
// between two writers); DEFERRED gives readers one consistent snapshot.
class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  Transaction(sqlite3* db, Mode mode) : db_(db) {
    begun_ = sqlite3_exec(db, mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", nullptr,
                          nullptr, nullptr) == SQLITE_OK;
  }
  ~Transaction() {
    if (begun_ && !committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  bool begun() const { return begun_; }
  bool Commit() {
    committed_ = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    return committed_;
  }

 private:
  sqlite3* db_;
  bool begun_ = false;
  bool committed_ = false;
};

constexpr std::string_view kServiceColumns =
    "name, id, scale_config, monitored, paused, last_replicas, updated_us, config_override";

ServiceRecord ReadService(const Statement& st) {
  ServiceRecord s;
  s.name = st.Text(0);
  s.id = st.Text(1);
  s.scale_config_json = st.Text(2);
  s.monitored = st.Int(3) != 0;
  s.paused = st.Int(4) != 0;
  if (!st.IsNull(5)) s.last_replicas = static_cast<int>(st.Int(5));
  s.updated = FromMicros(st.Int(6));
  s.config_override_json = st.Text(7);
  return s;
}

constexpr std::string_view kDecisionColumns =
    "id, time_us, service, old_replicas, new_replicas, reason, rule_values, metrics, explanation";

DecisionRecord ReadDecision(const Statement& st) {
  DecisionRecord d;
  d.id = st.Int(0);
  d.time = FromMicros(st.Int(1));
  d.service = st.Text(2);
  d.old_replicas = static_cast<int>(st.Int(3));
  d.new_replicas = static_cast<int>(st.Int(4));
  d.reason = st.Text(5);
  d.rule_values_json = st.Text(6);
  d.metrics_json = st.Text(7);
  d.explanation_json = st.Text(8);
  return d;
}

}  // namespace

std::string_view ToString(RunState state) {
  for (const auto& [s, name] : kRunStateNames) {
    if (s == state) return name;
  }
  return "unknown";
}

std::optional<RunState> ParseRunState(std::string_view text) {
  for (const auto& [s, name] : kRunStateNames) {
    if (name == text) return s;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Opening

SqliteStore::SqliteStore(sqlite3* db, std::string path, Options options)
    : db_(db), path_(std::move(path)), options_(options) {}

SqliteStore::~SqliteStore() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, Options options) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db != nullptr ? LastErrorText(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Fail("io", "store \"" + path + "\": cannot open or create the database file (" + reason +
                          "); its directory must exist and be writable");
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path, options));
  std::lock_guard lock(store->mutex_);
  if (Status s = store->Configure(); !s.ok()) return Unexpected{s.error()};
  return store;
}

Status SqliteStore::Configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // First, so that a file that is not a database, or one from a newer maiev, is refused before
  // anything (even its journal mode) is changed.
  if (Status s = MigrateSchema(db_, LatestSchemaVersion()); !s.ok()) {
    return Fail(s.error().code, "store \"" + path_ + "\": " + s.error().message);
  }
  {
    Statement st(db_, "PRAGMA journal_mode = WAL");
    if (st.Step() != SQLITE_ROW) return Failure("enabling WAL journal mode");
    std::string mode = st.Text(0);
    if (mode != "wal" && mode != "memory") {
      return Fail("io", "store \"" + path_ + "\": cannot use WAL journal mode (got \"" + mode +
                            "\"); put the file on a local file system");
    }
  }
  if (sqlite3_exec(db_, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", nullptr, nullptr,
                   nullptr) != SQLITE_OK) {
    return Failure("configuring the connection");
  }
  Statement prune(db_, R"sql(
    DELETE FROM decisions WHERE id IN (
      SELECT id FROM (
        SELECT id, ROW_NUMBER() OVER (PARTITION BY service ORDER BY time_us DESC, id DESC) AS n
        FROM decisions)
      WHERE n > ?1))sql");
  if (prune.BindInt(1, DecisionsKept()).Step() != SQLITE_DONE) {
    return Failure("applying decision retention");
  }
  return {};
}

Result<int> SqliteStore::SchemaVersion() {
  std::lock_guard lock(mutex_);
  return ReadSchemaVersion(db_);
}

Unexpected<Error> SqliteStore::Failure(std::string_view what) const {
  int code = sqlite3_extended_errcode(db_) & 0xff;
  std::string message = "store \"" + path_ + "\": " + std::string(what) + ": " + LastErrorText(db_);
  return Fail(code == SQLITE_CONSTRAINT ? "invalid" : "io", std::move(message));
}

std::int64_t SqliteStore::DecisionsKept() const {
  // 0 would drop a decision as soon as it is written; keep at least the newest.
  return ClampToInt64(std::max<std::size_t>(options_.decisions_kept_per_service, 1));
}

// ---------------------------------------------------------------------------------------------
// Services

Status SqliteStore::UpsertService(const ServiceRecord& service) {
  std::lock_guard lock(mutex_);
  Statement st(db_, R"sql(
    INSERT INTO services (name, id, scale_config, monitored, paused, last_replicas, updated_us,
                          config_override)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
    ON CONFLICT (name) DO UPDATE SET
      id = excluded.id, scale_config = excluded.scale_config, monitored = excluded.monitored,
      paused = excluded.paused, last_replicas = excluded.last_replicas,
      updated_us = excluded.updated_us, config_override = excluded.config_override)sql");
  st.BindText(1, service.name)
      .BindText(2, service.id)
      .BindText(3, service.scale_config_json)
      .BindInt(4, service.monitored ? 1 : 0)
      .BindInt(5, service.paused ? 1 : 0)
      .BindInt(7, ToMicros(service.updated))
      .BindText(8, service.config_override_json);
  if (service.last_replicas) {
    st.BindInt(6, *service.last_replicas);
  } else {
    st.BindNull(6);
  }
  if (st.Step() != SQLITE_DONE) return Failure("saving service \"" + service.name + "\"");
  return {};
}

Result<std::optional<ServiceRecord>> SqliteStore::FindService(std::string_view name) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT " + std::string(kServiceColumns) + " FROM services WHERE name = ?1");
  st.BindText(1, name);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return std::optional<ServiceRecord>(ReadService(st));
  if (rc == SQLITE_DONE) return std::optional<ServiceRecord>();
  return Failure("reading service \"" + std::string(name) + "\"");
}

Result<std::vector<ServiceRecord>> SqliteStore::ListServices() {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT " + std::string(kServiceColumns) + " FROM services ORDER BY name");
  std::vector<ServiceRecord> out;
  int rc = SQLITE_ROW;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(ReadService(st));
  if (rc != SQLITE_DONE) return Failure("listing services");
  return out;
}

Status SqliteStore::DeleteService(std::string_view name) {
  std::lock_guard lock(mutex_);
  std::string what = "deleting service \"" + std::string(name) + "\"";
  Transaction tx(db_, Transaction::Mode::kWrite);
  if (!tx.begun()) return Failure(what);
  Statement history(db_, "DELETE FROM rule_history WHERE service = ?1");
  if (history.BindText(1, name).Step() != SQLITE_DONE) return Failure(what);
  Statement service(db_, "DELETE FROM services WHERE name = ?1");
  if (service.BindText(1, name).Step() != SQLITE_DONE) return Failure(what);
  if (!tx.Commit()) return Failure(what);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Rule history

Result<RuleHistory> SqliteStore::LoadRuleHistory(std::string_view service) {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT rule, value, since_us FROM rule_history WHERE service = ?1");
  st.BindText(1, service);
  RuleHistory out;
  int rc = SQLITE_ROW;
  while ((rc = st.Step()) == SQLITE_ROW) {
    out.emplace(st.Text(0), StoredRuleState{st.Int(1) != 0, FromMicros(st.Int(2))});
  }
  if (rc != SQLITE_DONE) {
    return Failure("reading the rule history of service \"" + std::string(service) + "\"");
  }
  return out;
}

Status SqliteStore::SaveRuleHistories(const RuleHistories& by_service) {
  std::lock_guard lock(mutex_);
  const std::string what =
      by_service.size() == 1
          ? "saving the rule history of service \"" + by_service.begin()->first + "\""
          : "saving the rule history of " + std::to_string(by_service.size()) + " services";
  Transaction tx(db_, Transaction::Mode::kWrite);
  if (!tx.begun()) return Failure(what);
  Statement st(db_, R"sql(
    INSERT INTO rule_history (service, rule, value, since_us) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (service, rule) DO UPDATE SET value = excluded.value,
                                              since_us = excluded.since_us)sql");
  for (const auto& [service, states] : by_service) {
    for (const auto& [rule, state] : states) {
      st.Reset();
      st.BindText(1, service)
          .BindText(2, rule)
          .BindInt(3, state.value ? 1 : 0)
          .BindInt(4, ToMicros(state.since));
      if (st.Step() != SQLITE_DONE) {
        return Failure("saving the rule history of service \"" + service + "\", rule \"" + rule +
                       "\"");
      }
    }
  }
  if (!tx.Commit()) return Failure(what);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Decision log

Result<std::int64_t> SqliteStore::AppendDecision(const DecisionRecord& decision) {
  std::lock_guard lock(mutex_);
  std::string what = "recording a decision for service \"" + decision.service + "\"";
  Transaction tx(db_, Transaction::Mode::kWrite);
  if (!tx.begun()) return Failure(what);
  Statement insert(db_, R"sql(
    INSERT INTO decisions (time_us, service, old_replicas, new_replicas, reason, rule_values,
                           metrics, explanation)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql");
  insert.BindInt(1, ToMicros(decision.time))
      .BindText(2, decision.service)
      .BindInt(3, decision.old_replicas)
      .BindInt(4, decision.new_replicas)
      .BindText(5, decision.reason)
      .BindText(6, decision.rule_values_json)
      .BindText(7, decision.metrics_json)
      .BindText(8, decision.explanation_json);
  if (insert.Step() != SQLITE_DONE) return Failure(what);
  std::int64_t id = sqlite3_last_insert_rowid(db_);
  Statement prune(db_, R"sql(
    DELETE FROM decisions WHERE service = ?1 AND id IN (
      SELECT id FROM decisions WHERE service = ?1
      ORDER BY time_us DESC, id DESC LIMIT -1 OFFSET ?2))sql");
  if (prune.BindText(1, decision.service).BindInt(2, DecisionsKept()).Step() != SQLITE_DONE) {
    return Failure(what);
  }
  if (!tx.Commit()) return Failure(what);
  return id;
}

Result<std::vector<DecisionRecord>> SqliteStore::RecentDecisions(
    std::size_t limit, std::optional<std::string_view> service) {
  std::lock_guard lock(mutex_);
  std::string sql = "SELECT " + std::string(kDecisionColumns) + " FROM decisions " +
                    (service ? "WHERE service = ?2 " : "") +
                    "ORDER BY time_us DESC, id DESC LIMIT ?1";
  Statement st(db_, sql);
  st.BindInt(1, ClampToInt64(limit));
  if (service) st.BindText(2, *service);
  std::vector<DecisionRecord> out;
  int rc = SQLITE_ROW;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(ReadDecision(st));
  if (rc != SQLITE_DONE) return Failure("reading decisions");
  return out;
}

Result<std::vector<DecisionRecord>> SqliteStore::QueryDecisions(const DecisionQuery& query) {
  std::lock_guard lock(mutex_);
  std::string sql = "SELECT " + std::string(kDecisionColumns) + " FROM decisions WHERE 1";
  if (query.service) sql += " AND service = ?2";
  if (query.since) sql += " AND time_us >= ?3";
  if (query.until) sql += " AND time_us < ?4";
  if (query.before_id) sql += " AND id < ?5";
  switch (query.direction) {
    case DecisionQuery::Direction::kAny:
      break;
    case DecisionQuery::Direction::kUp:
      sql += " AND new_replicas > old_replicas";
      break;
    case DecisionQuery::Direction::kDown:
      sql += " AND new_replicas < old_replicas";
      break;
    case DecisionQuery::Direction::kNone:
      sql += " AND new_replicas = old_replicas";
      break;
  }
  sql += " ORDER BY id DESC LIMIT ?1";
  Statement st(db_, sql);
  st.BindInt(1, ClampToInt64(query.limit));
  if (query.service) st.BindText(2, *query.service);
  if (query.since) st.BindInt(3, ToMicros(*query.since));
  if (query.until) st.BindInt(4, ToMicros(*query.until));
  if (query.before_id) st.BindInt(5, *query.before_id);
  std::vector<DecisionRecord> out;
  int rc = SQLITE_ROW;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(ReadDecision(st));
  if (rc != SQLITE_DONE) return Failure("querying decisions");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Upgrade plans

Result<std::int64_t> SqliteStore::CreatePlan(const UpgradePlan& plan) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_, Transaction::Mode::kWrite);
  if (!tx.begun()) return Failure("creating an upgrade plan");
  Statement insert(db_, R"sql(
    INSERT INTO upgrade_plans (created_us, updated_us, state, reason)
    VALUES (?1, ?2, ?3, ?4))sql");
  insert.BindInt(1, ToMicros(plan.created))
      .BindInt(2, ToMicros(plan.updated))
      .BindText(3, ToString(plan.state))
      .BindText(4, plan.reason);
  if (insert.Step() != SQLITE_DONE) return Failure("creating an upgrade plan");
  std::int64_t id = sqlite3_last_insert_rowid(db_);
  Statement step(db_, R"sql(
    INSERT INTO upgrade_steps (plan_id, step_index, service, from_version, to_version, image,
                               state, from_image, error, started_us)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10))sql");
  for (const UpgradeStep& s : plan.steps) {
    step.Reset();
    step.BindInt(1, id)
        .BindInt(2, s.index)
        .BindText(3, s.service)
        .BindText(4, s.from_version)
        .BindText(5, s.to_version)
        .BindText(6, s.image)
        .BindText(7, ToString(s.state))
        .BindText(8, s.from_image)
        .BindText(9, s.error);
    if (s.started) {
      step.BindInt(10, ToMicros(*s.started));
    } else {
      step.BindNull(10);
    }
    if (step.Step() != SQLITE_DONE) {
      return Failure("creating an upgrade plan, step " + std::to_string(s.index) + " (service \"" +
                     s.service + "\")");
    }
  }
  if (!tx.Commit()) return Failure("creating an upgrade plan");
  return id;
}

Result<std::vector<UpgradePlan>> SqliteStore::LoadPlansLocked(std::string_view where_order_limit,
                                                              std::optional<std::int64_t> arg) {
  Transaction tx(db_, Transaction::Mode::kRead);
  if (!tx.begun()) return Failure("reading upgrade plans");
  Statement st(db_, "SELECT id, created_us, updated_us, state, reason FROM upgrade_plans " +
                        std::string(where_order_limit));
  if (arg) st.BindInt(1, *arg);
  std::vector<UpgradePlan> plans;
  int rc = SQLITE_ROW;
  while ((rc = st.Step()) == SQLITE_ROW) {
    UpgradePlan p;
    p.id = st.Int(0);
    p.created = FromMicros(st.Int(1));
    p.updated = FromMicros(st.Int(2));
    // The CHECK constraint admits only known names.
    p.state = ParseRunState(st.Text(3)).value_or(RunState::kFailed);
    p.reason = st.Text(4);
    plans.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return Failure("reading upgrade plans");

  Statement steps(db_, R"sql(
    SELECT step_index, service, from_version, to_version, image, state, from_image, error,
           started_us
    FROM upgrade_steps WHERE plan_id = ?1 ORDER BY step_index)sql");
  for (UpgradePlan& p : plans) {
    steps.Reset();
    steps.BindInt(1, p.id);
    while ((rc = steps.Step()) == SQLITE_ROW) {
      UpgradeStep step{static_cast<int>(steps.Int(0)),
                       steps.Text(1),
                       steps.Text(2),
                       steps.Text(3),
                       steps.Text(4),
                       ParseRunState(steps.Text(5)).value_or(RunState::kFailed),
                       steps.Text(6),
                       steps.Text(7),
                       std::nullopt};
      if (!steps.IsNull(8)) step.started = FromMicros(steps.Int(8));
      p.steps.push_back(std::move(step));
    }
    if (rc != SQLITE_DONE)
      return Failure("reading the steps of upgrade plan " + std::to_string(p.id));
  }
  tx.Commit();  // read-only: nothing to lose if it fails
  return plans;
}

Result<UpgradePlan> SqliteStore::LoadPlan(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto plans = LoadPlansLocked("WHERE id = ?1", id);
  if (!plans.ok()) return Unexpected{plans.error()};
  if (plans->empty()) {
    return Fail("not_found", "store \"" + path_ + "\": no upgrade plan " + std::to_string(id));
  }
  return std::move(plans->front());
}

Result<std::vector<UpgradePlan>> SqliteStore::ListPlans(std::size_t limit) {
  std::lock_guard lock(mutex_);
  return LoadPlansLocked("ORDER BY id DESC LIMIT ?1", ClampToInt64(limit));
}

Result<std::vector<UpgradePlan>> SqliteStore::UnfinishedPlans() {
  std::lock_guard lock(mutex_);
  return LoadPlansLocked("WHERE state IN ('pending', 'running') ORDER BY id", std::nullopt);
}

Result<std::map<RunState, std::size_t>> SqliteStore::CountPlansByState() {
  std::lock_guard lock(mutex_);
  Statement st(db_, "SELECT state, COUNT(*) FROM upgrade_plans GROUP BY state");
  std::map<RunState, std::size_t> counts;
  int rc = SQLITE_ROW;
  while ((rc = st.Step()) == SQLITE_ROW) {
    // The CHECK constraint admits only known names.
    if (auto state = ParseRunState(st.Text(0)))
      counts[*state] = static_cast<std::size_t>(st.Int(1));
  }
  if (rc != SQLITE_DONE) return Failure("counting upgrade plans");
  return counts;
}

Status SqliteStore::SetPlanState(std::int64_t id, RunState state, std::string_view reason,
                                 TimePoint at) {
  std::lock_guard lock(mutex_);
  std::string what = "updating upgrade plan " + std::to_string(id);
  Statement st(db_,
               "UPDATE upgrade_plans SET state = ?1, reason = ?2, updated_us = ?3 WHERE id = ?4");
  st.BindText(1, ToString(state)).BindText(2, reason).BindInt(3, ToMicros(at)).BindInt(4, id);
  if (st.Step() != SQLITE_DONE) return Failure(what);
  if (sqlite3_changes(db_) == 0) {
    return Fail("not_found", "store \"" + path_ + "\": no upgrade plan " + std::to_string(id));
  }
  return {};
}

Status SqliteStore::SetStepState(std::int64_t plan_id, int index, RunState state, TimePoint at,
                                 std::string_view error) {
  std::lock_guard lock(mutex_);
  std::string what =
      "updating step " + std::to_string(index) + " of upgrade plan " + std::to_string(plan_id);
  Transaction tx(db_, Transaction::Mode::kWrite);
  if (!tx.begun()) return Failure(what);
  Statement step(db_, R"sql(
    UPDATE upgrade_steps SET state = ?1, error = ?4,
      started_us = CASE WHEN ?1 = 'running' AND started_us IS NULL THEN ?5 ELSE started_us END
    WHERE plan_id = ?2 AND step_index = ?3)sql");
  step.BindText(1, ToString(state))
      .BindInt(2, plan_id)
      .BindInt(3, index)
      .BindText(4, error)
      .BindInt(5, ToMicros(at));
  if (step.Step() != SQLITE_DONE) return Failure(what);
  if (sqlite3_changes(db_) == 0) {
    return Fail("not_found", "store \"" + path_ + "\": no step " + std::to_string(index) +
                                 " in upgrade plan " + std::to_string(plan_id));
  }
  Statement plan(db_, "UPDATE upgrade_plans SET updated_us = ?1 WHERE id = ?2");
  if (plan.BindInt(1, ToMicros(at)).BindInt(2, plan_id).Step() != SQLITE_DONE) {
    return Failure(what);
  }
  if (!tx.Commit()) return Failure(what);
  return {};
}

}  // namespace maiev::store
