#include "control/decision_journal.hpp"

#include <gtest/gtest.h>

#include "store/faulty_store.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::control {
namespace {

store::DecisionRecord Decision(std::string service, int from, int to) {
  store::DecisionRecord d;
  d.time = TimePoint{std::chrono::seconds{1'700'000'000 + to}};
  d.service = std::move(service);
  d.old_replicas = from;
  d.new_replicas = to;
  d.reason = "test";
  d.rule_values_json = "{}";
  d.metrics_json = "{}";
  return d;
}

std::vector<int> StoredTargets(store::Store& store) {
  std::vector<int> out;
  auto decisions = store.RecentDecisions(100);
  EXPECT_TRUE(decisions.ok());
  if (!decisions.ok()) return out;
  for (auto it = decisions->rbegin(); it != decisions->rend(); ++it) {
    out.push_back(it->new_replicas);
  }
  return out;  // oldest first
}

class DecisionJournalTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::SqliteStore> sqlite_ =
      std::move(store::SqliteStore::Open(":memory:")).value();
  store::FaultyStore disk_{*sqlite_};
};

TEST_F(DecisionJournalTest, RecordsStraightAwayWhileTheStoreTakesThem) {
  DecisionJournal journal(disk_);
  auto id = journal.Record(Decision("a", 1, 2));
  ASSERT_TRUE(id.ok());
  EXPECT_GT(*id, 0);
  EXPECT_EQ(StoredTargets(*sqlite_), (std::vector<int>{2}));
  EXPECT_EQ(journal.counts().waiting, 0U);
  EXPECT_EQ(journal.counts().delayed, 0U);
}

TEST_F(DecisionJournalTest, KeepsRefusedDecisionsAndAppendsThemInOrderOnceTheStoreCan) {
  DecisionJournal journal(disk_);
  disk_.SetDiskFull(true);
  auto refused = journal.Record(Decision("a", 1, 2));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, store::FaultyStore::kFullMessage);
  EXPECT_FALSE(journal.Record(Decision("b", 2, 3)).ok());
  EXPECT_EQ(journal.Flush(), 2U);  // still full
  EXPECT_TRUE(StoredTargets(*sqlite_).empty());

  disk_.SetDiskFull(false);
  ASSERT_TRUE(journal.Record(Decision("a", 3, 4)).ok());  // after those waiting
  EXPECT_EQ(StoredTargets(*sqlite_), (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(journal.counts().waiting, 0U);
  EXPECT_EQ(journal.counts().delayed, 2U);
}

TEST_F(DecisionJournalTest, FlushAppendsWhatWaitsWithoutANewDecision) {
  DecisionJournal journal(disk_);
  disk_.SetDiskFull(true);
  EXPECT_FALSE(journal.Record(Decision("a", 1, 2)).ok());
  disk_.SetDiskFull(false);
  EXPECT_EQ(journal.Flush(), 0U);
  EXPECT_EQ(StoredTargets(*sqlite_), (std::vector<int>{2}));
}

TEST_F(DecisionJournalTest, DropsTheOldestBeyondItsCapacityAndCountsThem) {
  DecisionJournal journal(disk_, 2);
  disk_.SetDiskFull(true);
  for (int to = 1; to <= 4; ++to) EXPECT_FALSE(journal.Record(Decision("a", to - 1, to)).ok());
  EXPECT_EQ(journal.counts().waiting, 2U);
  EXPECT_EQ(journal.counts().dropped, 2U);
  disk_.SetDiskFull(false);
  EXPECT_EQ(journal.Flush(), 0U);
  EXPECT_EQ(StoredTargets(*sqlite_), (std::vector<int>{3, 4}));
}

}  // namespace
}  // namespace maiev::control
