#include "control/events.hpp"

namespace maiev::control {

std::string_view ToString(ServiceChange change) {
  switch (change) {
    case ServiceChange::kAdded:
      return "added";
    case ServiceChange::kRemoved:
      return "removed";
    case ServiceChange::kConfigChanged:
      return "config_changed";
    case ServiceChange::kPaused:
      return "paused";
    case ServiceChange::kResumed:
      return "resumed";
  }
  return "unknown";
}

}  // namespace maiev::control
