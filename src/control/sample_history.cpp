#include "control/sample_history.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace maiev::control {
namespace {

constexpr float kAbsent = std::numeric_limits<float>::quiet_NaN();

// Beyond the float's range a value becomes an infinity (a conversion out of range is undefined).
float Pack(const std::optional<double>& value) {
  if (!value) return kAbsent;
  constexpr double kMax = std::numeric_limits<float>::max();
  if (*value > kMax) return std::numeric_limits<float>::infinity();
  if (*value < -kMax) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(*value);
}

// The shortest decimal that is `value`, as a double: 12.3f reads back as 12.3, not 12.30000019.
std::optional<double> Unpack(float value) {
  if (std::isnan(value)) return std::nullopt;
  if (std::isinf(value)) return static_cast<double>(value);
  char text[32];
  const auto written = std::to_chars(text, text + sizeof text, value);
  double out = 0;
  std::from_chars(text, written.ptr, out);
  return out;
}

std::uint32_t Saturated(std::uint64_t value, std::uint32_t none) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(value, none - 1));
}

bool SameBits(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

}  // namespace

SampleTimes::SampleTimes(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)), times_(capacity_ + 1) {}

std::uint64_t SampleTimes::Number(TimePoint time) {
  if (!times_.empty() && times_.back() == time) return front_ + times_.size() - 1;
  times_.push_back(time);
  if (times_.size() > capacity_) {
    times_.pop_front();
    ++front_;
  }
  return front_ + times_.size() - 1;
}

std::optional<TimePoint> SampleTimes::TimeOf(std::uint64_t number) const {
  if (number < front_ || number - front_ >= times_.size()) return std::nullopt;
  return times_[number - front_];
}

SampleHistory::SampleHistory(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)), runs_(capacity_ + 1) {}

bool SampleHistory::SameAsLast(const Run& run, const std::vector<PackedResource>& resources) const {
  if (runs_.empty()) return false;
  const Run& last = runs_.back();
  if (last.replicas != run.replicas || last.running != run.running ||
      last.scale_up != run.scale_up || last.scale_down != run.scale_down ||
      last.resources != run.resources) {
    return false;
  }
  const std::size_t at = resources_.size() - last.resources;
  for (std::size_t i = 0; i < resources.size(); ++i) {
    const PackedResource& a = resources_[at + i];
    const PackedResource& b = resources[i];
    if (a.present != b.present || !SameBits(a.waiting, b.waiting) ||
        !SameBits(a.latency, b.latency) || !SameBits(a.consumers, b.consumers) ||
        !SameBits(a.call_rate, b.call_rate) || !SameBits(a.exec_rate, b.exec_rate)) {
      return false;
    }
  }
  return true;
}

void SampleHistory::Push(const HistorySample& sample, SampleTimes& times) {
  const std::uint64_t number = front_ + count_;
  const std::uint64_t time = times.Number(sample.time);
  if (time_runs_.empty() || time_runs_.back().time + (number - time_runs_.back().first) != time) {
    time_runs_.push_back({number, time});
  }

  Run run{number,
          Saturated(sample.replicas, kNoValue),
          sample.running_tasks ? Saturated(*sample.running_tasks, kNoValue) : kNoValue,
          sample.scale_up,
          sample.scale_down,
          static_cast<std::uint32_t>(sample.resources.size())};
  std::vector<PackedResource> resources;
  resources.reserve(sample.resources.size());
  for (const auto& r : sample.resources) {
    if (!r) {
      resources.push_back({kAbsent, kAbsent, kAbsent, kAbsent, kAbsent, false});
      continue;
    }
    resources.push_back({Pack(r->waiting), Pack(r->latency), Pack(r->consumers), Pack(r->call_rate),
                         Pack(r->exec_rate), true});
  }
  if (!SameAsLast(run, resources)) {
    runs_.push_back(run);
    for (const PackedResource& r : resources) resources_.push_back(r);
  }
  ++count_;
  if (count_ > capacity_) PopFront();
}

void SampleHistory::PopFront() {
  ++front_;
  --count_;
  if (time_runs_.size() >= 2 && time_runs_[1].first <= front_) time_runs_.pop_front();
  if (runs_.size() >= 2 && runs_[1].first <= front_) {
    resources_.pop_front(runs_[0].resources);
    runs_.pop_front();
  }
}

void SampleHistory::ForgetResources() {
  for (std::size_t i = 0; i < runs_.size(); ++i) runs_[i].resources = 0;
  resources_.clear();
}

std::vector<HistorySample> SampleHistory::Since(TimePoint since, const SampleTimes& times) const {
  std::vector<HistorySample> out;
  // Each sample's run and time run, and where the run's resources begin, walking forward.
  std::size_t run = 0;
  std::size_t resources_at = 0;
  std::size_t time_run = 0;
  const auto time_of = [&](std::uint64_t number) {
    while (time_run + 1 < time_runs_.size() && time_runs_[time_run + 1].first <= number) {
      ++time_run;
    }
    const TimeRun& t = time_runs_[time_run];
    return times.TimeOf(t.time + (number - t.first));
  };
  bool started = false;  // at the first sample at or after `since` (they are in order as pushed)
  for (std::size_t i = 0; i < count_; ++i) {
    const std::uint64_t number = front_ + i;
    const std::optional<TimePoint> time = time_of(number);
    started = started || (time && *time >= since);
    if (!started || !time) continue;
    while (run + 1 < runs_.size() && runs_[run + 1].first <= number) {
      resources_at += runs_[run].resources;
      ++run;
    }
    const Run& r = runs_[run];
    HistorySample sample;
    sample.time = *time;
    sample.replicas = r.replicas;
    if (r.running != kNoValue) sample.running_tasks = r.running;
    sample.scale_up = r.scale_up;
    sample.scale_down = r.scale_down;
    sample.resources.reserve(r.resources);
    for (std::size_t k = 0; k < r.resources; ++k) {
      const PackedResource& p = resources_[resources_at + k];
      if (!p.present) {
        sample.resources.emplace_back();
        continue;
      }
      sample.resources.emplace_back(ResourceSample{Unpack(p.waiting), Unpack(p.latency),
                                                   Unpack(p.consumers), Unpack(p.call_rate),
                                                   Unpack(p.exec_rate)});
    }
    out.push_back(std::move(sample));
  }
  return out;
}

}  // namespace maiev::control
