// The C ABI (include/cappy/cappy_c.h) over the C++ core: the same pipeline the
// Node addon binds (OpenModelFolder, Tokenizer, Session, Scorer), with the
// Node layer's defaults, so a C host and Scorer.scoreBatch give the same
// scores. Every entry point catches everything: no exception crosses the
// boundary, a status and this thread's message go back instead.
#include "cappy/cappy_c.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "capi/c_api_internal.h"
#include "cappy/cappy.h"

#ifndef CAPPY_VERSION_STRING
#define CAPPY_VERSION_STRING "0.0.0-dev"
#endif
#ifndef CAPPY_DEFAULT_ORT_LIBRARY
#define CAPPY_DEFAULT_ORT_LIBRARY "libonnxruntime.so.1"
#endif

struct cappy_cancel {
  std::atomic<bool> raised{false};
};

namespace cappy {
namespace capi {
namespace {

thread_local std::string t_last_error;

// A failure the C layer itself decides (a bad argument, a small buffer).
struct StatusError {
  cappy_status status;
  std::string message;
};

cappy_status FromCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput: return CAPPY_ERR_INVALID_INPUT;
    case ErrorCode::kTokenizer: return CAPPY_ERR_TOKENIZER;
    case ErrorCode::kModelLoad: return CAPPY_ERR_MODEL_LOAD;
    case ErrorCode::kRuntime: return CAPPY_ERR_RUNTIME;
    case ErrorCode::kCancelled: return CAPPY_ERR_CANCELLED;
    case ErrorCode::kDeviceUnavailable: return CAPPY_ERR_DEVICE_UNAVAILABLE;
  }
  return CAPPY_ERR_INTERNAL;
}

cappy_status Fail(cappy_status status, const char* message) noexcept {
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();  // no memory even for the message: the status still says what
  }
  return status;
}

