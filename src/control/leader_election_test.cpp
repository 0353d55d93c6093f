#include "control/leader_election.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>

#include "orchestrator/fake_lease_store.hpp"

namespace maiev::control {
namespace {

using orchestrator::FakeLeaseStore;
using orchestrator::LeaseRecord;
using orchestrator::StoredLease;

// One instance's way to the shared lease, which a test can cut (a partition, a stopped process).
class Link final : public orchestrator::LeaseStore {
 public:
  explicit Link(FakeLeaseStore& store) : store_(store) {}
  Result<std::optional<StoredLease>> ReadLease(std::string_view name) override {
    if (cut) return Fail("io", "cut off");
    return store_.ReadLease(name);
  }
  Status CreateLease(std::string_view name, const LeaseRecord& record) override {
    if (cut) return Fail("io", "cut off");
    return store_.CreateLease(name, record);
  }
  Status UpdateLease(std::string_view name, const StoredLease& lease,
                     const LeaseRecord& record) override {
    if (cut) return Fail("io", "cut off");
    if (before_update) before_update();
    return store_.UpdateLease(name, lease, record);
  }
  bool cut = false;
  std::function<void()> before_update;

 private:
  FakeLeaseStore& store_;
};

LeaseOptions Options(const std::string& identity) {
  LeaseOptions options;
  options.identity = identity;
  return options;  // 15 s lease, renewed every 2 s, acted on for 10 s after a renewal
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  FakeLeaseStore store_;
  Link link_a_{store_};
  Link link_b_{store_};
  ManualClock clock_;
  LeaderElector a_{link_a_, clock_, Options("a")};
  LeaderElector b_{link_b_, clock_, Options("b")};

  // Ticks both every `step` for `span`, checking at each instant that they never both act.
  // Returns the first instant `who` acted, if it did.
  std::optional<double> Run(Duration span, Duration step, const LeaderElector& who,
                            bool tick_a = true, bool tick_b = true) {
    std::optional<double> first;
    for (double t = 0; t <= span.count(); t += step.count()) {
      if (tick_a) a_.Tick();
      if (tick_b) b_.Tick();
      EXPECT_FALSE(a_.MayAct() && b_.MayAct()) << "both act at +" << t << " s";
      if (!first && who.MayAct()) first = t;
      clock_.Advance(step);
    }
    return first;
  }
};

TEST_F(LeaderElectionTest, TheFirstTakesTheLeaseAndTheSecondStandsBy) {
  EXPECT_TRUE(a_.Tick());
  EXPECT_FALSE(b_.Tick());
  const LeaderStatus a = a_.Snapshot();
  const LeaderStatus b = b_.Snapshot();
  EXPECT_TRUE(a.leading);
  EXPECT_EQ(a.leader, "a");
  EXPECT_EQ(a.self, "a");
  EXPECT_FALSE(b.leading);
  EXPECT_EQ(b.leader, "a");
  EXPECT_EQ(b.self, "b");
  ASSERT_TRUE(b.lease_expires.has_value());
  EXPECT_EQ(*b.lease_expires, clock_.Now() + std::chrono::seconds{15});
  ASSERT_TRUE(store_.Get("maiev-leader").has_value());
  EXPECT_EQ(store_.Get("maiev-leader")->holder, "a");
}

TEST_F(LeaderElectionTest, ARenewingLeaderKeepsTheLeaseForAsLongAsItRenews) {
  ASSERT_TRUE(a_.Tick());
  EXPECT_FALSE(Run(Duration{120}, kLeaseRenewInterval, b_).has_value());
  EXPECT_TRUE(a_.MayAct());
  EXPECT_EQ(store_.Get("maiev-leader")->transitions, 0U);
}

TEST_F(LeaderElectionTest, AStandbyTakesOverALeaseThatStoppedChangingAfterItsDuration) {
  ASSERT_TRUE(a_.Tick());
  // a dies: it never ticks again. b first sees the lease at +0 and takes it once 15 s passed.
  const auto took = Run(Duration{30}, Duration{1}, b_, /*tick_a=*/false);
  ASSERT_TRUE(took.has_value());
  EXPECT_GE(*took, kLeaseDuration.count());
  EXPECT_LE(*took, kLeaseDuration.count() + 1);
  EXPECT_EQ(store_.Get("maiev-leader")->holder, "b");
  EXPECT_EQ(store_.Get("maiev-leader")->transitions, 1U);
  // a comes back: it reads b's lease and stands by.
  EXPECT_FALSE(a_.Tick());
  EXPECT_EQ(a_.Snapshot().leader, "b");
}

TEST_F(LeaderElectionTest, ALeaderCutOffStopsActingBeforeAnyoneElseMayStart) {
  ASSERT_TRUE(a_.Tick());
  ASSERT_FALSE(b_.Tick());
  link_a_.cut = true;  // a still runs, but cannot reach the swarm
  TimePoint cut_at = clock_.Now();
  std::optional<TimePoint> a_stopped;
  std::optional<TimePoint> b_started;
  for (int i = 0; i < 400; ++i) {
    clock_.Advance(Duration{0.1});
    a_.Tick();
    b_.Tick();
    ASSERT_FALSE(a_.MayAct() && b_.MayAct()) << "both act";
    if (!a_stopped && !a_.MayAct()) a_stopped = clock_.Now();
    if (!b_started && b_.MayAct()) b_started = clock_.Now();
  }
  ASSERT_TRUE(a_stopped && b_started);
  EXPECT_NEAR(SecondsBetween(cut_at, *a_stopped), kLeaseRenewDeadline.count(), 0.11);
  EXPECT_LT(*a_stopped, *b_started);
  EXPECT_FALSE(a_.Snapshot().error.empty());
  // The partition heals: a learns that b leads.
  link_a_.cut = false;
  EXPECT_FALSE(a_.Tick());
  EXPECT_EQ(a_.Snapshot().leader, "b");
  EXPECT_TRUE(a_.Snapshot().error.empty());
}

TEST_F(LeaderElectionTest, AReleasedLeaseIsTakenAtTheNextTick) {
  ASSERT_TRUE(a_.Tick());
  ASSERT_FALSE(b_.Tick());
  ASSERT_TRUE(a_.Release());
  EXPECT_FALSE(a_.MayAct());
  EXPECT_EQ(store_.Get("maiev-leader")->holder, "");
  clock_.Advance(Duration{0.5});
  EXPECT_TRUE(b_.Tick());
  EXPECT_FALSE(a_.Tick());
}

TEST_F(LeaderElectionTest, AWriteThatLosesTheRaceDoesNotLead) {
  ASSERT_TRUE(a_.Tick());
  ASSERT_FALSE(b_.Tick());
  clock_.Advance(Duration{16});  // a stalled: b may take over, but a wakes up first
  link_b_.before_update = [this] { ASSERT_TRUE(a_.Tick()); };
  EXPECT_FALSE(b_.Tick());
  link_b_.before_update = nullptr;
  EXPECT_TRUE(a_.MayAct());
  EXPECT_FALSE(b_.MayAct());
  EXPECT_FALSE(b_.Tick());  // a's renewal is a fresh version: b waits a whole lease again
}

TEST_F(LeaderElectionTest, OnlyOneOfTwoCreatorsLeads) {
  // b reads "no lease" before a creates it; b's create then conflicts.
  FakeLeaseStore racing;
  class Racer final : public orchestrator::LeaseStore {
   public:
    Racer(FakeLeaseStore& store, LeaderElector*& other) : store_(store), other_(other) {}
    Result<std::optional<StoredLease>> ReadLease(std::string_view name) override {
      return store_.ReadLease(name);
    }
    Status CreateLease(std::string_view name, const LeaseRecord& record) override {
      if (other_ != nullptr) other_->Tick();  // the other creates it in between
      return store_.CreateLease(name, record);
    }
    Status UpdateLease(std::string_view name, const StoredLease& lease,
                       const LeaseRecord& record) override {
      return store_.UpdateLease(name, lease, record);
    }

   private:
    FakeLeaseStore& store_;
    LeaderElector*& other_;
  };
  LeaderElector* other = nullptr;
  Racer racer(racing, other);
  LeaderElector first(racing, clock_, Options("first"));
  LeaderElector second(racer, clock_, Options("second"));
  other = &first;
  EXPECT_FALSE(second.Tick());
  EXPECT_TRUE(first.MayAct());
  EXPECT_TRUE(second.Snapshot().error.empty()) << second.Snapshot().error;
}

TEST(LeaseOptionsTest, RejectsTimesThatCannotKeepOneActor) {
  LeaseOptions options = Options("a");
  EXPECT_TRUE(options.Validate());
  options.renew_deadline = Duration{20};
  auto st = options.Validate();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("--lease-duration 15 s must be longer"), std::string::npos)
      << st.error().message;
  options = Options("");
  EXPECT_NE(options.Validate().error().message.find("--instance-id"), std::string::npos);
  options = Options("a");
  options.renew_interval = Duration{0};
  EXPECT_NE(options.Validate().error().message.find("--lease-renew-interval"), std::string::npos);
}

TEST(LeaseLabelsTest, RoundTripAndErrorsNameTheLabel) {
  LeaseRecord record{"host-1-abcd", TimePoint{std::chrono::milliseconds{1'700'000'000'123}},
                     Duration{15}, 3};
  auto back = orchestrator::LeaseFromLabels(orchestrator::LeaseLabels(record));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, record);
  auto labels = orchestrator::LeaseLabels(record);
  labels["maiev.lease.duration"] = "soon";
  auto bad = orchestrator::LeaseFromLabels(labels);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("maiev.lease.duration"), std::string::npos);
  labels.erase("maiev.lease.holder");
  EXPECT_NE(orchestrator::LeaseFromLabels(labels).error().message.find("maiev.lease.holder"),
            std::string::npos);
}

TEST(DefaultInstanceIdTest, NamesHostAndProcessAndDiffers) {
  const std::string a = DefaultInstanceId();
  EXPECT_NE(a.find("-" + std::to_string(getpid()) + "-"), std::string::npos) << a;
  // Two ids of one process differ (by their random part) with overwhelming odds over 8 tries.
  bool differs = false;
  for (int i = 0; i < 8 && !differs; ++i) differs = DefaultInstanceId() != a;
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace maiev::control
