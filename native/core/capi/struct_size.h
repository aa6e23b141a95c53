// The C ABI's versioned structs (cappy_load_params, cappy_model_info): where
// each field ends, and how many bytes of a caller's struct to honour. A
// caller's struct_size is honoured up to the last field it holds whole, so a
// size that ends inside a field (a struct from a build with another layout,
// or a mistake) never tears a pointer in two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

#include "cappy/cappy_c.h"
#include "cappy/error.h"

namespace cappy {
namespace capi {

// Where each field ends, in order.
#define CAPPY_FIELD_END(Struct, field) (offsetof(Struct, field) + sizeof(static_cast<Struct*>(nullptr)->field))
constexpr size_t kLoadParamsEnds[] = {
    CAPPY_FIELD_END(cappy_load_params, struct_size),       CAPPY_FIELD_END(cappy_load_params, dtype),
    CAPPY_FIELD_END(cappy_load_params, onnx_file),         CAPPY_FIELD_END(cappy_load_params, max_length),
    CAPPY_FIELD_END(cappy_load_params, truncation),        CAPPY_FIELD_END(cappy_load_params, intra_op_threads),
    CAPPY_FIELD_END(cappy_load_params, tokenizer_threads), CAPPY_FIELD_END(cappy_load_params, max_batch_tokens),
    CAPPY_FIELD_END(cappy_load_params, max_batch_size),    CAPPY_FIELD_END(cappy_load_params, pad_multiple),
    CAPPY_FIELD_END(cappy_load_params, sort_window),       CAPPY_FIELD_END(cappy_load_params, execution_provider),
    CAPPY_FIELD_END(cappy_load_params, device_id),         CAPPY_FIELD_END(cappy_load_params, ep_library_path),
    CAPPY_FIELD_END(cappy_load_params, ort_api_base),      CAPPY_FIELD_END(cappy_load_params, ort_env),
    CAPPY_FIELD_END(cappy_load_params, ort_library_path),
};
constexpr size_t kModelInfoEnds[] = {
    CAPPY_FIELD_END(cappy_model_info, struct_size),        CAPPY_FIELD_END(cappy_model_info, model_dir),
    CAPPY_FIELD_END(cappy_model_info, onnx_path),          CAPPY_FIELD_END(cappy_model_info, dtype),
    CAPPY_FIELD_END(cappy_model_info, dtype_choice),       CAPPY_FIELD_END(cappy_model_info, model_type),
    CAPPY_FIELD_END(cappy_model_info, ort_version),        CAPPY_FIELD_END(cappy_model_info, ort_loaded_path),
    CAPPY_FIELD_END(cappy_model_info, execution_provider), CAPPY_FIELD_END(cappy_model_info, max_length),
    CAPPY_FIELD_END(cappy_model_info, vocab_size),         CAPPY_FIELD_END(cappy_model_info, pad_id),
    CAPPY_FIELD_END(cappy_model_info, takes_type_ids),     CAPPY_FIELD_END(cappy_model_info, forged),
    CAPPY_FIELD_END(cappy_model_info, forged_note),        CAPPY_FIELD_END(cappy_model_info, has_config),
    CAPPY_FIELD_END(cappy_model_info, position_limit),     CAPPY_FIELD_END(cappy_model_info, truncation),
    CAPPY_FIELD_END(cappy_model_info, intra_op_threads),   CAPPY_FIELD_END(cappy_model_info, tokenizer_threads),
    CAPPY_FIELD_END(cappy_model_info, max_batch_tokens),   CAPPY_FIELD_END(cappy_model_info, max_batch_size),
    CAPPY_FIELD_END(cappy_model_info, pad_multiple),       CAPPY_FIELD_END(cappy_model_info, sort_window),
    CAPPY_FIELD_END(cappy_model_info, device_id),          CAPPY_FIELD_END(cappy_model_info, io_binding),
    CAPPY_FIELD_END(cappy_model_info, pinned_buffers),     CAPPY_FIELD_END(cappy_model_info, batches_in_flight),
    CAPPY_FIELD_END(cappy_model_info, trt_min_shape),      CAPPY_FIELD_END(cappy_model_info, trt_opt_shape),
    CAPPY_FIELD_END(cappy_model_info, trt_max_shape),
};
#undef CAPPY_FIELD_END

template <size_t N>
constexpr bool Ascending(const size_t (&ends)[N]) {
  for (size_t i = 1; i < N; ++i) {
    if (ends[i] <= ends[i - 1]) return false;
  }
  return true;
}
// A field added to a struct but not to its list would never be read or written.
static_assert(Ascending(kLoadParamsEnds) &&
                  kLoadParamsEnds[std::size(kLoadParamsEnds) - 1] == sizeof(cappy_load_params),
              "kLoadParamsEnds must list every field of cappy_load_params, in order");
static_assert(Ascending(kModelInfoEnds) &&
                  sizeof(cappy_model_info) - kModelInfoEnds[std::size(kModelInfoEnds) - 1] < alignof(cappy_model_info),
              "kModelInfoEnds must list every field of cappy_model_info, in order");

// The bytes of the fields a struct of `size` bytes holds whole. Below the
// first field (struct_size itself) nothing can be read: refused.
template <size_t N>
inline size_t WholeFieldBytes(uint32_t size, const size_t (&ends)[N], const char* what) {
  if (size < ends[0]) {
    throw Error(ErrorCode::kInvalidInput,
                std::string(what) + "->struct_size is " + std::to_string(size) +
                    ", less than the struct_size field itself; start from the *_default_params() function, or set "
                    "it to sizeof the struct",
                ErrorReason::kStructSize);
  }
  size_t covered = ends[0];
  for (const size_t end : ends) {
    if (end <= size) covered = end;
  }
  return covered;
}

}  // namespace capi
}  // namespace cappy
