#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_schema.hpp"

namespace maiev::store {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

const TimePoint kT0{seconds{1'700'000'000}};

// A directory of its own under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("maiev-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& Path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path, SqliteStore::Options options = {}) {
  auto store = SqliteStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  if (!store.ok()) return nullptr;
  return std::move(store).value();
}

// Raw SQL on a file, for setting up old or foreign databases and injecting faults.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

ServiceRecord Service(std::string name) {
  ServiceRecord s;
  s.name = std::move(name);
  s.id = "id-" + s.name;
  s.scale_config_json = R"({"min":0,"max":9})";
  s.monitored = true;
  s.last_replicas = 2;
  s.updated = kT0 + microseconds{123'456};
  return s;
}

DecisionRecord Decision(std::string service, TimePoint time, int from, int to) {
  DecisionRecord d;
  d.time = time;
  d.service = std::move(service);
  d.old_replicas = from;
  d.new_replicas = to;
  d.reason = to > from ? "scale_up" : "scale_down";
  d.rule_values_json = R"({"panic":true})";
  d.metrics_json = R"({"rmq:latency":12.5})";
  d.explanation_json = R"({"text":"1 → 2: scale_up: rules:panic ← rmq:latency 12.5 > 10"})";
  return d;
}

std::vector<std::int64_t> Ids(const std::vector<DecisionRecord>& decisions) {
  std::vector<std::int64_t> ids;
  for (const DecisionRecord& d : decisions) ids.push_back(d.id);
  return ids;
}

UpgradePlan TwoStepPlan() {
  UpgradePlan plan;
  plan.created = kT0;
  plan.updated = kT0;
  plan.reason = "producer 1.0.16 available";
  plan.steps = {
      {0, "consumer", "1.0.0", "1.1.0", "127.0.0.1:5000/app:consumer-1.1.0@sha256:aa",
       RunState::kPending, "127.0.0.1:5000/app:consumer-1.0.0@sha256:a0", "", std::nullopt},
      {1, "producer", "1.0.15", "1.0.16", "127.0.0.1:5000/app:producer-1.0.16@sha256:bb",
       RunState::kPending, "127.0.0.1:5000/app:producer-1.0.15@sha256:b0", "", std::nullopt},
  };
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Schema and opening

TEST(SqliteSchema, MigrationsAreNumberedOneToLatestInOrder) {
  int expected = 1;
  for (const Migration& m : Migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.sql.empty());
  }
  EXPECT_EQ(LatestSchemaVersion(), expected - 1);
  EXPECT_GE(LatestSchemaVersion(), 2);
}

TEST(SqliteStore, NewDatabaseIsMigratedFromZeroToLatest) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  auto version = store->SchemaVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, LatestSchemaVersion());
}

TEST(SqliteStore, ReopeningIsIdempotent) {
  TempDir dir;
  std::string path = dir.File("maiev.db");
  {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->UpsertService(Service("producer")).ok());
  }
  for (int i = 0; i < 2; ++i) {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());
    auto services = store->ListServices();
    ASSERT_TRUE(services.ok());
    ASSERT_EQ(services->size(), 1u);
    EXPECT_EQ(services->front(), Service("producer"));
  }
}

TEST(SqliteStore, OlderDatabaseIsMigratedOnOpenKeepingItsData) {
  TempDir dir;
  std::string path = dir.File("old.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    Status migrated = MigrateSchema(db, 1);
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    ASSERT_EQ(*ReadSchemaVersion(db), 1);
    sqlite3_close(db);
  }
  RawExec(path,
          "INSERT INTO services (name, updated_us) VALUES ('legacy', 1);"
          "INSERT INTO rule_history VALUES ('legacy', 'latency_ok', 1, 1700000000000000);");

  auto store = OpenOrDie(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());
  auto legacy = store->FindService("legacy");
  ASSERT_TRUE(legacy.ok());
  ASSERT_TRUE(legacy->has_value());
  EXPECT_FALSE((*legacy)->last_replicas.has_value());
  auto history = store->LoadRuleHistory("legacy");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->at("latency_ok"), (StoredRuleState{true, kT0}));
  // Tables of the later migration exist.
  EXPECT_TRUE(store->CreatePlan(TwoStepPlan()).ok());
}

