#include "store/store_health.hpp"

#include <gtest/gtest.h>

#include "store/faulty_store.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::store {
namespace {

ServiceRecord Named(std::string name) {
  ServiceRecord s;
  s.name = std::move(name);
  return s;
}

class StoreHealthTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> sqlite_ = std::move(SqliteStore::Open(":memory:")).value();
  FaultyStore disk_{*sqlite_};
  ManualClock clock_;
  StoreHealth health_{disk_, clock_};
};

TEST_F(StoreHealthTest, IsWritableBeforeAnyWrite) {
  StoreHealthState state = health_.Get();
  EXPECT_TRUE(state.writable);
  EXPECT_FALSE(state.last_error);
  EXPECT_FALSE(state.since);
  EXPECT_EQ(state.failed_writes, 0U);
}

TEST_F(StoreHealthTest, FailingWritesShowTheErrorSinceTheFirstUntilOneSucceeds) {
  ASSERT_TRUE(health_.UpsertService(Named("a")).ok());
  disk_.SetDiskFull(true);
  const TimePoint first = clock_.Now();
  EXPECT_FALSE(health_.UpsertService(Named("b")).ok());
  clock_.Advance(Duration{5.0});
  EXPECT_FALSE(health_.SaveRuleHistory("a", {{"r", {true, first}}}).ok());
  StoreHealthState state = health_.Get();
  EXPECT_FALSE(state.writable);
  EXPECT_EQ(state.last_error, FaultyStore::kFullMessage);
  EXPECT_EQ(state.since, first);
  EXPECT_EQ(state.failed_writes, 2U);

  disk_.SetDiskFull(false);
  ASSERT_TRUE(health_.UpsertService(Named("b")).ok());
  state = health_.Get();
  EXPECT_TRUE(state.writable);
  EXPECT_FALSE(state.last_error);
  EXPECT_FALSE(state.since);
  EXPECT_EQ(state.failed_writes, 2U);
}

TEST_F(StoreHealthTest, ReadsAndInvalidRecordsDoNotChangeIt) {
  disk_.SetDiskFull(true);
  auto listed = health_.ListServices();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(health_.Get().writable);
  disk_.SetDiskFull(false);
  EXPECT_FALSE(health_.UpsertService(Named("")).ok());  // "invalid": the record, not the file
  EXPECT_TRUE(health_.Get().writable);
}

}  // namespace
}  // namespace maiev::store
