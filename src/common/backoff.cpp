#include "common/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace maiev {

Duration BackoffPolicy::Delay(int failures) const {
  // The exponent is capped so that the power stays finite; max caps the pause long before.
  const double exponent = std::min(std::max(0, failures - 1), 64);
  const double seconds = initial.count() * std::pow(multiplier, exponent);
  return Duration{std::min(seconds, max.count())};
}

}  // namespace maiev