TEST(SqliteStore, DecisionsFromBeforeExplanationsReadWithAnEmptyOne) {
  TempDir dir;
  std::string path = dir.File("v2.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_TRUE(MigrateSchema(db, 2).ok());
    sqlite3_close(db);
  }
  RawExec(path,
          "INSERT INTO decisions (time_us, service, old_replicas, new_replicas, reason, "
          "rule_values, metrics) VALUES (1700000000000000, 'old', 1, 2, 'scale_up true: 1 → 2', "
          "'{}', '{}');");

  auto store = OpenOrDie(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), LatestSchemaVersion());
  auto old = store->RecentDecisions(1, "old");
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ(old->front().reason, "scale_up true: 1 → 2");
  EXPECT_EQ(old->front().explanation_json, "");
  // New decisions keep theirs.
  const DecisionRecord fresh = Decision("new", kT0, 1, 2);
  ASSERT_TRUE(store->AppendDecision(fresh).ok());
  EXPECT_EQ(store->RecentDecisions(1, "new")->front().explanation_json, fresh.explanation_json);
}

TEST(SqliteStore, StepsFromBeforeErrorsReadWithNoErrorAndNoStart) {
  TempDir dir;
  std::string path = dir.File("v3.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_TRUE(MigrateSchema(db, 3).ok());
    sqlite3_close(db);
  }
  RawExec(path,
          "INSERT INTO upgrade_plans (id, created_us, updated_us, state, reason) VALUES "
          "(1, 1700000000000000, 1700000000000000, 'running', 'old');"
          "INSERT INTO upgrade_steps (plan_id, step_index, service, from_version, to_version, "
          "image, state) VALUES (1, 0, 'a', '1.0', '2.0', 'r/a:2.0@sha256:aa', 'running');");

  auto store = OpenOrDie(path);
  ASSERT_TRUE(store);
  auto plan = store->LoadPlan(1);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->steps.size(), 1U);
  EXPECT_EQ(plan->steps[0].state, RunState::kRunning);
  EXPECT_EQ(plan->steps[0].from_image, "");
  EXPECT_EQ(plan->steps[0].error, "");
  EXPECT_EQ(plan->steps[0].started, std::nullopt);
}

TEST(SqliteStore, DatabaseFromANewerVersionIsRefused) {
  TempDir dir;
  std::string path = dir.File("future.db");
  RawExec(path, "CREATE TABLE t (x); PRAGMA user_version = 99;");
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "incompatible");
  EXPECT_NE(store.error().message.find("99"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
}

TEST(SqliteStore, MissingDirectoryIsAClearError) {
  TempDir dir;
  std::string path = dir.File("no-such-dir/maiev.db");
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "io");
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("directory must exist"), std::string::npos)
      << store.error().message;
}

TEST(SqliteStore, FileThatIsNotADatabaseIsAClearError) {
  TempDir dir;
  std::string path = dir.File("notes.txt");
  std::ofstream(path) << "this is not an SQLite database, just some text long enough to have a "
                         "header that SQLite will reject when it reads the first page.\n";
  auto store = SqliteStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "io");
  EXPECT_NE(store.error().message.find("not a database"), std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Whatever the file holds, refusing it leaves it as it was: not renamed, truncated or
// overwritten, and no journal beside it (an operator may have given the wrong path).
TEST(SqliteStore, FileThatIsNotADatabaseIsLeftUntouched) {
  TempDir dir;
  std::string binary(8192, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 131) % 251);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"short.txt", "not sqlite\n"},
      {"config.json", R"({"min": 1, "max": 6, "rules": {}})"},
      {"random.bin", binary},
      {"truncated-header.db", std::string("SQLite format 3\0", 16) + "garbage"},
  };
  for (const auto& [name, content] : files) {
    SCOPED_TRACE(name);
    std::string path = dir.File(name);
    std::ofstream(path, std::ios::binary) << content;
    const auto written = std::filesystem::last_write_time(path);
    for (int attempt = 0; attempt < 3; ++attempt) {  // as a supervisor restarting maiev would
      auto store = SqliteStore::Open(path);
      ASSERT_FALSE(store.ok());
      EXPECT_EQ(store.error().code, "io");
      EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
    }
    EXPECT_EQ(ReadBytes(path), content);
    EXPECT_EQ(std::filesystem::last_write_time(path), written);
    EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
    EXPECT_FALSE(std::filesystem::exists(path + "-shm"));
    EXPECT_FALSE(std::filesystem::exists(path + "-journal"));
  }
  // Nothing renamed aside or created: the directory holds the files written, no more.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.Path())) {
    ++entries;
  }
  EXPECT_EQ(entries, files.size());
}

