// struct_size, as a C caller may set it: honoured up to the last whole field
// for load params (read) and model info (written), refused below the
// struct_size field itself. Run under ASan (-DCAPPY_SANITIZE=ON), each size in
// a heap buffer of exactly that many bytes shows any access past it.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capi/c_api_internal.h"
#include "cappy/cappy_c.h"
#include "check.h"
#include "digit_runner.h"

namespace {

bool Has(const char* text, const std::string& part) { return std::string(text).find(part) != std::string::npos; }

// Scores every row 0: only the model's info matters here.
class ZeroRunner : public cappy::BatchRunner {
 public:
  std::vector<float> RunRows(const std::vector<const std::vector<int32_t>*>& rows, uint32_t, int32_t,
                             const std::vector<uint32_t>*, int32_t) const override {
    return std::vector<float>(rows.size(), 0.f);
  }
  bool takes_type_ids() const noexcept override { return false; }
  unsigned batches_in_flight() const noexcept override { return 1; }
};

struct Model {
  cappy_model* model = nullptr;
  Model() {
    cappy::ScorerOptions options;
    options.tokenizer_threads = 2;
    model = cappy::capi::ModelFromParts(cappy::Tokenizer::FromJson(cappy_test::kDigitTokenizerJson),
                                        std::make_shared<ZeroRunner>(), options);
  }
  ~Model() { cappy_model_free(model); }
};

}  // namespace

// Every struct_size from 0 to the whole struct, each in a buffer of exactly
// that many bytes (ASan builds catch any read or write past it). The bytes of
// a field the size covers only in part hold 0xAB: read, they would make a
// torn pointer (the old memcpy of struct_size bytes crashed at 12 and 20).
struct Field {
  size_t offset, size;
};
#define CAPPY_TEST_FIELD(S, f) \
  Field { offsetof(S, f), sizeof(static_cast<S*>(nullptr)->f) }

CAPPY_TEST(c_api_load_params_honour_struct_size_up_to_the_last_whole_field) {
  const Field fields[] = {
      CAPPY_TEST_FIELD(cappy_load_params, struct_size),       CAPPY_TEST_FIELD(cappy_load_params, dtype),
      CAPPY_TEST_FIELD(cappy_load_params, onnx_file),         CAPPY_TEST_FIELD(cappy_load_params, max_length),
      CAPPY_TEST_FIELD(cappy_load_params, truncation),        CAPPY_TEST_FIELD(cappy_load_params, intra_op_threads),
      CAPPY_TEST_FIELD(cappy_load_params, tokenizer_threads), CAPPY_TEST_FIELD(cappy_load_params, max_batch_tokens),
      CAPPY_TEST_FIELD(cappy_load_params, max_batch_size),    CAPPY_TEST_FIELD(cappy_load_params, pad_multiple),
      CAPPY_TEST_FIELD(cappy_load_params, sort_window),       CAPPY_TEST_FIELD(cappy_load_params, execution_provider),
      CAPPY_TEST_FIELD(cappy_load_params, device_id),         CAPPY_TEST_FIELD(cappy_load_params, ep_library_path),
      CAPPY_TEST_FIELD(cappy_load_params, ort_api_base),      CAPPY_TEST_FIELD(cappy_load_params, ort_env),
      CAPPY_TEST_FIELD(cappy_load_params, ort_library_path),
  };
  cappy_load_params defaults = cappy_load_default_params();
  defaults.dtype = "fp64";  // a value the load refuses, so reading the field shows
  const std::string missing = "/nonexistent/cappy-struct-size";
  for (uint32_t size = 0; size <= sizeof(cappy_load_params); ++size) {
    const size_t n = std::max<size_t>(size, sizeof(uint32_t));
    unsigned char* bytes = new unsigned char[n];  // exactly this many: ASan sees past it
    std::memset(bytes, 0xAB, n);
    for (const Field& f : fields) {
      if (f.offset + f.size <= size)
        std::memcpy(bytes + f.offset, reinterpret_cast<const char*>(&defaults) + f.offset, f.size);
    }
    std::memcpy(bytes, &size, sizeof size);
    cappy_model* model = nullptr;
    const cappy_status status = cappy_model_load(missing.c_str(), reinterpret_cast<cappy_load_params*>(bytes), &model);
    const bool dtype_whole = offsetof(cappy_load_params, dtype) + sizeof(const char*) <= size;
    if (size < sizeof(uint32_t)) {
      CHECK_EQ(status, CAPPY_ERR_INVALID_INPUT);
      CHECK_EQ(std::string(cappy_last_error_reason()), std::string("struct_size"));
    } else if (dtype_whole) {
      CHECK_EQ(status, CAPPY_ERR_INVALID_INPUT);  // the caller's dtype was read
      CHECK(Has(cappy_last_error(), "fp64"));
    } else {
      CHECK_EQ(status, CAPPY_ERR_MODEL_LOAD);  // defaults only: on to the folder, which is missing
      CHECK_EQ(std::string(cappy_last_error_reason()), std::string("folder_not_found"));
    }
    CHECK(model == nullptr);
    delete[] bytes;
  }
}

