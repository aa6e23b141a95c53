#include "cappy/cancel.h"

#include <utility>

namespace cappy {

void CancelFlag::Raise() {
  std::lock_guard<std::mutex> lock(mutex_);
  raised_.store(true);
  for (auto& [id, hook] : hooks_) hook();
}

CancelFlag::Hook CancelFlag::OnRaise(std::function<void()> on_raise) const {
  std::lock_guard<std::mutex> lock(mutex_);
  // Under the lock: a Raise() either ran before (so call it now) or will see
  // the hook; it is never missed.
  if (raised_.load()) on_raise();
  const uint64_t id = next_id_++;
  hooks_.emplace(id, std::move(on_raise));
  return Hook(this, id);
}

CancelFlag::Hook::~Hook() {
  if (flag_ == nullptr) return;
  std::lock_guard<std::mutex> lock(flag_->mutex_);
  flag_->hooks_.erase(id_);
}

CancelFlag::Hook& CancelFlag::Hook::operator=(Hook&& other) noexcept {
  if (this != &other) {
    Hook old(std::move(*this));  // unregisters what this held
    flag_ = other.flag_;
    id_ = other.id_;
    other.flag_ = nullptr;
  }
  return *this;
}

}  // namespace cappy