TEST(SqliteStore, FileUsesWriteAheadLog) {
  TempDir dir;
  std::string path = dir.File("wal.db");
  auto store = OpenOrDie(path);
  ASSERT_TRUE(store);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

// ---------------------------------------------------------------------------------------------
// Services

TEST(SqliteStore, ServicesAreUpsertedListedByNameAndDeleted) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->UpsertService(Service("worker")).ok());
  ASSERT_TRUE(store->UpsertService(Service("producer")).ok());

  ServiceRecord changed = Service("worker");
  changed.id = "new-id";
  changed.paused = true;
  changed.monitored = false;
  changed.last_replicas.reset();
  changed.scale_config_json.clear();
  changed.updated = kT0 + seconds{60};
  ASSERT_TRUE(store->UpsertService(changed).ok());

  auto found = store->FindService("worker");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, changed);

  auto all = store->ListServices();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "producer");
  EXPECT_EQ((*all)[1].name, "worker");

  ASSERT_TRUE(store->DeleteService("worker").ok());
  ASSERT_TRUE(store->DeleteService("never-existed").ok());
  auto gone = store->FindService("worker");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST(SqliteStore, ServiceWithoutNameIsInvalid) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  Status s = store->UpsertService(Service(""));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "invalid");
}

// ---------------------------------------------------------------------------------------------
// Rule history

TEST(SqliteStore, RuleHistorySurvivesCloseAndReopen) {
  TempDir dir;
  std::string path = dir.File("history.db");
  const RuleHistory saved = {
      {"latency_ok", {true, kT0 + microseconds{1}}},
      {"panic", {false, kT0 - seconds{3600}}},
  };
  {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->SaveRuleHistory("producer", saved).ok());
    ASSERT_TRUE(store->SaveRuleHistory("consumer", {{"panic", {true, kT0}}}).ok());
  }
  auto store = OpenOrDie(path);
  ASSERT_TRUE(store);
  auto loaded = store->LoadRuleHistory("producer");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, saved);
  auto none = store->LoadRuleHistory("unknown");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(SqliteStore, SavingRuleHistoryReplacesGivenRulesAndKeepsOthers) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->SaveRuleHistory("p", {{"a", {true, kT0}}, {"b", {true, kT0}}}).ok());
  ASSERT_TRUE(store->SaveRuleHistory("p", {{"b", {false, kT0 + seconds{5}}}}).ok());
  auto loaded = store->LoadRuleHistory("p");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, (RuleHistory{{"a", {true, kT0}}, {"b", {false, kT0 + seconds{5}}}}));
}

