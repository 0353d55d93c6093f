#include "control/sample_history.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace maiev::control {
namespace {

using Millis = std::chrono::milliseconds;

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

SampleHistory::SampleHistory(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {}

TimePoint SampleHistory::TimeOf(std::size_t i) const {
  return base_ + std::chrono::duration_cast<TimePoint::duration>(Millis{offsets_[i]});
}

void SampleHistory::Rebase(TimePoint time) {
  TimePoint earliest = std::chrono::floor<Millis>(time);
  TimePoint latest = earliest;
  for (std::size_t i = 0; i < offsets_.size(); ++i) {
    earliest = std::min(earliest, TimeOf(i));
    latest = std::max(latest, TimeOf(i));
  }
  if (std::chrono::duration_cast<Millis>(latest - earliest).count() >= kNoValue) {
    // More than 49 days apart (a clock set far back or forth): the history starts again.
    front_ += offsets_.size();
    offsets_.clear();
    runs_.clear();
    resources_.clear();
    base_ = std::chrono::floor<Millis>(time);
    return;
  }
  for (std::size_t i = 0; i < offsets_.size(); ++i) {
    offsets_[i] = static_cast<std::uint32_t>(
        std::chrono::duration_cast<Millis>(TimeOf(i) - earliest).count());
  }
  base_ = earliest;
}

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

void SampleHistory::Push(const HistorySample& sample) {
  if (offsets_.empty()) base_ = std::chrono::floor<Millis>(sample.time);
  auto offset = std::chrono::duration_cast<Millis>(sample.time - base_).count();
  if (offset < 0 || offset >= kNoValue) {
    Rebase(sample.time);
    offset = std::chrono::duration_cast<Millis>(sample.time - base_).count();
  }

  Run run{front_ + offsets_.size(),
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
    resources_.insert(resources_.end(), resources.begin(), resources.end());
  }
  offsets_.push_back(static_cast<std::uint32_t>(offset));
  if (offsets_.size() > capacity_) PopFront();
}

void SampleHistory::PopFront() {
  offsets_.pop_front();
  ++front_;
  if (runs_.size() >= 2 && runs_[1].first <= front_) {
    const std::uint32_t n = runs_.front().resources;
    resources_.erase(resources_.begin(), resources_.begin() + n);
    runs_.pop_front();
  }
}

void SampleHistory::ForgetResources() {
  for (Run& run : runs_) run.resources = 0;
  resources_.clear();
}

std::vector<HistorySample> SampleHistory::Since(TimePoint since) const {
  std::vector<HistorySample> out;
  // The first sample at or after `since` (the samples are in order as pushed by the autoscaler).
  std::size_t start = 0;
  while (start < offsets_.size() && TimeOf(start) < since) ++start;
  if (start == offsets_.size()) return out;
  out.reserve(offsets_.size() - start);
  // The run of sample `start`, and where its resources begin.
  std::size_t run = 0;
  std::size_t resources_at = 0;
  const auto advance = [&](std::uint64_t number) {
    while (run + 1 < runs_.size() && runs_[run + 1].first <= number) {
      resources_at += runs_[run].resources;
      ++run;
    }
  };
  for (std::size_t i = start; i < offsets_.size(); ++i) {
    advance(front_ + i);
    const Run& r = runs_[run];
    HistorySample sample;
    sample.time = TimeOf(i);
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
