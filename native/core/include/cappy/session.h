// cappy-engine core: the run stage, ONNX Runtime behind the BatchRunner seam (part of cappy/cappy.h).
#pragma once

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

// ---------------------------------------------------------------- run
// How a session runs: which execution provider, and how batches reach it.
// Both bindings fill it through ResolveLoad (cappy/load.h), which applies the
// defaults; the session only checks what needs ORT to check.
struct SessionOptions {
  std::string ort_library_path;  // libonnxruntime.so to dlopen
  // How: "path" (dlopen that file) or "reuse" (an ORT already loaded, if new
  // enough). See native/core/session/ort_runtime.h.
  std::string ort_link = "path";
  // A host's own ORT (its OrtGetApiBase(), and its OrtEnv or null): wins over
  // ort_library_path; ort_link becomes "host". See ort::AdoptRuntime.
  const OrtApiBase* ort_api_base = nullptr;
  OrtEnv* ort_env = nullptr;
  std::string model_path;    // model.onnx (external data beside it)
  int intra_op_threads = 0;  // 0: ORT's default
  // "cpu", "cuda" (plugin EP from ep_library_path, registered on the shared
  // env) or "tensorrt" (ORT's provider bridge: libonnxruntime_providers_tensorrt.so
  // beside the ORT library, with CUDA as its fallback for unsupported nodes).
  std::string execution_provider = "cpu";
  int device_id = 0;            // CUDA ordinal
  std::string ep_library_path;  // cuda: libonnxruntime_providers_cuda.so
  // Extra options handed to the GPU provider as given (e.g. use_tf32=0 for
  // exact fp32 on CUDA); they win over cappy's own TensorRT settings.
  std::vector<std::pair<std::string, std::string>> provider_options;
  // Bind inputs and outputs with an OrtIoBinding. Input buffers come from the
  // EP's pinned host allocator when it has one (CPU memory otherwise) and are
  // reused across batches.
  bool io_binding = false;
  // Stage inputs in the EP's pinned host memory when it has some; off keeps
  // them in plain host memory (to rule pinned memory out when debugging).
  bool pinned_buffers = true;
  // Batches run at once by one Score call. 2 on a GPU: one batch's copies and
  // host-side filling overlap the other's compute. 1 on CPU, where ORT's
  // intra-op pool already uses every core.
  unsigned batches_in_flight = 1;
  // TensorRT: engine cache folder and the one optimization profile, as
  // [rows, tokens] for input_ids and attention_mask, so engines are built once
  // for the whole shape range instead of per new shape.
  std::string trt_cache_dir;
  bool trt_fp16 = false;
  uint32_t trt_min_shape[2] = {1, 8};
  uint32_t trt_opt_shape[2] = {16, 128};
  uint32_t trt_max_shape[2] = {64, 512};
};

struct TensorInfo {
  std::string name;
  std::string element_type;    // "int64", "int32", "float32", "float16"
  std::vector<int64_t> shape;  // -1 for dynamic axes
};

struct SessionInfo : RuntimeInfo {
  bool io_binding = false;
  bool pinned_buffers = false;  // inputs staged in the EP's pinned host memory
  unsigned batches_in_flight = 1;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

// What the engine runs batches through: the ORT Session, or a fake in the
// core's tests (native/test/scorer_test.cc), so the collect stage is tested
// without ORT.
class BatchRunner {
 public:
  virtual ~BatchRunner() = default;
  // One batch of unpadded token rows -> one score per row (see Session::RunRows).
  // Must be thread-safe when batches_in_flight() > 1.
  virtual std::vector<float> RunRows(const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len,
                                     int32_t pad_id, const std::vector<uint32_t>* second_starts,
                                     int32_t pair_type) const = 0;
  // The same, cut short when `stop` is raised while the batch runs (it then
  // throws Error(kCancelled)). A runner that cannot interrupt a batch keeps
  // this default, which runs it whole; the collect stage still stops before
  // the next one.
  virtual std::vector<float> RunRowsCancellable(const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len,
                                                int32_t pad_id, const std::vector<uint32_t>* second_starts,
                                                int32_t pair_type, const CancelFlag* stop) const {
    (void)stop;
    return RunRows(rows, seq_len, pad_id, second_starts, pair_type);
  }
  // Whether rows need second_starts (the graph takes token_type_ids).
  virtual bool takes_type_ids() const noexcept = 0;
  // Batches one Score call runs at once.
  virtual unsigned batches_in_flight() const noexcept = 0;
};

class Session : public BatchRunner {
 public:
  // Loads ORT from options.ort_library_path (once per path per process) and
  // opens the model. Throws Error(kModelLoad) with a message naming what is
  // missing or wrong (no such file, not ONNX, wrong input names, ...).
  explicit Session(const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one padded batch: ids and mask are row-major [rows, seq_len].
  // Returns logits[:, 0] for every row. Thread-safe.
  std::vector<float> Run(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask, uint32_t rows,
                         uint32_t seq_len) const;
  // The same, with segment ids for a graph that takes token_type_ids (BERT).
  // `type_ids` null or a graph without that input: zeros / nothing is fed.
  // `stop`, when raised, terminates the Run (Error(kCancelled)).
  std::vector<float> Run(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask,
                         const std::vector<int64_t>* type_ids, uint32_t rows, uint32_t seq_len,
                         const CancelFlag* stop = nullptr) const;

  // Whether the graph has a token_type_ids input (callers skip building it otherwise).
  bool takes_type_ids() const noexcept override;
  unsigned batches_in_flight() const noexcept override { return info().batches_in_flight; }

  // Runs one batch given as unpadded token rows: ids and mask are written
  // straight into the session's reusable input buffers (pinned on a GPU), in
  // the element type the model takes, padded to seq_len with pad_id.
  // `second_starts` (one per row, or null) marks where each row's second
  // segment begins: token_type_ids are 0 before it and on padding, and
  // `pair_type` from it to the row's end. Null, or a graph without
  // token_type_ids: zeros / nothing. Thread-safe; concurrent calls use
  // separate buffers.
  std::vector<float> RunRows(const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len, int32_t pad_id,
                             const std::vector<uint32_t>* second_starts = nullptr,
                             int32_t pair_type = 0) const override;
  // RunRows whose ORT Run is terminated (at its next node) when `stop` is raised.
  std::vector<float> RunRowsCancellable(const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len,
                                        int32_t pad_id, const std::vector<uint32_t>* second_starts, int32_t pair_type,
                                        const CancelFlag* stop) const override;

  const SessionInfo& info() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Loads a shared library by soname or path and keeps it loaded; returns ""
// or the loader's error. Used to check an EP library's dependencies (and to
// load them from folders not on LD_LIBRARY_PATH) before ORT dlopens the EP.
std::string LoadSharedLibrary(const std::string& name_or_path);

}  // namespace cappy