TEST(SqliteStore, TimesKeepMicrosecondsAndTruncateFinerParts) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  TimePoint fine = kT0 + std::chrono::nanoseconds{1'234'567};
  ASSERT_TRUE(store->SaveRuleHistory("p", {{"a", {true, fine}}}).ok());
  EXPECT_EQ(store->LoadRuleHistory("p")->at("a").since, kT0 + microseconds{1'234});
}

// Fault injection: the database at `path` refuses to store a rule named "z".
void RefuseRuleZ(const std::string& path) {
  RawExec(path,
          "CREATE TRIGGER refuse_z BEFORE INSERT ON rule_history WHEN NEW.rule = 'z' "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
}

TEST(SqliteStore, RuleHistoryBatchIsAllOrNothing) {
  TempDir dir;
  std::string path = dir.File("atomic.db");
  {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->SaveRuleHistory("p", {{"a", {false, kT0}}}).ok());
  }
  // Fault injection: the last row of the next batch is refused.
  RefuseRuleZ(path);
  auto store = OpenOrDie(path);
  ASSERT_TRUE(store);
  Status s = store->SaveRuleHistory(
      "p", {{"a", {true, kT0 + seconds{1}}}, {"b", {true, kT0}}, {"z", {true, kT0}}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("\"z\""), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("injected failure"), std::string::npos) << s.error().message;
  auto loaded = store->LoadRuleHistory("p");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, (RuleHistory{{"a", {false, kT0}}}));
  // The connection is usable afterwards: no transaction left open.
  EXPECT_TRUE(store->SaveRuleHistory("p", {{"b", {true, kT0}}}).ok());
}

TEST(SqliteStore, SeveralServicesRuleHistoriesAreSavedAllOrNothing) {
  TempDir dir;
  std::string path = dir.File("services.db");
  {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store
                    ->SaveRuleHistories({{"p", {{"a", {true, kT0}}}},
                                         {"q", {{"a", {false, kT0}}, {"b", {true, kT0}}}}})
                    .ok());
    EXPECT_EQ(*store->LoadRuleHistory("p"), (RuleHistory{{"a", {true, kT0}}}));
    EXPECT_EQ(*store->LoadRuleHistory("q"), (RuleHistory{{"a", {false, kT0}}, {"b", {true, kT0}}}));
  }
  RefuseRuleZ(path);
  auto store = OpenOrDie(path);
  ASSERT_TRUE(store);
  // The second service's rows fail: the first service's are not kept either.
  Status s = store->SaveRuleHistories(
      {{"p", {{"a", {false, kT0 + seconds{1}}}}}, {"q", {{"z", {true, kT0}}}}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("service \"q\", rule \"z\""), std::string::npos)
      << s.error().message;
  EXPECT_EQ(*store->LoadRuleHistory("p"), (RuleHistory{{"a", {true, kT0}}}));
}

TEST(SqliteStore, EmptyRuleNameIsInvalid) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  Status s = store->SaveRuleHistory("p", {{"", {true, kT0}}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "invalid");
}

TEST(SqliteStore, DeletingAServiceDropsItsRuleHistoryOnly) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->UpsertService(Service("p")).ok());
  ASSERT_TRUE(store->SaveRuleHistory("p", {{"a", {true, kT0}}}).ok());
  ASSERT_TRUE(store->SaveRuleHistory("q", {{"a", {true, kT0}}}).ok());
  ASSERT_TRUE(store->AppendDecision(Decision("p", kT0, 1, 2)).ok());
  ASSERT_TRUE(store->DeleteService("p").ok());
  EXPECT_TRUE(store->LoadRuleHistory("p")->empty());
  EXPECT_EQ(store->LoadRuleHistory("q")->size(), 1u);
  EXPECT_EQ(store->RecentDecisions(10, "p")->size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Decision log

TEST(SqliteStore, RecentDecisionsAreNewestFirstAndLimited) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  auto a1 = *store->AppendDecision(Decision("a", kT0 + seconds{1}, 1, 2));
  auto b1 = *store->AppendDecision(Decision("b", kT0 + seconds{2}, 0, 1));
  auto a2 = *store->AppendDecision(Decision("a", kT0 + seconds{3}, 2, 3));
  auto a0 = *store->AppendDecision(Decision("a", kT0, 5, 4));               // recorded late, older
  auto a3 = *store->AppendDecision(Decision("a", kT0 + seconds{3}, 3, 4));  // same time as a2
  EXPECT_LT(a1, b1);

  EXPECT_EQ(Ids(*store->RecentDecisions(10)), (std::vector<std::int64_t>{a3, a2, b1, a1, a0}));
  EXPECT_EQ(Ids(*store->RecentDecisions(2)), (std::vector<std::int64_t>{a3, a2}));
  EXPECT_EQ(Ids(*store->RecentDecisions(10, "a")), (std::vector<std::int64_t>{a3, a2, a1, a0}));
  EXPECT_EQ(Ids(*store->RecentDecisions(1, "b")), (std::vector<std::int64_t>{b1}));
  EXPECT_TRUE(store->RecentDecisions(0)->empty());
  EXPECT_TRUE(store->RecentDecisions(10, "nobody")->empty());

  DecisionRecord expected = Decision("b", kT0 + seconds{2}, 0, 1);
  expected.id = b1;
  EXPECT_EQ(store->RecentDecisions(1, "b")->front(), expected);
}

