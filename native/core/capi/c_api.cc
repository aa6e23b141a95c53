// The C ABI (include/cappy/cappy_c.h) over the C++ core: the same pipeline the
// Node addon binds (OpenModelFolder, ResolveLoad, Tokenizer, Session, Scorer),
// from the same DefaultLoadConfig(), so a C host and Scorer.scoreBatch resolve
// a folder alike and give the same scores. Every entry point catches
// everything: no exception crosses the boundary, a status, this thread's
// message and its reason go back instead.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "capi/c_api_internal.h"
#include "capi/struct_size.h"
#include "capi/utf8.h"
#include "cappy/cappy.h"
#include "cappy/cappy_c.h"

#ifndef CAPPY_VERSION_STRING
#define CAPPY_VERSION_STRING "0.0.0-dev"
#endif
#ifndef CAPPY_DEFAULT_ORT_LIBRARY
#define CAPPY_DEFAULT_ORT_LIBRARY "libonnxruntime.so.1"
#endif

namespace {
// The soname every ORT build carries.
constexpr const char* kOrtSoname = "libonnxruntime.so.1";
}  // namespace

struct cappy_cancel {
  cappy::CancelFlag flag;
};

namespace cappy {
namespace capi {
namespace {

thread_local std::string t_last_error;
thread_local ErrorReason t_last_reason = ErrorReason::kNone;

// The status of a core error code: both come from CAPPY_ERROR_CODES, so they
// share their values.
cappy_status StatusOf(ErrorCode code) { return static_cast<cappy_status>(static_cast<int>(code)); }

cappy_status Fail(const ErrorInfo& error) noexcept {
  t_last_reason = error.reason;
  try {
    t_last_error = error.message;
  } catch (...) {
    t_last_error.clear();  // no memory even for the message: the status still says what
  }
  return StatusOf(error.code);
}

template <class Body>
cappy_status Guarded(Body&& body) noexcept {
  try {
    body();
    t_last_error.clear();
    t_last_reason = ErrorReason::kNone;
    return CAPPY_OK;
  } catch (const std::exception& e) {
    return Fail(DescribeException(e));
  } catch (...) {
    return Fail(DescribeUnknownException());
  }
}

[[noreturn]] void Invalid(const std::string& message, ErrorReason reason = ErrorReason::kNone) {
  throw Error(ErrorCode::kInvalidInput, message, reason);
}

[[noreturn]] void TooSmall(const std::string& message) { throw Error(ErrorCode::kBufferTooSmall, message); }

std::string Text(const char* data, size_t len, const std::string& what) {
  if (data == nullptr) {
    if (len != 0) Invalid(what + " is NULL with length " + std::to_string(len));
    return std::string();
  }
  const size_t bad = FirstInvalidUtf8(reinterpret_cast<const unsigned char*>(data), len);
  if (bad != len) Invalid(what + " is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  return std::string(data, len);
}

// The caller's load params over the defaults: only the fields it holds whole,
// so a caller built against an older, shorter struct still works.
cappy_load_params Merge(const cappy_load_params& defaults, const cappy_load_params* given) {
  cappy_load_params out = defaults;
  if (given == nullptr) return out;
  const size_t bytes = WholeFieldBytes(given->struct_size, kLoadParamsEnds, "params");
  std::memcpy(&out, given, bytes);
  out.struct_size = sizeof(cappy_load_params);
  return out;
}

std::string OrEmpty(const char* s) { return s != nullptr ? s : ""; }

}  // namespace

}  // namespace capi
}  // namespace cappy

struct cappy_model {
  std::shared_ptr<const cappy::Tokenizer> tokenizer;
  std::shared_ptr<const cappy::BatchRunner> runner;
  std::shared_ptr<const cappy::Session> session;  // null for a model built from parts (tests)
  std::unique_ptr<cappy::Scorer> scorer;
  cappy::ResolvedLoad load;  // the settings in force
  // Storage for cappy_model_info's strings.
  std::string model_dir, onnx_path, dtype, dtype_choice, model_type, ort_version, ort_loaded_path, execution_provider,
      forged_note;
  bool forged = false;
  bool has_config = false;
  uint32_t position_limit = 0;
};

namespace cappy {
namespace capi {

cappy_model* ModelFromParts(std::shared_ptr<const Tokenizer> tokenizer, std::shared_ptr<const BatchRunner> runner,
                            const ScorerOptions& options) {
  auto model = std::make_unique<cappy_model>();
  model->tokenizer = std::move(tokenizer);
  model->runner = std::move(runner);
  model->scorer = std::make_unique<Scorer>(model->tokenizer, model->runner, options);
  model->load.max_length = model->tokenizer->truncation().max_length;
  model->load.scorer = options;
  model->execution_provider = "test";
  return model.release();
}

namespace {

// Which ONNX Runtime file to load when the params name none: CAPPY_ORT_LIB,
// else the configured library while it exists, else the soname (the loader's
// search: LD_LIBRARY_PATH, libcappy.so's RUNPATH ($ORIGIN), the cache).
// `tried` says what was passed over, for the message when loading fails.
std::string DefaultOrtLibrary(std::string* tried) {
  const char* env = std::getenv("CAPPY_ORT_LIB");
  if (env != nullptr && *env != '\0') return env;
  const std::string configured = CAPPY_DEFAULT_ORT_LIBRARY;
  if (configured.find('/') == std::string::npos) return configured;  // a soname already
  if (::access(configured.c_str(), F_OK) == 0) return configured;
  *tried = "the library configured at build time, " + configured + ", is gone, and CAPPY_ORT_LIB is not set";
  return kOrtSoname;
}

// Params -> LoadConfig, starting from the core's defaults: what the Node
// addon does with Scorer.load's options.
LoadConfig ConfigOf(const cappy_load_params& p) {
  LoadConfig c = DefaultLoadConfig();
  if (p.max_length != 0) c.max_length = p.max_length;
  const std::string truncation = p.truncation != nullptr ? p.truncation : "longest_first";
  const std::optional<TruncationStrategy> strategy = ParseTruncationStrategy(truncation);
  if (!strategy)
    Invalid("params: truncation must be longest_first, only_first or only_second (got '" + truncation + "')");
  c.truncation = *strategy;
  if (p.intra_op_threads < 0) Invalid("params: intra_op_threads must be 0 (the default) or more");
  if (p.intra_op_threads > 0) c.intra_op_threads = static_cast<uint32_t>(p.intra_op_threads);
  if (p.tokenizer_threads > 0) c.tokenizer_threads = p.tokenizer_threads;
  c.max_batch_tokens = p.max_batch_tokens;
  c.max_batch_size = p.max_batch_size;
  c.pad_multiple = p.pad_multiple;
  c.sort_window = p.sort_window;
  if (p.execution_provider != nullptr) c.execution_provider = p.execution_provider;
  c.device_id = p.device_id;
  c.ep_library_path = OrEmpty(p.ep_library_path);
  return c;
}

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
  if (p.ort_env != nullptr && p.ort_api_base == nullptr) Invalid("params: ort_env needs ort_api_base (its ORT's API)");
  const LoadConfig config = ConfigOf(p);
  const auto resolve = [&](uint32_t position_limit) {
    try {
      return ResolveLoad(config, position_limit);
    } catch (const Error& e) {
      throw Error(e.code(), std::string("params: ") + e.what(), e.reason());
    }
  };
  // Checked before the folder is read, so a bad option fails the same
  // whatever the folder holds.
  resolve(0);
  selection.gpu = config.execution_provider != "cpu";