template <class Body>
cappy_status Guarded(Body&& body) noexcept {
  try {
    body();
    t_last_error.clear();
    return CAPPY_OK;
  } catch (const StatusError& e) {
    return Fail(e.status, e.message.c_str());
  } catch (const Error& e) {
    return Fail(FromCode(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return Fail(CAPPY_ERR_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return Fail(CAPPY_ERR_INTERNAL, e.what());
  } catch (...) {
    return Fail(CAPPY_ERR_INTERNAL, "unknown C++ exception in cappy");
  }
}

[[noreturn]] void Invalid(const std::string& message) { throw StatusError{CAPPY_ERR_INVALID_INPUT, message}; }

// Byte offset of the first invalid UTF-8 sequence (RFC 3629: no overlongs, no
// surrogates, nothing past U+10FFFF), or `len` when the text is valid.
size_t FirstInvalidUtf8(const unsigned char* s, size_t len) {
  size_t i = 0;
  while (i < len) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (len - i <= n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k <= n; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += n + 1;
  }
  return len;
}

std::string Text(const char* data, size_t len, const std::string& what) {
  if (data == nullptr) {
    if (len != 0) Invalid(what + " is NULL with length " + std::to_string(len));
    return std::string();
  }
  const size_t bad = FirstInvalidUtf8(reinterpret_cast<const unsigned char*>(data), len);
  if (bad != len) Invalid(what + " is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  return std::string(data, len);
}

// The caller's struct over the defaults: only the bytes it says it has, so a
// caller built against an older, shorter struct still works.
template <class Struct>
Struct Merge(const Struct& defaults, const Struct* given, const char* what) {
  Struct out = defaults;
  if (given == nullptr) return out;
  if (given->struct_size < sizeof(uint32_t)) {
    Invalid(std::string(what) + "->struct_size is not set; start from the *_default_params() function");
  }
  std::memcpy(&out, given, std::min<size_t>(given->struct_size, sizeof(Struct)));
  out.struct_size = sizeof(Struct);
  return out;
}

unsigned Cores() { return std::max(1u, std::thread::hardware_concurrency()); }

std::string OrEmpty(const char* s) { return s != nullptr ? s : ""; }

}  // namespace

}  // namespace capi
}  // namespace cappy

struct cappy_model {
  std::shared_ptr<const cappy::Tokenizer> tokenizer;
  std::shared_ptr<const cappy::BatchRunner> runner;
  std::shared_ptr<const cappy::Session> session;  // null for a model built from parts (tests)
  std::unique_ptr<cappy::Scorer> scorer;
  uint32_t max_length = 0;
  // Storage for cappy_model_info's strings.
  std::string model_dir, onnx_path, dtype, dtype_choice, model_type, ort_version, ort_loaded_path,
      execution_provider, forged_note;
  bool forged = false;
};

namespace cappy {
namespace capi {

cappy_model* ModelFromParts(std::shared_ptr<const Tokenizer> tokenizer, std::shared_ptr<const BatchRunner> runner,
                            const ScorerOptions& options) {
  auto model = std::make_unique<cappy_model>();
  model->tokenizer = std::move(tokenizer);
  model->runner = std::move(runner);
  model->scorer = std::make_unique<Scorer>(model->tokenizer, model->runner, options);
  model->max_length = model->tokenizer->truncation().max_length;
  model->execution_provider = "test";
  return model.release();
}

namespace {

// The Node layer's defaults (lib/options/scorer.ts), so the same folder
// scores the same from C and from Scorer.load.
constexpr uint32_t kDefaultMaxLength = 512;

std::unique_ptr<cappy_model> Load(const std::string& dir, const cappy_load_params& p) {
  ModelSelection selection;
  const std::string dtype = OrEmpty(p.dtype);
  const std::string onnx_file = OrEmpty(p.onnx_file);
  if (!onnx_file.empty() && !dtype.empty()) Invalid("params: onnx_file and dtype cannot both be set");
  selection.onnx_file = onnx_file;
  if (dtype == "auto") {
    selection.auto_dtype = true;
  } else if (!dtype.empty()) {
    selection.dtype = ParseModelDType(dtype);
    if (!selection.dtype) Invalid("params: dtype must be fp32, int8, fp16 or auto (got '" + dtype + "')");
  }
  const std::string ep = p.execution_provider != nullptr ? p.execution_provider : "cpu";
  if (ep != "cpu" && ep != "cuda" && ep != "tensorrt") {
    Invalid("params: execution_provider must be cpu, cuda or tensorrt (got '" + ep + "')");
  }
  const bool gpu = ep != "cpu";
  selection.gpu = gpu;
  if (p.intra_op_threads < 0) Invalid("params: intra_op_threads must be 0 (the core count) or more");
  if (p.device_id < 0) Invalid("params: device_id must be 0 or more");
  if (p.max_batch_tokens == 0 || p.max_batch_size == 0 || p.pad_multiple == 0) {
    Invalid("params: max_batch_tokens, max_batch_size and pad_multiple must be at least 1");
  }
  if (p.ort_env != nullptr && p.ort_api_base == nullptr) Invalid("params: ort_env needs ort_api_base (its ORT's API)");

  ModelFolder folder = OpenModelFolder(dir, selection);
  const uint32_t limit = folder.config ? folder.config->position_limit : 0;
  uint32_t max_length = p.max_length;
  if (max_length == 0) {
    max_length = limit != 0 ? std::min(kDefaultMaxLength, limit) : kDefaultMaxLength;
  } else if (limit != 0 && max_length > limit) {
    Invalid("params: max_length " + std::to_string(max_length) + " is more than this model's position table takes (" +
            std::to_string(limit) + " tokens, from max_position_embeddings in config.json)");
  }
  TokenizerOptions topts;
  topts.max_length = max_length;
  const std::string truncation = p.truncation != nullptr ? p.truncation : "longest_first";
  const std::optional<TruncationStrategy> strategy = ParseTruncationStrategy(truncation);
  if (strategy) {
    topts.strategy = *strategy;
  } else {
    Invalid("params: truncation must be longest_first, only_first or only_second (got '" + truncation + "')");
  }

  auto model = std::make_unique<cappy_model>();
  model->tokenizer = Tokenizer::FromFile(folder.tokenizer_path, topts);

  SessionOptions so;
  so.ort_api_base = static_cast<const OrtApiBase*>(p.ort_api_base);
  so.ort_env = static_cast<OrtEnv*>(p.ort_env);
  so.ort_library_path = p.ort_library_path != nullptr ? p.ort_library_path : CAPPY_DEFAULT_ORT_LIBRARY;
  so.model_path = folder.onnx_path;
  so.intra_op_threads = p.intra_op_threads > 0 ? p.intra_op_threads : static_cast<int>(Cores());
  so.execution_provider = ep;
  so.device_id = p.device_id;
  so.ep_library_path = OrEmpty(p.ep_library_path);
  so.io_binding = gpu;
  so.batches_in_flight = gpu ? 2 : 1;
  auto session = std::make_shared<const Session>(so);

  ScorerOptions sc;
  sc.tokenizer_threads = p.tokenizer_threads > 0 ? p.tokenizer_threads : std::max(1u, Cores() / 2);
  sc.plan.max_batch_tokens = p.max_batch_tokens;
  sc.plan.max_batch_size = p.max_batch_size;
  sc.plan.pad_multiple = p.pad_multiple;
  sc.plan.sort_window = p.sort_window;
  model->session = session;
  model->runner = session;
  model->scorer = std::make_unique<Scorer>(model->tokenizer, model->runner, sc);
  model->max_length = max_length;

  const SessionInfo& si = session->info();
  model->model_dir = folder.dir;
  model->onnx_path = folder.onnx_path;
  model->dtype = folder.dtype ? ModelDTypeName(*folder.dtype) : "";
  model->dtype_choice = folder.dtype_choice;
  model->ort_version = si.ort_version;
  model->ort_loaded_path = si.ort_loaded_path;
  model->execution_provider = si.execution_provider;
  if (folder.config) {
    model->model_type = folder.config->model_type;
    model->forged = folder.config->forged;
    model->forged_note = folder.config->forged ? folder.config->forged_note : "";
  }
  return model;
}

cappy_model_info InfoOf(const cappy_model& m) {
  cappy_model_info info{};
  info.struct_size = sizeof(cappy_model_info);
  info.model_dir = m.model_dir.c_str();
  info.onnx_path = m.onnx_path.c_str();
  info.dtype = m.dtype.c_str();
  info.dtype_choice = m.dtype_choice.c_str();
  info.model_type = m.model_type.c_str();
  info.ort_version = m.ort_version.c_str();
  info.ort_loaded_path = m.ort_loaded_path.c_str();
  info.execution_provider = m.execution_provider.c_str();
  info.max_length = m.max_length;
  info.vocab_size = static_cast<uint32_t>(m.tokenizer->vocab_size());
  info.pad_id = m.tokenizer->pad_id();
  info.takes_type_ids = m.runner->takes_type_ids() ? 1 : 0;
  info.forged = m.forged ? 1 : 0;
  info.forged_note = m.forged_note.c_str();
  return info;
}

}  // namespace
}  // namespace capi
}  // namespace cappy

using cappy::capi::Guarded;
using cappy::capi::Invalid;
using cappy::capi::StatusError;

extern "C" {

const char* cappy_status_name(cappy_status status) {
  switch (status) {
    case CAPPY_OK: return "CAPPY_OK";
    case CAPPY_ERR_INVALID_INPUT: return "CAPPY_ERR_INVALID_INPUT";
    case CAPPY_ERR_TOKENIZER: return "CAPPY_ERR_TOKENIZER";
    case CAPPY_ERR_MODEL_LOAD: return "CAPPY_ERR_MODEL_LOAD";
    case CAPPY_ERR_RUNTIME: return "CAPPY_ERR_RUNTIME";
    case CAPPY_ERR_CANCELLED: return "CAPPY_ERR_CANCELLED";
    case CAPPY_ERR_DEVICE_UNAVAILABLE: return "CAPPY_ERR_DEVICE_UNAVAILABLE";
    case CAPPY_ERR_BUFFER_TOO_SMALL: return "CAPPY_ERR_BUFFER_TOO_SMALL";
    case CAPPY_ERR_INTERNAL: return "CAPPY_ERR_INTERNAL";
  }
  return "CAPPY_ERR_UNKNOWN";
}

const char* cappy_last_error(void) { return cappy::capi::t_last_error.c_str(); }

uint32_t cappy_abi_version(void) { return CAPPY_ABI_VERSION; }

const char* cappy_version(void) { return CAPPY_VERSION_STRING; }

const char* cappy_default_ort_library(void) { return CAPPY_DEFAULT_ORT_LIBRARY; }

cappy_load_params cappy_load_default_params(void) {
  cappy_load_params p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof(cappy_load_params);
  p.max_batch_tokens = 16384;
  p.max_batch_size = 64;
  p.pad_multiple = 8;
  return p;
}

cappy_status cappy_model_load(const char* model_dir, const cappy_load_params* params, cappy_model** out_model) {
  return Guarded([&] {
    if (out_model == nullptr) Invalid("out_model is NULL");
    *out_model = nullptr;
    if (model_dir == nullptr || *model_dir == '\0') Invalid("model_dir is NULL or empty");
    const cappy_load_params p = cappy::capi::Merge(cappy_load_default_params(), params, "params");
    *out_model = cappy::capi::Load(model_dir, p).release();
  });
}

void cappy_model_free(cappy_model* model) { delete model; }

cappy_status cappy_model_get_info(const cappy_model* model, cappy_model_info* out) {
  return Guarded([&] {
    if (model == nullptr) Invalid("model is NULL");
    if (out == nullptr) Invalid("out is NULL");
    if (out->struct_size < sizeof(uint32_t)) Invalid("out->struct_size is not set; set it to sizeof(cappy_model_info)");
    const cappy_model_info info = cappy::capi::InfoOf(*model);
    const uint32_t size = out->struct_size;
    std::memcpy(out, &info, std::min<size_t>(size, sizeof info));
    out->struct_size = size;
  });
}

cappy_status cappy_cancel_new(cappy_cancel** out_cancel) {
  return Guarded([&] {
    if (out_cancel == nullptr) Invalid("out_cancel is NULL");
    *out_cancel = new cappy_cancel();
  });
}

void cappy_cancel_request(cappy_cancel* cancel) {
  if (cancel != nullptr) cancel->raised.store(true);
}

void cappy_cancel_reset(cappy_cancel* cancel) {
  if (cancel != nullptr) cancel->raised.store(false);
}

void cappy_cancel_free(cappy_cancel* cancel) { delete cancel; }

cappy_status cappy_score(cappy_model* model, const cappy_pair* pairs, size_t n, float* scores, size_t scores_capacity,
                         const cappy_cancel* cancel) {
  return Guarded([&] {
    if (model == nullptr) Invalid("model is NULL");
    if (n == 0) return;
    if (pairs == nullptr) Invalid("pairs is NULL");
    if (scores == nullptr) Invalid("scores is NULL");
    if (scores_capacity < n) {
      throw StatusError{CAPPY_ERR_BUFFER_TOO_SMALL, "scores holds " + std::to_string(scores_capacity) +
                                                        " floats; " + std::to_string(n) + " pairs need " +
                                                        std::to_string(n)};
    }
    std::vector<cappy::TextInput> inputs(n);
    for (size_t i = 0; i < n; ++i) {
      const std::string at = "pairs[" + std::to_string(i) + "]";
      inputs[i].first = cappy::capi::Text(pairs[i].first, pairs[i].first_len, at + ".first");
      inputs[i].second = cappy::capi::Text(pairs[i].second, pairs[i].second_len, at + ".second");
      inputs[i].has_second = true;
    }
    const std::vector<float> out = model->scorer->Score(inputs, cancel != nullptr ? &cancel->raised : nullptr, nullptr);
    std::copy(out.begin(), out.end(), scores);
  });
}

cappy_status cappy_tokenize(const cappy_model* model, const char* first, size_t first_len, const char* second,
                            size_t second_len, int32_t* ids, size_t ids_capacity, size_t* n_ids) {
  return Guarded([&] {
    if (model == nullptr) Invalid("model is NULL");
    if (n_ids == nullptr) Invalid("n_ids is NULL");
    *n_ids = 0;
    if (first == nullptr) Invalid("first is NULL");
    if (ids == nullptr && ids_capacity != 0) Invalid("ids is NULL with capacity " + std::to_string(ids_capacity));
    const std::string a = cappy::capi::Text(first, first_len, "first");
    std::string b;
    if (second != nullptr) b = cappy::capi::Text(second, second_len, "second");
    const std::string_view b_view(b);
    std::vector<int32_t> out;
    model->tokenizer->Encode(a, second != nullptr ? &b_view : nullptr, out);
    *n_ids = out.size();
    if (ids_capacity < out.size()) {
      throw StatusError{CAPPY_ERR_BUFFER_TOO_SMALL, "ids holds " + std::to_string(ids_capacity) + " ids; this input needs " +
                                                        std::to_string(out.size())};
    }
    std::copy(out.begin(), out.end(), ids);
  });
}

}  // extern "C"
