// An EventSink that keeps what the loops publish, for their tests: each event also as a line
// ("service worker paused"), so a test states the sequence it expects. Header-only; tests only.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "control/events.hpp"

namespace maiev::control::testing {

// "decision worker 1 -> 2 #1", "service worker added", "config_error broken: <first error>",
// "plan 1 running", "step 1.0 a running", "step 1.0 a failed: <error>",
// "cycle services=1 decisions=0".
inline std::string Describe(const Event& event) {
  struct Line {
    std::string operator()(const DecisionEvent& e) const {
      return "decision " + e.decision.service + " " + std::to_string(e.decision.old_replicas) +
             " -> " + std::to_string(e.decision.new_replicas) + " #" +
             std::to_string(e.decision.id);
    }
    std::string operator()(const ServiceEvent& e) const {
      return "service " + e.service + " " + std::string(ToString(e.change));
    }
    std::string operator()(const ConfigErrorEvent& e) const {
      return "config_error " + e.service + ": " + (e.errors.empty() ? "" : e.errors.front());
    }
    std::string operator()(const PlanEvent& e) const {
      return "plan " + std::to_string(e.id) + " " + std::string(store::ToString(e.state));
    }
    std::string operator()(const StepEvent& e) const {
      return "step " + std::to_string(e.plan) + "." + std::to_string(e.index) + " " + e.service +
             " " + std::string(store::ToString(e.state)) + (e.error.empty() ? "" : ": " + e.error);
    }
    std::string operator()(const CycleEvent& e) const {
      return "cycle services=" + std::to_string(e.services) +
             " decisions=" + std::to_string(e.decisions);
    }
  };
  return std::visit(Line{}, event);
}

// Thread-safe.
class RecordingEventSink final : public EventSink {
 public:
  void Publish(Event event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  // The events published since the last call, and forgets them.
  std::vector<Event> Take() {
    std::lock_guard lock(mutex_);
    return std::exchange(events_, {});
  }
  // As Take, each as its line.
  std::vector<std::string> TakeLines() {
    std::vector<std::string> lines;
    for (const Event& event : Take()) lines.push_back(Describe(event));
    return lines;
  }

 private:
  std::mutex mutex_;
  std::vector<Event> events_;  // guarded by mutex_
};

}  // namespace maiev::control::testing
