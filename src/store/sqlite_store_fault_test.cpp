// SqliteStore on a real full disk: a small tmpfs of the test's own (mounting needs root; the
// test is skipped without it), filled by a file and freed again.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/sqlite_store.hpp"

namespace maiev::store {
namespace {

using std::chrono::seconds;

const TimePoint kT0{seconds{1'700'000'000}};

// A tmpfs of `size_kib` mounted on a fresh directory, unmounted and removed at the end.
class SmallDisk {
 public:
  explicit SmallDisk(int size_kib) {
    std::string pattern = (std::filesystem::temp_directory_path() / "maiev-full.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return;
    path_ = pattern;
    const std::string options = "size=" + std::to_string(size_kib) + "k";
    if (mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~SmallDisk() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
    if (!path_.empty()) rmdir(path_.c_str());
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  // Writes a filler file until the disk is full.
  void Fill() {
    std::ofstream filler(File("filler"), std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) filler.flush();
  }
  void Free() { std::filesystem::remove(File("filler")); }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

DecisionRecord Decision(int n) {
  DecisionRecord d;
  d.time = kT0 + seconds{n};
  d.service = "worker-" + std::to_string(n % 10);
  d.old_replicas = 1;
  d.new_replicas = 2;
  d.reason = "1 → 2: scale_up: rules:backlog ← rmq:waiting 50 > 0";
  d.rule_values_json = R"({"backlog":{"value":true,"since_seconds":0}})";
  d.metrics_json = R"({"rmq":{"waiting":50,"consumers":1}})";
  d.explanation_json = R"({"text":"1 → 2"})";
  return d;
}

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string result = "cannot run";
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return result;
}

class SqliteStoreOnAFullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    ASSERT_TRUE(disk_.mounted()) << "mount tmpfs: " << disk_.error();
  }

  // Appends decisions until one is refused (the disk is full); those that went in.
  static std::vector<std::int64_t> AppendUntilRefused(SqliteStore& store, int first,
                                                      Error& refusal) {
    std::vector<std::int64_t> ids;
    for (int n = first; n < first + 100'000; ++n) {
      auto id = store.AppendDecision(Decision(n));
      if (!id.ok()) {
        refusal = id.error();
        return ids;
      }
      ids.push_back(*id);
    }
    ADD_FAILURE() << "every append succeeded on a full disk";
    return ids;
  }

  SmallDisk disk_{512};
};

TEST_F(SqliteStoreOnAFullDisk, WritesFailClearlyReadsGoOnAndWritesResumeOnceThereIsSpace) {
  const std::string path = disk_.File("maiev.db");
  auto opened = SqliteStore::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  SqliteStore& store = **opened;
  ASSERT_TRUE(store.AppendDecision(Decision(0)).ok());

  disk_.Fill();
  Error refusal;
  std::vector<std::int64_t> kept = AppendUntilRefused(store, 1, refusal);
  EXPECT_EQ(refusal.code, "io");
  EXPECT_NE(refusal.message.find("store \"" + path + "\""), std::string::npos) << refusal.message;
  EXPECT_NE(refusal.message.find("database or disk is full"), std::string::npos) << refusal.message;
  std::printf("a write on the full disk: %s\n", refusal.message.c_str());
  // Later writes keep failing the same way, and reads still answer.
  EXPECT_FALSE(store.SaveRuleHistory("worker-1", {{"backlog", {true, kT0}}}).ok());
  auto recent = store.RecentDecisions(100'000);
  ASSERT_TRUE(recent.ok()) << recent.error().message;
  EXPECT_EQ(recent->size(), kept.size() + 1);

  disk_.Free();
  auto after = store.AppendDecision(Decision(200'000));
  ASSERT_TRUE(after.ok()) << after.error().message;
  ASSERT_TRUE(store.SaveRuleHistory("worker-1", {{"backlog", {true, kT0}}}).ok());
  opened->reset();  // closed, as at a restart

  auto reopened = SqliteStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  auto all = (*reopened)->RecentDecisions(100'000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), kept.size() + 2);  // nothing written before or after the fault lost
  EXPECT_EQ(IntegrityCheck(path), "ok");
}

// maiev restarted while the disk is full: the store opens (its writes will fail until there is
// space), or refuses clearly; either way the file and everything in it are kept.
TEST_F(SqliteStoreOnAFullDisk, ReopeningOnAFullDiskKeepsTheFile) {
  const std::string path = disk_.File("maiev.db");
  {
    auto opened = SqliteStore::Open(path);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    for (int n = 0; n < 20; ++n) ASSERT_TRUE((*opened)->AppendDecision(Decision(n)).ok());
  }
  disk_.Fill();
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto reopened = SqliteStore::Open(path);
    std::printf("reopened on a full disk: %s\n",
                reopened.ok() ? "opened" : reopened.error().message.c_str());
    if (!reopened.ok()) {
      EXPECT_NE(reopened.error().message.find(path), std::string::npos) << reopened.error().message;
      EXPECT_NE(reopened.error().message.find("No space left on device"), std::string::npos)
          << reopened.error().message;
      continue;
    }
    auto recent = (*reopened)->RecentDecisions(100);
    ASSERT_TRUE(recent.ok()) << recent.error().message;
    EXPECT_EQ(recent->size(), 20U);
  }
  disk_.Free();
  auto reopened = SqliteStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  auto recent = (*reopened)->RecentDecisions(100);
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(recent->size(), 20U);
  EXPECT_EQ(IntegrityCheck(path), "ok");
}

}  // namespace
}  // namespace maiev::store
