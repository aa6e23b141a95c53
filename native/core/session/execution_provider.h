// Execution provider setup for a session: CPU, the CUDA plugin EP, or
// TensorRT through ORT's provider bridge. Kept apart from session.cc so the
// GPU-specific calls live in one place.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <string>

#include "cappy/cappy.h"
#include "session/ort_runtime.h"

namespace cappy {
namespace ort {

struct EpSetup {
  // Host memory the EP copies from fastest (CUDA pinned memory), from the
  // env's shared allocators; null when the EP has none or it is only
  // reachable once the session exists (see pinned_from_session).
  OrtAllocator* pinned_allocator = nullptr;
  // TensorRT via the provider bridge: ask the session for its "CudaPinned"
  // allocator after it is created.
  bool pinned_from_session = false;
};

// Appends options.execution_provider to `so`. Throws Error(kDeviceUnavailable)
// naming what is missing: the EP library, a CUDA device, the TensorRT bridge.
EpSetup AppendExecutionProvider(const Runtime& runtime, const SessionOptions& options, Ort::SessionOptions& so);

}  // namespace ort
}  // namespace cappy
