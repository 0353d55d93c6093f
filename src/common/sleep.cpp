#include "common/sleep.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace maiev {

bool SleepFor(Duration d, const std::stop_token& stop) {
  if (d <= Duration::zero()) return !stop.stop_requested();
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  // wait_for returns the predicate's value, false on timeout and on stop alike: ask the token.
  wake.wait_for(lock, stop, std::chrono::duration_cast<std::chrono::nanoseconds>(d),
                [] { return false; });
  return !stop.stop_requested();
}

}  // namespace maiev
