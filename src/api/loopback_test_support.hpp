// What the API's loopback tests share: polling with a deadline (they never sleep a fixed time)
// and the one service their swarm has. Header-only; tests only.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "orchestrator/fake_orchestrator.hpp"

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

}  // namespace maiev::api::testing
