#include "orchestrator/orchestrator.hpp"

namespace maiev::orchestrator {

std::string_view ToString(UpdateState state) {
  switch (state) {
    case UpdateState::kNone:
      return "none";
    case UpdateState::kUpdating:
      return "updating";
    case UpdateState::kPaused:
      return "paused";
    case UpdateState::kCompleted:
      return "completed";
    case UpdateState::kRollbackStarted:
      return "rollback_started";
    case UpdateState::kRollbackPaused:
      return "rollback_paused";
    case UpdateState::kRollbackCompleted:
      return "rollback_completed";
    case UpdateState::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view ToString(ServiceMode mode) {
  switch (mode) {
    case ServiceMode::kReplicated:
      return "replicated";
    case ServiceMode::kGlobal:
      return "global";
    case ServiceMode::kJob:
      return "job";
  }
  return "unknown";
}

std::string_view ToString(ScaleConfigOrigin origin) {
  switch (origin) {
    case ScaleConfigOrigin::kServiceLabel:
      return "service_label";
    case ScaleConfigOrigin::kImageLabel:
      return "image_label";
    case ScaleConfigOrigin::kScaleInfoCommand:
      return "scale_info";
  }
  return "unknown";
}

std::string_view ToString(ServiceEventKind kind) {
  switch (kind) {
    case ServiceEventKind::kCreated:
      return "created";
    case ServiceEventKind::kUpdated:
      return "updated";
    case ServiceEventKind::kRemoved:
      return "removed";
  }
  return "unknown";
}

bool UpdateStatus::Failed() const {
  switch (state) {
    case UpdateState::kPaused:
    case UpdateState::kRollbackStarted:
    case UpdateState::kRollbackPaused:
    case UpdateState::kRollbackCompleted:
      return true;
    default:
      return false;
  }
}

}  // namespace maiev::orchestrator
