// The load rules both bindings share: DefaultLoadConfig() for this machine,
// and ResolveLoad, which turns a config and the model's position limit into
// each stage's options. The C ABI (capi/c_api.cc) and the Node addon
// (native/node/scorer_binding.cc) call nothing else to decide a setting.
#include <algorithm>
#include <string>

#include "cappy/cappy.h"

namespace cappy {

namespace {

[[noreturn]] void Invalid(const std::string& message, ErrorReason reason = ErrorReason::kNone) {
  throw Error(ErrorCode::kInvalidInput, message, reason);
}

uint32_t RoundUp(uint32_t n, uint32_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// TensorRT's one optimization profile, [rows, tokens]: from the smallest
// batch the planner can cut to the largest, so engines are built once for the
// whole shape range instead of per new shape; optimized for rows of
// kTrtOptTokens tokens.
void SetTensorRtProfile(uint32_t max_length, const PlanOptions& plan, SessionOptions& so) {
  const uint32_t max_len = RoundUp(max_length, plan.pad_multiple);
  const uint32_t max_rows = std::max(1u, std::min(plan.max_batch_size, plan.max_batch_tokens / plan.pad_multiple));
  const uint32_t opt_len = std::min(max_len, RoundUp(LoadDefaults::kTrtOptTokens, plan.pad_multiple));
  const uint32_t opt_rows = std::max(1u, std::min(max_rows, plan.max_batch_tokens / opt_len));
  so.trt_min_shape[0] = 1;
  so.trt_min_shape[1] = plan.pad_multiple;
  so.trt_opt_shape[0] = opt_rows;
  so.trt_opt_shape[1] = opt_len;
  so.trt_max_shape[0] = max_rows;
  so.trt_max_shape[1] = max_len;
}

}  // namespace

LoadConfig DefaultLoadConfig() {
  LoadConfig c;
  const uint32_t cores = UsableCores();
  c.intra_op_threads = cores;
  c.tokenizer_threads = std::max(1u, cores / 2);
  return c;
}

ResolvedLoad ResolveLoad(const LoadConfig& c, uint32_t position_limit) {
  if (c.execution_provider != "cpu" && c.execution_provider != "cuda" && c.execution_provider != "tensorrt") {
    Invalid("execution_provider must be cpu, cuda or tensorrt (got '" + c.execution_provider + "')");
  }
  if (c.max_batch_tokens == 0 || c.max_batch_size == 0 || c.pad_multiple == 0) {
    Invalid("max_batch_tokens, max_batch_size and pad_multiple must be at least 1");
  }
  if (c.intra_op_threads == 0 || c.tokenizer_threads == 0) {
    Invalid("intra_op_threads and tokenizer_threads must be at least 1 (DefaultLoadConfig() sets them from the cores)");
  }
  if (c.device_id < 0) Invalid("device_id must be 0 or more");
  if (c.batches_in_flight && *c.batches_in_flight == 0) Invalid("batches_in_flight must be at least 1");
  const bool gpu = c.execution_provider != "cpu";

  ResolvedLoad r;
  // A pair longer than the position table fails deep inside ORT; say so
  // here. The default follows a smaller table, as HF's model_max_length does.
  if (!c.max_length) {
    r.max_length = position_limit != 0 ? std::min(LoadDefaults::kMaxLength, position_limit) : LoadDefaults::kMaxLength;
  } else if (position_limit != 0 && *c.max_length > position_limit) {
    Invalid("max_length " + std::to_string(*c.max_length) + " is more than this model's position table takes (" +
                std::to_string(position_limit) + " tokens, from max_position_embeddings in config.json)",
            ErrorReason::kOverPositionLimit);
  } else {
    r.max_length = *c.max_length;
  }
  if (r.max_length == 0) Invalid("max_length must be at least 1");
  r.tokenizer.max_length = r.max_length;
  r.tokenizer.strategy = c.truncation;

  r.scorer.tokenizer_threads = c.tokenizer_threads;
  r.scorer.plan.max_batch_tokens = c.max_batch_tokens;
  r.scorer.plan.max_batch_size = c.max_batch_size;
  r.scorer.plan.pad_multiple = c.pad_multiple;
  r.scorer.plan.sort_window = c.sort_window;

  SessionOptions& so = r.session;
  so.intra_op_threads = static_cast<int>(c.intra_op_threads);
  so.execution_provider = c.execution_provider;
  so.device_id = c.device_id;
  so.ep_library_path = c.ep_library_path;
  so.io_binding = c.io_binding.value_or(gpu);
  so.pinned_buffers = c.pinned_buffers;
  so.batches_in_flight =
      c.batches_in_flight.value_or(gpu ? LoadDefaults::kGpuBatchesInFlight : LoadDefaults::kCpuBatchesInFlight);
  so.provider_options = c.provider_options;
  so.trt_cache_dir = c.trt_cache_dir;
  so.trt_fp16 = c.trt_fp16;
  SetTensorRtProfile(r.max_length, r.scorer.plan, so);
  return r;
}

}  // namespace cappy
