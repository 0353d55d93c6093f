// Whether the store can be written, as the daemon reports it (/readyz): a full disk or a file
// that became read-only shows as the failing writes' last error, since when they fail, and how
// many failed; the next write that succeeds clears it.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "store/store_wrapper.hpp"

namespace maiev::store {

struct StoreHealthState {
  bool writable = true;                   // the last write succeeded (or none was tried)
  std::optional<std::string> last_error;  // while not writable: the last write's error
  std::optional<TimePoint> since;         // while not writable: when the first write failed
  std::uint64_t failed_writes = 0;        // since the process started
};

// A StoreWrapper that watches the outcome of every write; reads are not judged (a read of a
// full disk still succeeds). Thread-safe: mutex_ guards state_.
class StoreHealth final : public StoreWrapper {
 public:
  StoreHealth(Store& target, const Clock& clock) : StoreWrapper(target), clock_(clock) {}

  StoreHealthState Get() const;

 private:
  void After(Access access, const Error* error) override;

  const Clock& clock_;
  mutable std::mutex mutex_;
  StoreHealthState state_;
};

}  // namespace maiev::store
