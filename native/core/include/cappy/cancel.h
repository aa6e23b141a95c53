// cappy-engine core: stopping a call from another thread (part of cappy/cappy.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace cappy {

// A flag one thread raises to stop a call running on others. The collect
// stage polls it between batches (work not started is dropped), and a runner
// that can cut a batch short registers a hook while the batch runs: Session
// sets ONNX Runtime's terminate flag on that Run, which returns at its next
// node. So raising it stops a call within one graph node, not one batch
// (a batch of a large model on a CPU can take minutes).
class CancelFlag {
 public:
  CancelFlag() = default;
  CancelFlag(const CancelFlag&) = delete;
  CancelFlag& operator=(const CancelFlag&) = delete;

  // Raises the flag and runs every hook registered now. Thread-safe.
  void Raise();
  // Lowers it again, for reuse between calls (no call may be using it).
  void Reset() noexcept { raised_.store(false); }
  bool raised() const noexcept { return raised_.load(std::memory_order_relaxed); }

  // While the returned guard lives, `on_raise` runs when the flag is raised
  // (at once, on this thread, if it already is). `on_raise` must be quick and
  // must not throw; it runs under the flag's lock.
  class Hook {
   public:
    Hook() = default;
    Hook(Hook&& other) noexcept : flag_(other.flag_), id_(other.id_) { other.flag_ = nullptr; }
    Hook& operator=(Hook&& other) noexcept;
    Hook(const Hook&) = delete;
    ~Hook();

   private:
    friend class CancelFlag;
    Hook(const CancelFlag* flag, uint64_t id) : flag_(flag), id_(id) {}
    const CancelFlag* flag_ = nullptr;
    uint64_t id_ = 0;
  };
  [[nodiscard]] Hook OnRaise(std::function<void()> on_raise) const;

 private:
  std::atomic<bool> raised_{false};
  mutable std::mutex mutex_;
  mutable std::map<uint64_t, std::function<void()>> hooks_;
  mutable uint64_t next_id_ = 1;
};

// True when `flag` is set and raised (null means "never cancelled").
inline bool IsRaised(const CancelFlag* flag) noexcept { return flag != nullptr && flag->raised(); }

}  // namespace cappy
