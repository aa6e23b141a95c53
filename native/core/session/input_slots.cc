#include "session/input_slots.h"

#include "cappy/cappy.h"

namespace cappy {
namespace ort {

namespace {
// First allocation: one default-sized batch (16384 padded tokens), so the
// common case never grows.
constexpr size_t kMinElements = 16384;

void Check(const OrtApi& api, OrtStatus* status, const char* what) {
  if (status == nullptr) return;
  std::string message = std::string(what) + ": " + api.GetErrorMessage(status);
  api.ReleaseStatus(status);
  throw Error(ErrorCode::kRuntime, message);
}
}  // namespace

size_t ElementSize(ONNXTensorElementDataType type) { return type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 ? 4 : 8; }

InputSlots::Lease::~Lease() {
  if (slot_) owner_->Release(std::move(slot_));
}

InputSlots::InputSlots(const OrtApi& api, OrtAllocator* allocator, std::vector<InputSpec> inputs)
    : api_(api), allocator_(allocator), inputs_(std::move(inputs)) {
  if (allocator_ == nullptr) Check(api_, api_.GetAllocatorWithDefaultOptions(&allocator_), "no CPU allocator");
  Check(api_, api_.AllocatorGetInfo(allocator_, &memory_info_), "allocator has no memory info");
}

InputSlots::~InputSlots() {
  for (auto& slot : free_) Free(*slot);
}

void InputSlots::Free(Slot& slot) {
  for (void* p : slot.buffers) {
    if (p != nullptr) allocator_->Free(allocator_, p);
  }
  slot.buffers.clear();
  slot.capacity = 0;
}

InputSlots::Lease InputSlots::Acquire(size_t elements) {
  std::unique_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      slot = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (!slot) slot = std::make_unique<Slot>();
  if (slot->capacity < elements) {
    // Grow geometrically: pinned allocations cost a driver call each.
    size_t capacity = std::max(kMinElements, slot->capacity * 2);
    while (capacity < elements) capacity *= 2;
    Free(*slot);
    slot->buffers.assign(inputs_.size(), nullptr);
    for (size_t i = 0; i < inputs_.size(); ++i) {
      void* p = allocator_->Alloc(allocator_, capacity * ElementSize(inputs_[i].type));
      if (p == nullptr) {
        Free(*slot);
        throw Error(ErrorCode::kRuntime,
                    "cannot allocate input buffers for a batch of " + std::to_string(elements) + " tokens");
      }
      slot->buffers[i] = p;
    }
    slot->capacity = capacity;
  }
  return Lease(this, std::move(slot));
}

void InputSlots::Release(std::unique_ptr<Slot> slot) {
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(std::move(slot));
}

}  // namespace ort
}  // namespace cappy
