// What the API's loopback tests share: polling with a deadline (they never sleep a fixed time),
// the one service their swarm has, and a fixture serving the API over a fake swarm on a free
// loopback port. Header-only; tests only.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "api/http_api.hpp"
#include "common/clock.hpp"
#include "control/autoscaler.hpp"
#include "monitor/fake_queue_metrics_source.hpp"
#include "orchestrator/fake_orchestrator.hpp"
#include "store/sqlite_store.hpp"

namespace maiev::api::testing {

inline constexpr std::chrono::seconds kPollDeadline{10};

// Polls `done` every 10 ms until it holds or `deadline` has passed; its last answer.
inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::steady_clock::duration deadline = kPollDeadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// The service "worker" (id "w1", 1 replica) with `config` as its scale-config label.
inline orchestrator::ServiceInfo Worker(const std::string& config) {
  return orchestrator::LabelledService("w1", "worker", 1, config);
}

// The API over a fake swarm (no service until a test puts one) and an in-memory store, on a
// free loopback port with the manual clock, started with the options a test gives.
class LoopbackApiTest : public ::testing::Test {
 protected:
  void TearDown() override { StopApi(); }

  ::testing::AssertionResult StartApi(HttpApiOptions options) {
    options.port = 0;
    options.clock = &clock_;
    api_ = std::make_unique<HttpApi>(std::move(options), autoscaler_, nullptr, *store_,
                                     [] { return Readiness{}; });
    if (auto st = api_->Bind(); !st) return ::testing::AssertionFailure() << st.error().message;
    serving_ = std::thread([this] { api_->Serve(); });
    return ::testing::AssertionSuccess();
  }
  void StopApi() {
    if (api_) api_->Stop();
    if (serving_.joinable()) serving_.join();
    api_.reset();
  }
  httplib::Client Client() const { return httplib::Client("127.0.0.1", api_->port()); }

  orchestrator::FakeOrchestrator docker_;
  monitor::FakeQueueMetricsSource queues_;
  std::unique_ptr<store::SqliteStore> store_ =
      std::move(store::SqliteStore::Open(":memory:").value());
  ManualClock clock_;
  control::Autoscaler autoscaler_{docker_, queues_, *store_, clock_};
  std::unique_ptr<HttpApi> api_;
  std::thread serving_;
};

}  // namespace maiev::api::testing
