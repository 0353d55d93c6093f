#include "store/store_health.hpp"

namespace maiev::store {

StoreHealthState StoreHealth::Get() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void StoreHealth::After(Access access, const Error* error) {
  if (access != Access::kWrite) return;
  // "invalid" and "not_found" are answers about the record, not about the file.
  if (error != nullptr && error->code != "io") return;
  std::lock_guard lock(mutex_);
  if (error == nullptr) {
    state_.writable = true;
    state_.last_error.reset();
    state_.since.reset();
    return;
  }
  if (state_.writable) state_.since = clock_.Now();
  state_.writable = false;
  state_.last_error = error->message;
  ++state_.failed_writes;
}

}  // namespace maiev::store