  ModelFolder folder = OpenModelFolder(dir, selection);
  auto model = std::make_unique<cappy_model>();
  model->has_config = folder.config.has_value();
  model->position_limit = folder.config ? folder.config->position_limit : 0;
  model->load = resolve(model->position_limit);
  model->tokenizer = Tokenizer::FromFile(folder.tokenizer_path, model->load.tokenizer);

  SessionOptions so = model->load.session;
  so.ort_api_base = static_cast<const OrtApiBase*>(p.ort_api_base);
  so.ort_env = static_cast<OrtEnv*>(p.ort_env);
  std::string tried;
  so.ort_library_path = p.ort_library_path != nullptr ? p.ort_library_path : DefaultOrtLibrary(&tried);
  so.model_path = folder.onnx_path;
  std::shared_ptr<const Session> session;
  try {
    session = std::make_shared<const Session>(so);
  } catch (const Error& e) {
    if (tried.empty() || e.reason() != ErrorReason::kOrtUnavailable) throw;
    throw Error(e.code(), std::string(e.what()) + " (" + tried + ")", e.reason());
  }
  model->session = session;
  model->runner = session;
  model->scorer = std::make_unique<Scorer>(model->tokenizer, model->runner, model->load.scorer);

  const SessionInfo& si = session->info();
  model->model_dir = folder.dir;
  model->onnx_path = folder.onnx_path;
  model->dtype = folder.dtype ? ModelDTypeName(*folder.dtype) : "";
  model->dtype_choice = folder.dtype_choice;
  model->ort_version = si.ort_version;
  model->ort_loaded_path = si.ort_loaded_path;
  model->execution_provider = si.execution_provider;
  model->load.session.pinned_buffers = si.pinned_buffers;  // what the provider gave, not what was asked
  if (folder.config) {
    model->model_type = folder.config->model_type;
    model->forged = folder.config->forged;
    model->forged_note = folder.config->forged ? folder.config->forged_note : "";
  }
  return model;
}

cappy_model_info InfoOf(const cappy_model& m) {
  cappy_model_info info;
  std::memset(&info, 0, sizeof info);  // padding too: callers compare bytes
  info.struct_size = sizeof(cappy_model_info);
  info.model_dir = m.model_dir.c_str();
  info.onnx_path = m.onnx_path.c_str();
  info.dtype = m.dtype.c_str();
  info.dtype_choice = m.dtype_choice.c_str();
  info.model_type = m.model_type.c_str();
  info.ort_version = m.ort_version.c_str();
  info.ort_loaded_path = m.ort_loaded_path.c_str();
  info.execution_provider = m.execution_provider.c_str();
  info.max_length = m.load.max_length;
  info.vocab_size = static_cast<uint32_t>(m.tokenizer->vocab_size());
  info.pad_id = m.tokenizer->pad_id();
  info.takes_type_ids = m.runner->takes_type_ids() ? 1 : 0;
  info.forged = m.forged ? 1 : 0;
  info.forged_note = m.forged_note.c_str();
  const ResolvedLoad& l = m.load;
  info.has_config = m.has_config ? 1 : 0;
  info.position_limit = m.position_limit;
  info.truncation = TruncationStrategyName(l.tokenizer.strategy.value_or(TruncationStrategy::kLongestFirst));
  info.intra_op_threads = static_cast<uint32_t>(l.session.intra_op_threads);
  info.tokenizer_threads = l.scorer.tokenizer_threads;
  info.max_batch_tokens = l.scorer.plan.max_batch_tokens;
  info.max_batch_size = l.scorer.plan.max_batch_size;
  info.pad_multiple = l.scorer.plan.pad_multiple;
  info.sort_window = l.scorer.plan.sort_window;
  info.device_id = l.session.device_id;
  info.io_binding = l.session.io_binding ? 1 : 0;
  info.pinned_buffers = l.session.pinned_buffers ? 1 : 0;
  info.batches_in_flight = l.session.batches_in_flight;
  for (int k = 0; k < 2; ++k) {
    info.trt_min_shape[k] = l.session.trt_min_shape[k];
    info.trt_opt_shape[k] = l.session.trt_opt_shape[k];
    info.trt_max_shape[k] = l.session.trt_max_shape[k];
  }
  return info;
}

}  // namespace
}  // namespace capi
}  // namespace cappy

