// cappy-engine core: a generic ONNX Runtime session (part of cappy/cappy.h).
//
// `Session` runs cross-encoder graphs with token inputs; `GraphSession` runs
// any ONNX graph: named host tensors in, named outputs out. It serves the
// training graph (lib/adapt/graph), whose inputs are the model's weights and
// whose outputs are gradients, and the gradient-rule tests. It loads ORT and
// sets up execution providers through the same code as Session, so
// CAPPY_ORT_LIB, the soname copy and device 'cuda' mean the same here.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cappy/cancel.h"
#include "cappy/error.h"
#include "cappy/runtime_info.h"

struct OrtApiBase;
struct OrtEnv;

namespace cappy {

// Element types a host tensor can have (ONNX's names, float32 for FLOAT).
enum class ElementType { kFloat32, kFloat64, kFloat16, kInt64, kInt32, kInt8, kUint64, kUint32, kUint8, kBool, kOther };

const char* ElementTypeName(ElementType type) noexcept;
size_t ElementTypeSize(ElementType type) noexcept;  // 0 for kOther

struct GraphSessionOptions {
  std::string ort_library_path;  // as SessionOptions
  std::string ort_link = "path";
  const OrtApiBase* ort_api_base = nullptr;
  OrtEnv* ort_env = nullptr;
  std::string model_path;
  int intra_op_threads = 0;  // 0: ORT's default
  // "cpu" or "cuda" (the plugin EP from ep_library_path), as SessionOptions.
  std::string execution_provider = "cpu";
  int device_id = 0;
  std::string ep_library_path;
  std::vector<std::pair<std::string, std::string>> provider_options;
  // ORT's deterministic-compute switch: kernels that have a faster
  // nondeterministic variant (some CUDA reductions) use the deterministic one.
  bool deterministic = true;
  // "all" (ORT_ENABLE_ALL, the default), "extended", "basic" or "none".
  std::string optimization = "all";
  // Non-empty: ORT's profiler writes a JSON trace named from this prefix;
  // EndProfiling() returns its path.
  std::string profile_prefix;
  // ORT's memory pattern: after a shape's first run, later runs of that shape
  // take all their intermediates as one planned block. Off, each tensor comes
  // from the arena as it is made, so graphs fed many shapes (training on
  // batches padded to their longest row) keep one pool instead of a new block
  // per shape.
  bool memory_pattern = true;
  // Session config entries (OrtSessionOptions AddConfigEntry), as given.
  std::vector<std::pair<std::string, std::string>> config_entries;
};

struct GraphTensorInfo {
  std::string name;
  ElementType type = ElementType::kOther;
  std::vector<int64_t> shape;          // -1 for a dynamic axis
  std::vector<std::string> dim_names;  // the symbolic name of each axis ("" when none)
};

struct GraphSessionInfo : RuntimeInfo {
  int intra_op_threads = 0;
  std::vector<GraphTensorInfo> inputs;
  std::vector<GraphTensorInfo> outputs;
};

// A tensor in host memory the caller owns; it must stay valid for the run.
struct HostTensor {
  std::string name;
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;
  void* data = nullptr;
  size_t byte_length = 0;
};

// One output to fetch. With `into`, the result lands in the caller's memory:
//   accumulate false: ORT writes it there directly (`shape` must be the
//                     output's shape; no copy);
//   accumulate true:  it is added element-wise into what `into` holds
//                     (float32 or float64; gradient accumulation).
// Without `into`, the run returns the output's bytes.
struct OutputRequest {
  std::string name;
  void* into = nullptr;
  size_t byte_length = 0;
  ElementType type = ElementType::kFloat32;  // of `into`
  std::vector<int64_t> shape;
  bool accumulate = false;
};

struct OutputTensor {
  std::string name;
  ElementType type = ElementType::kOther;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // empty when it went `into` the caller's memory
};

class GraphSession {
 public:
  // Loads ORT (once per process, as Session) and opens the model. Throws
  // Error(kModelLoad) or Error(kDeviceUnavailable) naming what is wrong.
  explicit GraphSession(const GraphSessionOptions& options);
  ~GraphSession();
  GraphSession(const GraphSession&) = delete;
  GraphSession& operator=(const GraphSession&) = delete;

  // Runs the graph once. Every graph input must be given, once, with the
  // graph's element type, rank and fixed dims, and one value per symbolic
  // dim name across inputs: otherwise Error(kInvalidInput) naming it.
  // `cancel`, when non-null, is watched during the run: once raised, ORT is
  // told to terminate at its next node and the call throws Error(kCancelled).
  // Thread-safe.
  std::vector<OutputTensor> Run(const std::vector<HostTensor>& inputs, const std::vector<OutputRequest>& outputs,
                                const CancelFlag* cancel = nullptr) const;

  // Ends ORT's profiling and returns the trace file ("" when profiling is off).
  std::string EndProfiling();

  const GraphSessionInfo& info() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cappy
