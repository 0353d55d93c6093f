// A Store that forwards every call to another (as leveldb's EnvWrapper does for Env), with two
// hooks around each call: tests refuse calls there to inject faults (a full disk, an unreadable
// file), and StoreHealth watches the outcomes.
#pragma once

#include <utility>

#include "store/store.hpp"

namespace maiev::store {

// Thread-safe when the target and the subclass's hooks are.
class StoreWrapper : public Store {
 public:
  enum class Access { kRead, kWrite };

  explicit StoreWrapper(Store& target) : target_(target) {}

  Status UpsertService(const ServiceRecord& service) override {
    return Call(Access::kWrite, [&] { return target_.UpsertService(service); });
  }
  Result<std::optional<ServiceRecord>> FindService(std::string_view name) override {
    return Call(Access::kRead, [&] { return target_.FindService(name); });
  }
  Result<std::vector<ServiceRecord>> ListServices() override {
    return Call(Access::kRead, [&] { return target_.ListServices(); });
  }
  Status DeleteService(std::string_view name) override {
    return Call(Access::kWrite, [&] { return target_.DeleteService(name); });
  }
  Result<RuleHistory> LoadRuleHistory(std::string_view service) override {
    return Call(Access::kRead, [&] { return target_.LoadRuleHistory(service); });
  }
  Status SaveRuleHistories(const RuleHistories& by_service) override {
    return Call(Access::kWrite, [&] { return target_.SaveRuleHistories(by_service); });
  }
  Result<std::int64_t> AppendDecision(const DecisionRecord& decision) override {
    return Call(Access::kWrite, [&] { return target_.AppendDecision(decision); });
  }
  Result<std::vector<DecisionRecord>> RecentDecisions(
      std::size_t limit, std::optional<std::string_view> service = std::nullopt) override {
    return Call(Access::kRead, [&] { return target_.RecentDecisions(limit, service); });
  }
  Result<std::vector<DecisionRecord>> QueryDecisions(const DecisionQuery& query) override {
    return Call(Access::kRead, [&] { return target_.QueryDecisions(query); });
  }
  Result<std::int64_t> CreatePlan(const UpgradePlan& plan) override {
    return Call(Access::kWrite, [&] { return target_.CreatePlan(plan); });
  }
  Result<UpgradePlan> LoadPlan(std::int64_t id) override {
    return Call(Access::kRead, [&] { return target_.LoadPlan(id); });
  }
  Result<std::vector<UpgradePlan>> ListPlans(std::size_t limit) override {
    return Call(Access::kRead, [&] { return target_.ListPlans(limit); });
  }
  Result<std::vector<UpgradePlan>> UnfinishedPlans() override {
    return Call(Access::kRead, [&] { return target_.UnfinishedPlans(); });
  }
  Result<std::map<RunState, std::size_t>> CountPlansByState() override {
    return Call(Access::kRead, [&] { return target_.CountPlansByState(); });
  }
  Status SetPlanState(std::int64_t id, RunState state, std::string_view reason,
                      TimePoint at) override {
    return Call(Access::kWrite, [&] { return target_.SetPlanState(id, state, reason, at); });
  }
  Status SetStepState(std::int64_t plan_id, int index, RunState state, TimePoint at,
                      std::string_view error) override {
    return Call(Access::kWrite,
                [&] { return target_.SetStepState(plan_id, index, state, at, error); });
  }

 protected:
  // Before each call: an error is returned in place of calling the target.
  virtual Status Before(Access /*access*/) { return {}; }
  // After each call, with its error (the target's or Before's); nullptr when it succeeded.
  virtual void After(Access /*access*/, const Error* /*error*/) {}

 private:
  template <class F>
  auto Call(Access access, F&& call) -> decltype(call()) {
    if (Status refused = Before(access); !refused.ok()) {
      After(access, &refused.error());
      return Unexpected{refused.error()};
    }
    auto result = std::forward<F>(call)();
    After(access, result.ok() ? nullptr : &result.error());
    return result;
  }

  Store& target_;
};

}  // namespace maiev::store