TEST(SqliteStore, DecisionRetentionKeepsNewestPerService) {
  auto store = OpenOrDie(":memory:", {.decisions_kept_per_service = 3});
  ASSERT_TRUE(store);
  std::vector<std::int64_t> a;
  for (int i = 0; i < 5; ++i)
    a.push_back(*store->AppendDecision(Decision("a", kT0 + seconds{i}, i, i + 1)));
  auto b1 = *store->AppendDecision(Decision("b", kT0, 0, 1));
  auto b2 = *store->AppendDecision(Decision("b", kT0 + seconds{1}, 1, 2));
  EXPECT_EQ(Ids(*store->RecentDecisions(100, "a")), (std::vector<std::int64_t>{a[4], a[3], a[2]}));
  EXPECT_EQ(Ids(*store->RecentDecisions(100, "b")), (std::vector<std::int64_t>{b2, b1}));
  // A late decision older than all kept ones is dropped at once.
  ASSERT_TRUE(store->AppendDecision(Decision("a", kT0 - seconds{10}, 9, 8)).ok());
  EXPECT_EQ(Ids(*store->RecentDecisions(100, "a")), (std::vector<std::int64_t>{a[4], a[3], a[2]}));
}

TEST(SqliteStore, SmallerRetentionIsAppliedWhenTheFileIsOpened) {
  TempDir dir;
  std::string path = dir.File("retention.db");
  {
    auto store = OpenOrDie(path, {.decisions_kept_per_service = 10});
    ASSERT_TRUE(store);
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(store->AppendDecision(Decision(i % 2 ? "a" : "b", kT0 + seconds{i}, 1, 2)).ok());
    }
  }
  auto store = OpenOrDie(path, {.decisions_kept_per_service = 2});
  ASSERT_TRUE(store);
  auto a = store->RecentDecisions(100, "a");
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ(a->back().time, kT0 + seconds{3});
  EXPECT_EQ(store->RecentDecisions(100, "b")->size(), 2u);
  EXPECT_EQ(store->RecentDecisions(100)->size(), 4u);
}

TEST(SqliteStore, ConcurrentAppendsAreAllRecorded) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!store->AppendDecision(Decision("s" + std::to_string(t), kT0 + seconds{i}, i, i + 1))
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->RecentDecisions(1000)->size(), static_cast<std::size_t>(kThreads * kEach));
}

// ---------------------------------------------------------------------------------------------
// Upgrade plans

TEST(RunState, NamesRoundTrip) {
  for (RunState s : {RunState::kPending, RunState::kRunning, RunState::kDone, RunState::kFailed,
                     RunState::kAborted}) {
    EXPECT_EQ(ParseRunState(ToString(s)), s);
  }
  EXPECT_EQ(ToString(RunState::kAborted), "aborted");
  EXPECT_FALSE(ParseRunState("aborded").has_value());
}

TEST(SqliteStore, PlanIsStoredWithItsStepsInOrder) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  UpgradePlan plan = TwoStepPlan();
  std::reverse(plan.steps.begin(), plan.steps.end());
  auto id = store->CreatePlan(plan);
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto loaded = store->LoadPlan(*id);
  ASSERT_TRUE(loaded.ok());
  UpgradePlan expected = TwoStepPlan();
  expected.id = *id;
  EXPECT_EQ(*loaded, expected);
}