CAPPY_TEST(c_api_info_writes_only_whole_fields_for_every_struct_size) {
  Model f;
  const Field fields[] = {
      CAPPY_TEST_FIELD(cappy_model_info, struct_size),        CAPPY_TEST_FIELD(cappy_model_info, model_dir),
      CAPPY_TEST_FIELD(cappy_model_info, onnx_path),          CAPPY_TEST_FIELD(cappy_model_info, dtype),
      CAPPY_TEST_FIELD(cappy_model_info, dtype_choice),       CAPPY_TEST_FIELD(cappy_model_info, model_type),
      CAPPY_TEST_FIELD(cappy_model_info, ort_version),        CAPPY_TEST_FIELD(cappy_model_info, ort_loaded_path),
      CAPPY_TEST_FIELD(cappy_model_info, execution_provider), CAPPY_TEST_FIELD(cappy_model_info, max_length),
      CAPPY_TEST_FIELD(cappy_model_info, vocab_size),         CAPPY_TEST_FIELD(cappy_model_info, pad_id),
      CAPPY_TEST_FIELD(cappy_model_info, takes_type_ids),     CAPPY_TEST_FIELD(cappy_model_info, forged),
      CAPPY_TEST_FIELD(cappy_model_info, forged_note),        CAPPY_TEST_FIELD(cappy_model_info, has_config),
      CAPPY_TEST_FIELD(cappy_model_info, position_limit),     CAPPY_TEST_FIELD(cappy_model_info, truncation),
      CAPPY_TEST_FIELD(cappy_model_info, intra_op_threads),   CAPPY_TEST_FIELD(cappy_model_info, tokenizer_threads),
      CAPPY_TEST_FIELD(cappy_model_info, max_batch_tokens),   CAPPY_TEST_FIELD(cappy_model_info, max_batch_size),
      CAPPY_TEST_FIELD(cappy_model_info, pad_multiple),       CAPPY_TEST_FIELD(cappy_model_info, sort_window),
      CAPPY_TEST_FIELD(cappy_model_info, device_id),          CAPPY_TEST_FIELD(cappy_model_info, io_binding),
      CAPPY_TEST_FIELD(cappy_model_info, pinned_buffers),     CAPPY_TEST_FIELD(cappy_model_info, batches_in_flight),
      CAPPY_TEST_FIELD(cappy_model_info, trt_min_shape),      CAPPY_TEST_FIELD(cappy_model_info, trt_opt_shape),
      CAPPY_TEST_FIELD(cappy_model_info, trt_max_shape),
  };
  cappy_model_info full;
  std::memset(&full, 0, sizeof full);
  full.struct_size = sizeof full;
  CHECK_EQ(cappy_model_get_info(f.model, &full), CAPPY_OK);
  for (uint32_t size = 0; size <= sizeof(cappy_model_info); ++size) {
    const size_t n = std::max<size_t>(size, sizeof(uint32_t));
    unsigned char* bytes = new unsigned char[n];  // exactly this many: ASan sees past it
    std::memset(bytes, 0xCD, n);
    std::memcpy(bytes, &size, sizeof size);
    const cappy_status status = cappy_model_get_info(f.model, reinterpret_cast<cappy_model_info*>(bytes));
    if (size < sizeof(uint32_t)) {
      CHECK_EQ(status, CAPPY_ERR_INVALID_INPUT);
      CHECK(Has(cappy_last_error(), "struct_size"));
    } else {
      CHECK_EQ(status, CAPPY_OK);
      uint32_t kept = 0;
      std::memcpy(&kept, bytes, sizeof kept);
      CHECK_EQ(kept, size);  // the caller's struct_size stays
      for (const Field& fl : fields) {
        if (fl.offset == 0) continue;
        for (size_t b = fl.offset; b < std::min<size_t>(fl.offset + fl.size, size); ++b) {
          const unsigned char want =
              fl.offset + fl.size <= size ? reinterpret_cast<const unsigned char*>(&full)[b] : 0xCD;
          if (bytes[b] != want) CHECK_EQ(static_cast<int>(bytes[b]), static_cast<int>(want));
        }
      }
    }
    delete[] bytes;
  }
  CHECK_EQ(full.tokenizer_threads, 2u);  // the fixture's options
  CHECK_EQ(std::string(full.truncation), std::string("longest_first"));
  CHECK_EQ(full.has_config, 0);
}
