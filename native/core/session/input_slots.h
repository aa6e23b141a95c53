// Reusable input buffers. A batch's ids and mask are written straight into a
// slot (no intermediate int64 vectors), in the element type each input of the
// model takes. On a GPU the memory comes from the EP's pinned host allocator,
// so the host-to-device copy is a DMA from page-locked memory; slots are kept
// for the session's life because pinned allocations are slow.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace cappy {
namespace ort {

// One buffer per model input, in the model's input order.
struct InputSpec {
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;  // int64 or int32
};

class InputSlots {
 public:
  struct Slot {
    std::vector<void*> buffers;  // one per input, `capacity` elements each
    size_t capacity = 0;
    std::unique_ptr<Ort::IoBinding> binding;  // created on first use with binding on
  };

  // Releases the slot to the pool when it goes out of scope.
  class Lease {
   public:
    Lease(InputSlots* owner, std::unique_ptr<Slot> slot) : owner_(owner), slot_(std::move(slot)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Slot& operator*() const { return *slot_; }
    Slot* operator->() const { return slot_.get(); }

   private:
    InputSlots* owner_;
    std::unique_ptr<Slot> slot_;
  };

  // `allocator` null: plain CPU memory from ORT's default allocator.
  InputSlots(const OrtApi& api, OrtAllocator* allocator, std::vector<InputSpec> inputs);
  ~InputSlots();
  InputSlots(const InputSlots&) = delete;
  InputSlots& operator=(const InputSlots&) = delete;

  // A slot whose buffers hold at least `elements` values each. Slots are
  // made on demand, so there are as many as there were calls at once.
  Lease Acquire(size_t elements);

  const OrtMemoryInfo* memory_info() const { return memory_info_; }
  const std::vector<InputSpec>& inputs() const { return inputs_; }

 private:
  void Free(Slot& slot);
  void Release(std::unique_ptr<Slot> slot);

  const OrtApi& api_;
  OrtAllocator* allocator_;
  const OrtMemoryInfo* memory_info_ = nullptr;
  std::vector<InputSpec> inputs_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Slot>> free_;
};

size_t ElementSize(ONNXTensorElementDataType type);

}  // namespace ort
}  // namespace cappy