TEST(SqliteStore, PlanAndStepStatesAreUpdated) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  std::int64_t id = *store->CreatePlan(TwoStepPlan());
  ASSERT_TRUE(store->SetPlanState(id, RunState::kRunning, "started", kT0 + seconds{1}).ok());
  ASSERT_TRUE(store->SetStepState(id, 0, RunState::kRunning, kT0 + seconds{1}, "").ok());
  ASSERT_TRUE(store->SetStepState(id, 0, RunState::kDone, kT0 + seconds{2}, "").ok());
  ASSERT_TRUE(store->SetStepState(id, 1, RunState::kRunning, kT0 + seconds{2}, "").ok());
  ASSERT_TRUE(store->SetStepState(id, 1, RunState::kRunning, kT0 + seconds{5}, "").ok());
  ASSERT_TRUE(store
                  ->SetStepState(id, 1, RunState::kFailed, kT0 + seconds{3},
                                 "update rollback_completed: task exited")
                  .ok());
  ASSERT_TRUE(
      store->SetPlanState(id, RunState::kFailed, "producer: rollback_completed", kT0 + seconds{4})
          .ok());
  UpgradePlan plan = *store->LoadPlan(id);
  EXPECT_EQ(plan.state, RunState::kFailed);
  EXPECT_EQ(plan.reason, "producer: rollback_completed");
  EXPECT_EQ(plan.created, kT0);
  EXPECT_EQ(plan.updated, kT0 + seconds{4});
  EXPECT_EQ(plan.steps[0].state, RunState::kDone);
  EXPECT_EQ(plan.steps[0].error, "");
  EXPECT_EQ(plan.steps[0].started, kT0 + seconds{1});
  EXPECT_EQ(plan.steps[1].state, RunState::kFailed);
  EXPECT_EQ(plan.steps[1].error, "update rollback_completed: task exited");
  EXPECT_EQ(plan.steps[1].started, kT0 + seconds{2});  // the first time it was set running
}

TEST(SqliteStore, UnknownPlanOrStepIsNotFound) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  std::int64_t id = *store->CreatePlan(TwoStepPlan());
  EXPECT_EQ(store->LoadPlan(id + 1).error().code, "not_found");
  EXPECT_EQ(store->SetPlanState(id + 1, RunState::kDone, "", kT0).error().code, "not_found");
  EXPECT_EQ(store->SetStepState(id, 7, RunState::kDone, kT0, "").error().code, "not_found");
  EXPECT_EQ(store->LoadPlan(id)->updated, kT0);  // the failed step update changed nothing
}

TEST(SqliteStore, PlansListNewestFirstAndUnfinishedOldestFirst) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  std::int64_t p1 = *store->CreatePlan(TwoStepPlan());
  std::int64_t p2 = *store->CreatePlan(TwoStepPlan());
  std::int64_t p3 = *store->CreatePlan(TwoStepPlan());
  ASSERT_TRUE(store->SetPlanState(p1, RunState::kRunning, "", kT0).ok());
  ASSERT_TRUE(store->SetPlanState(p2, RunState::kAborted, "operator", kT0).ok());

  auto latest = store->ListPlans(2);
  ASSERT_TRUE(latest.ok());
  std::vector<std::int64_t> listed;
  for (const UpgradePlan& p : *latest) listed.push_back(p.id);
  EXPECT_EQ(listed, (std::vector<std::int64_t>{p3, p2}));

  auto open = store->UnfinishedPlans();
  ASSERT_TRUE(open.ok());
  std::vector<std::int64_t> unfinished;
  for (const UpgradePlan& p : *open) {
    unfinished.push_back(p.id);
    EXPECT_EQ(p.steps.size(), 2u);
  }
  EXPECT_EQ(unfinished, (std::vector<std::int64_t>{p1, p3}));
}

TEST(SqliteStore, CountsPlansByState) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->CountPlansByState()->empty());
  std::int64_t p1 = *store->CreatePlan(TwoStepPlan());
  std::int64_t p2 = *store->CreatePlan(TwoStepPlan());
  ASSERT_TRUE(store->CreatePlan(TwoStepPlan()).ok());
  ASSERT_TRUE(store->SetPlanState(p1, RunState::kDone, "", kT0).ok());
  ASSERT_TRUE(store->SetPlanState(p2, RunState::kDone, "", kT0).ok());
  auto counts = store->CountPlansByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts,
            (std::map<RunState, std::size_t>{{RunState::kPending, 1}, {RunState::kDone, 2}}));
}

TEST(SqliteStore, PlanWithDuplicateStepIndexIsRefusedWhole) {
  auto store = OpenOrDie(":memory:");
  ASSERT_TRUE(store);
  UpgradePlan plan = TwoStepPlan();
  plan.steps[1].index = 0;
  auto id = store->CreatePlan(plan);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, "invalid");
  EXPECT_NE(id.error().message.find("producer"), std::string::npos) << id.error().message;
  EXPECT_TRUE(store->ListPlans(10)->empty());
}

}  // namespace
}  // namespace maiev::store