using cappy::capi::Guarded;
using cappy::capi::Invalid;
using cappy::capi::TooSmall;

extern "C" {

const char* cappy_status_name(cappy_status status) {
  switch (status) {
    case CAPPY_OK:
      return "CAPPY_OK";
#define CAPPY_STATUS_NAME_(Cxx, NAME, value, meaning) \
  case CAPPY_ERR_##NAME:                              \
    return "CAPPY_ERR_" #NAME;
      CAPPY_ERROR_CODES(CAPPY_STATUS_NAME_)
#undef CAPPY_STATUS_NAME_
  }
  return "CAPPY_ERR_UNKNOWN";
}

const char* cappy_last_error(void) { return cappy::capi::t_last_error.c_str(); }

const char* cappy_last_error_reason(void) { return cappy::ErrorReasonName(cappy::capi::t_last_reason); }

uint32_t cappy_abi_version(void) { return CAPPY_ABI_VERSION; }

const char* cappy_version(void) { return CAPPY_VERSION_STRING; }

const char* cappy_default_ort_library(void) { return CAPPY_DEFAULT_ORT_LIBRARY; }

cappy_load_params cappy_load_default_params(void) {
  // The core's defaults (cappy/load.h), as the Node package's Scorer.load starts from them.
  const cappy::LoadConfig c = cappy::DefaultLoadConfig();
  cappy_load_params p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof(cappy_load_params);
  p.intra_op_threads = static_cast<int32_t>(c.intra_op_threads);
  p.tokenizer_threads = c.tokenizer_threads;
  p.max_batch_tokens = c.max_batch_tokens;
  p.max_batch_size = c.max_batch_size;
  p.pad_multiple = c.pad_multiple;
  p.sort_window = c.sort_window;
  return p;
}

cappy_status cappy_model_load(const char* model_dir, const cappy_load_params* params, cappy_model** out_model) {
  return Guarded([&] {
    if (out_model == nullptr) Invalid("out_model is NULL");
    *out_model = nullptr;
    if (model_dir == nullptr || *model_dir == '\0') Invalid("model_dir is NULL or empty");
    const cappy_load_params p = cappy::capi::Merge(cappy_load_default_params(), params);
    *out_model = cappy::capi::Load(model_dir, p).release();
  });
}

void cappy_model_free(cappy_model* model) { delete model; }

cappy_status cappy_model_get_info(const cappy_model* model, cappy_model_info* out) {
  return Guarded([&] {
    if (model == nullptr) Invalid("model is NULL");
    if (out == nullptr) Invalid("out is NULL");
    const uint32_t size = out->struct_size;
    const size_t bytes = cappy::capi::WholeFieldBytes(size, cappy::capi::kModelInfoEnds, "out");
    const cappy_model_info info = cappy::capi::InfoOf(*model);
    // Past struct_size, only the bytes of whole fields: a field the caller's
    // struct holds in part is left as it was.
    std::memcpy(reinterpret_cast<char*>(out) + sizeof(uint32_t),
                reinterpret_cast<const char*>(&info) + sizeof(uint32_t), bytes - sizeof(uint32_t));
  });
}

cappy_status cappy_cancel_new(cappy_cancel** out_cancel) {
  return Guarded([&] {
    if (out_cancel == nullptr) Invalid("out_cancel is NULL");
    *out_cancel = new cappy_cancel();
  });
}

void cappy_cancel_request(cappy_cancel* cancel) {
  if (cancel != nullptr) cancel->flag.Raise();
}

void cappy_cancel_reset(cappy_cancel* cancel) {
  if (cancel != nullptr) cancel->flag.Reset();
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
      TooSmall("scores holds " + std::to_string(scores_capacity) + " floats; " + std::to_string(n) + " pairs need " +
               std::to_string(n));
    }
    std::vector<cappy::TextInput> inputs(n);
    for (size_t i = 0; i < n; ++i) {
      const std::string at = "pairs[" + std::to_string(i) + "]";
      inputs[i].first = cappy::capi::Text(pairs[i].first, pairs[i].first_len, at + ".first");
      inputs[i].second = cappy::capi::Text(pairs[i].second, pairs[i].second_len, at + ".second");
      inputs[i].has_second = true;
    }
    const std::vector<float> out = model->scorer->Score(inputs, cancel != nullptr ? &cancel->flag : nullptr, nullptr);
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
      TooSmall("ids holds " + std::to_string(ids_capacity) + " ids; this input needs " + std::to_string(out.size()));
    }
    std::copy(out.begin(), out.end(), ids);
  });
}

}  // extern "C"
