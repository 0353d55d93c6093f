// The SQLite schema of SqliteStore and its migrations.
//
// The schema version is SQLite's `PRAGMA user_version` (0 for a new file). Migrations form an
// ordered list; migration N takes a file from version N-1 to N, in one transaction together with
// the version bump, so a crash leaves the file at N-1 or N. Never edit a released migration:
// append a new one.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

struct sqlite3;

namespace maiev::store {

struct Migration {
  int version;  // the schema version the file has after it
  std::string_view description;
  std::string_view sql;
};

std::span<const Migration> Migrations();  // ordered by version, 1, 2, …
int LatestSchemaVersion();

// The connection's last error for a message: SQLite's text, and for an I/O failure (a full disk,
// a file that cannot be opened) the system's reason too, e.g. "disk I/O error (No space left on
// device)".
std::string LastErrorText(sqlite3* db);

// The file's user_version. Errors: "io" (e.g. the file is not a database).
Result<int> ReadSchemaVersion(sqlite3* db);

// Applies every migration above the file's version up to `target` (≤ LatestSchemaVersion()).
// Errors: "incompatible" when the file's version is above LatestSchemaVersion(), "io" when a
// migration fails (the file then stays at the last version that applied).
Status MigrateSchema(sqlite3* db, int target);

}  // namespace maiev::store
