#include "store/sqlite_schema.hpp"

#include <sqlite3.h>

#include <array>
#include <cstring>
#include <string>

namespace maiev::store {
namespace {

// Times are integer microseconds since the Unix epoch (columns suffixed `_us`).
constexpr std::array kMigrations = {
    Migration{1, "services, rule history, decision log", R"sql(
CREATE TABLE services (
  name          TEXT PRIMARY KEY CHECK (length(name) > 0),
  id            TEXT NOT NULL DEFAULT '',
  scale_config  TEXT NOT NULL DEFAULT '',
  monitored     INTEGER NOT NULL DEFAULT 0 CHECK (monitored IN (0, 1)),
  paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  last_replicas INTEGER,
  updated_us    INTEGER NOT NULL
);
CREATE TABLE rule_history (
  service  TEXT NOT NULL CHECK (length(service) > 0),
  rule     TEXT NOT NULL CHECK (length(rule) > 0),
  value    INTEGER NOT NULL CHECK (value IN (0, 1)),
  since_us INTEGER NOT NULL,
  PRIMARY KEY (service, rule)
) WITHOUT ROWID;
CREATE TABLE decisions (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us      INTEGER NOT NULL,
  service      TEXT NOT NULL CHECK (length(service) > 0),
  old_replicas INTEGER NOT NULL,
  new_replicas INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  rule_values  TEXT NOT NULL,
  metrics      TEXT NOT NULL
);
CREATE INDEX decisions_by_service ON decisions (service, time_us DESC, id DESC);
CREATE INDEX decisions_by_time ON decisions (time_us DESC, id DESC);
)sql"},
    Migration{2, "upgrade plans and steps", R"sql(
CREATE TABLE upgrade_plans (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'aborted')),
  reason     TEXT NOT NULL
);
CREATE INDEX upgrade_plans_by_state ON upgrade_plans (state, id);
CREATE TABLE upgrade_steps (
  plan_id      INTEGER NOT NULL REFERENCES upgrade_plans (id) ON DELETE CASCADE,
  step_index   INTEGER NOT NULL CHECK (step_index >= 0),
  service      TEXT NOT NULL CHECK (length(service) > 0),
  from_version TEXT NOT NULL,
  to_version   TEXT NOT NULL,
  image        TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'aborted')),
  PRIMARY KEY (plan_id, step_index)
) WITHOUT ROWID;
)sql"},
    Migration{3, "structured explanation of each decision", R"sql(
ALTER TABLE decisions ADD COLUMN explanation TEXT NOT NULL DEFAULT '';
)sql"},
    Migration{4, "the image a step replaces, why it failed, and when it started", R"sql(
ALTER TABLE upgrade_steps ADD COLUMN from_image TEXT NOT NULL DEFAULT '';
ALTER TABLE upgrade_steps ADD COLUMN error TEXT NOT NULL DEFAULT '';
ALTER TABLE upgrade_steps ADD COLUMN started_us INTEGER;
)sql"},
    Migration{5, "a scale config set through the API", R"sql(
ALTER TABLE services ADD COLUMN config_override TEXT NOT NULL DEFAULT '';
)sql"},
};

Status Exec(sqlite3* db, const std::string& sql, std::string_view what) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) return {};
  return Fail("io", std::string(what) + ": " + LastErrorText(db));
}

}  // namespace

std::string LastErrorText(sqlite3* db) {
  std::string text = sqlite3_errmsg(db);
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  const int system = sqlite3_system_errno(db);
  if ((primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) &&
      system != 0) {
    text.append(" (").append(std::strerror(system)).append(")");
  }
  return text;
}

std::span<const Migration> Migrations() { return kMigrations; }

int LatestSchemaVersion() { return kMigrations.back().version; }

Result<int> ReadSchemaVersion(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) {
    return Fail("io", "reading the schema version: " + LastErrorText(db));
  }
  int rc = sqlite3_step(stmt);
  int version = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) {
    return Fail("io", "reading the schema version: " + LastErrorText(db));
  }
  return version;
}

Status MigrateSchema(sqlite3* db, int target) {
  auto current = ReadSchemaVersion(db);
  if (!current.ok()) return Unexpected{current.error()};
  if (*current > LatestSchemaVersion()) {
    return Fail("incompatible", "schema version " + std::to_string(*current) +
                                    " is newer than this build of maiev knows (up to " +
                                    std::to_string(LatestSchemaVersion()) +
                                    "); run a newer maiev or use another file");
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= *current || m.version > target) continue;
    std::string what = "migrating the schema to version " + std::to_string(m.version) + " (" +
                       std::string(m.description) + ")";
    if (Status s = Exec(db, "BEGIN IMMEDIATE", what); !s.ok()) return s;
    Status s = Exec(db, std::string(m.sql), what);
    if (s.ok()) s = Exec(db, "PRAGMA user_version = " + std::to_string(m.version), what);
    if (s.ok()) s = Exec(db, "COMMIT", what);
    if (!s.ok()) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
  }
  return {};
}

}  // namespace maiev::store
