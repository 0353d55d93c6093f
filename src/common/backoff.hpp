// How a failing call is retried: how many tries, and the pause between two, growing
// exponentially. Each use is a named constant beside the call it governs (kEngineGetRetry,
// kBrokerRetryBackoff, kDiscoveryBackoff …), never a number inside a loop.
#pragma once

#include "common/clock.hpp"

namespace maiev {

struct BackoffPolicy {
  int attempts = 1;       // tries in all, the first included; 0: no limit (until stopped)
  Duration initial{0.0};  // the pause after the first failure
  Duration max{0.0};      // no pause is longer
  double multiplier = 2.0;

  // The pause before the next try after `failures` consecutive failures (failures ≥ 1):
  // initial × multiplier^(failures−1), at most max.
  Duration Delay(int failures) const;
  // Whether no try may follow the `tries` made.
  bool Exhausted(int tries) const { return attempts > 0 && tries >= attempts; }
};

}  // namespace maiev
