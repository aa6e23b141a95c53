// cappy::Session: one ORT inference session over a cross-encoder graph with
// inputs input_ids / attention_mask (token_type_ids optional: the caller's
// segment ids, else zeros) and one logits output. Model checks happen at load
// so a wrong file fails with a clear message instead of at the first score.
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>

#include "cappy/cappy.h"
#include "session/execution_provider.h"
#include "session/input_slots.h"
#include "session/ort_runtime.h"

namespace cappy {

namespace {

const char* ElementTypeName(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return "bfloat16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return "bool";
    default:
      return "other";
  }
}

TensorInfo Describe(const std::string& name, const Ort::TypeInfo& type) {
  TensorInfo info;
  info.name = name;
  if (type.GetONNXType() != ONNX_TYPE_TENSOR) {
    info.element_type = "non-tensor";
    return info;
  }
  auto tensor = type.GetTensorTypeAndShapeInfo();
  info.element_type = ElementTypeName(tensor.GetElementType());
  info.shape = tensor.GetShape();
  return info;
}

// Inputs the graph takes, by role. Index -1 means absent.
struct InputRoles {
  int ids = -1;
  int mask = -1;
  int type_ids = -1;
};

// What ORT would report in its own words (an empty file: "ModelProto does
// not have a graph", after a C++ signature) is said plainly here.
void CheckFileReadable(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw Error(ErrorCode::kModelLoad, "model file not found or unreadable: " + path, ErrorReason::kOnnxMissing);
  if (f.tellg() == 0) {
    throw Error(ErrorCode::kModelLoad,
                "model file " + path + " is empty (0 bytes), not an ONNX model; was an export or a download cut short?",
                ErrorReason::kModelInvalid);
  }
}

}  // namespace

struct Session::Impl {
  const ort::Runtime* runtime = nullptr;
  std::unique_ptr<Ort::Session> session;
  // TensorRT's pinned allocator belongs to the session; slots below use it,
  // so it is declared (and destroyed) between the two.
  std::unique_ptr<Ort::Allocator> session_pinned;
  std::unique_ptr<ort::InputSlots> slots;
  // Held by pointer: an Ort wrapper's destructor calls into the ORT API even
  // when empty, which would crash if loading ORT itself failed.
  std::unique_ptr<Ort::MemoryInfo> cpu_memory;
  SessionInfo info;
  InputRoles roles;
  ONNXTensorElementDataType output_type = ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;

  // Runs the batch already written into `slot`: plain Run, or through the
  // slot's IoBinding (inputs bound from the slot's buffers, logits bound to
  // CPU memory, so they come back in one small copy). `stop`, when raised,
  // sets ORT's terminate flag on this Run's options.
  std::vector<float> Execute(ort::InputSlots::Slot& slot, uint32_t rows, uint32_t seq_len,
                             const CancelFlag* stop) const;
};

Session::Session(const SessionOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.runtime = options.ort_api_base != nullptr ? &ort::AdoptRuntime(options.ort_api_base, options.ort_env)
                                              : &ort::LoadRuntime(options.ort_library_path, options.ort_link);
  CheckFileReadable(options.model_path);
  Ort::SessionOptions so;
  ort::EpSetup ep;
  try {
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    if (options.intra_op_threads > 0) so.SetIntraOpNumThreads(options.intra_op_threads);
    so.SetInterOpNumThreads(1);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::kModelLoad, "invalid session options: " + ort::CleanOrtMessage(e.what()));
  }
  ep = ort::AppendExecutionProvider(*s.runtime, options, so);  // throws kDeviceUnavailable
  try {
    s.session = std::make_unique<Ort::Session>(*s.runtime->env, options.model_path.c_str(), so);
  } catch (const Ort::Exception& e) {
    // A GPU EP that loaded but cannot start (out of memory, CUDA library
    // mismatch) fails here, not at append time.
    const bool cpu = options.execution_provider == "cpu";
    throw Error(cpu ? ErrorCode::kModelLoad : ErrorCode::kDeviceUnavailable,
                "ONNX Runtime cannot load " + options.model_path + " on " + options.execution_provider + ": " +
                    ort::CleanOrtMessage(e.what()),
                cpu ? ErrorReason::kModelInvalid : ErrorReason::kNone);
  }

  Ort::AllocatorWithDefaultOptions allocator;
  const size_t n_in = s.session->GetInputCount();
  for (size_t i = 0; i < n_in; ++i) {
    std::string name = s.session->GetInputNameAllocated(i, allocator).get();
    s.info.inputs.push_back(Describe(name, s.session->GetInputTypeInfo(i)));
    s.input_names.push_back(name);
  }
  const size_t n_out = s.session->GetOutputCount();
  for (size_t i = 0; i < n_out; ++i) {
    std::string name = s.session->GetOutputNameAllocated(i, allocator).get();
    s.info.outputs.push_back(Describe(name, s.session->GetOutputTypeInfo(i)));
    s.output_names.push_back(name);
  }

  auto list_inputs = [&] {
    std::string names;
    for (const auto& t : s.info.inputs) names += (names.empty() ? "" : ", ") + t.name + " (" + t.element_type + ")";
    return names;
  };
  for (size_t i = 0; i < s.info.inputs.size(); ++i) {
    const TensorInfo& t = s.info.inputs[i];
    const bool int_type = t.element_type == "int64" || t.element_type == "int32";
    int* role = t.name == "input_ids"        ? &s.roles.ids
                : t.name == "attention_mask" ? &s.roles.mask
                : t.name == "token_type_ids" ? &s.roles.type_ids
                                             : nullptr;
    if (role == nullptr || !int_type) {
      throw Error(ErrorCode::kModelLoad,
                  "model " + options.model_path + " is not a cross-encoder this engine can feed: it takes " +
                      list_inputs() +
                      "; expected input_ids and attention_mask (int64 or int32), optionally token_type_ids",
                  ErrorReason::kModelUnsupported);
    }
    *role = static_cast<int>(i);
  }
  if (s.roles.ids < 0 || s.roles.mask < 0) {
    throw Error(
        ErrorCode::kModelLoad,
        "model " + options.model_path + " takes " + list_inputs() + "; it must take both input_ids and attention_mask",
        ErrorReason::kModelUnsupported);
  }
  if (s.info.outputs.empty())
    throw Error(ErrorCode::kModelLoad, "model has no outputs", ErrorReason::kModelUnsupported);
  // The score is logits[:, 0]; prefer an output named logits, else the first.
  size_t out_index = 0;
  for (size_t i = 0; i < s.info.outputs.size(); ++i) {
    if (s.info.outputs[i].name == "logits") out_index = i;
  }
  const TensorInfo& out = s.info.outputs[out_index];
  if (out.element_type != "float32" && out.element_type != "float16") {
    throw Error(ErrorCode::kModelLoad,
                "output " + out.name + " is " + out.element_type + "; expected float32 or float16",
                ErrorReason::kModelUnsupported);
  }
  if (out.shape.size() != 2) {
    throw Error(ErrorCode::kModelLoad,
                "output " + out.name + " has rank " + std::to_string(out.shape.size()) + "; expected [batch, labels]",
                ErrorReason::kModelUnsupported);
  }
  s.output_type =
      out.element_type == "float16" ? ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 : ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
  s.output_names = {out.name};

  s.cpu_memory = std::make_unique<Ort::MemoryInfo>(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault));

  OrtAllocator* pinned = options.pinned_buffers ? ep.pinned_allocator : nullptr;
  if (ep.pinned_from_session && options.pinned_buffers) {
    try {
      Ort::MemoryInfo info("CudaPinned", OrtDeviceAllocator, options.device_id, OrtMemTypeCPUOutput);
      s.session_pinned = std::make_unique<Ort::Allocator>(*s.session, info);
      pinned = *s.session_pinned;
    } catch (const Ort::Exception&) {
      pinned = nullptr;  // plain host memory still works, only the copy is slower
    }
  }
  std::vector<ort::InputSpec> specs(s.info.inputs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    specs[i].type = s.info.inputs[i].element_type == "int32" ? ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32
                                                             : ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
  }
  s.slots = std::make_unique<ort::InputSlots>(*s.runtime->api, pinned, std::move(specs));

  static_cast<RuntimeInfo&>(s.info) = ort::DescribeRuntime(*s.runtime, options.execution_provider, options.device_id);
  s.info.io_binding = options.io_binding;
  s.info.pinned_buffers = pinned != nullptr;
  s.info.batches_in_flight = std::max(1u, options.batches_in_flight);
}

Session::~Session() = default;

const SessionInfo& Session::info() const noexcept { return impl_->info; }

bool Session::takes_type_ids() const noexcept { return impl_->roles.type_ids >= 0; }

namespace {

// Writes each input's [rows, seq_len] values into its slot buffer, in the
// element type that input takes.
template <typename T>
void WriteInput(void* buffer, size_t count, const std::function<int64_t(size_t)>& value) {
  T* out = static_cast<T*>(buffer);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<T>(value(i));
}

// Segment ids as HF pads them: 0 before the second segment and past the row's end.
template <typename T>
void WriteTypes(void* buffer, const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len,
                const std::vector<uint32_t>& second_starts, int32_t pair_type) {
  T* out = static_cast<T*>(buffer);
  std::fill(out, out + rows.size() * seq_len, T{0});
  for (size_t r = 0; r < rows.size(); ++r) {
    T* dst = out + r * seq_len;
    const size_t end = rows[r]->size();
    for (size_t t = std::min<size_t>(second_starts[r], end); t < end; ++t) dst[t] = static_cast<T>(pair_type);
  }
}

template <typename T>
void WriteRows(void* buffer, const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len, bool mask,
               int32_t pad_id) {
  T* out = static_cast<T*>(buffer);
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::vector<int32_t>& row = *rows[r];
    T* dst = out + r * seq_len;
    for (size_t t = 0; t < row.size(); ++t) dst[t] = mask ? T{1} : static_cast<T>(row[t]);
    std::fill(dst + row.size(), dst + seq_len, mask ? T{0} : static_cast<T>(pad_id));
  }
}

}  // namespace

std::vector<float> Session::Run(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask, uint32_t rows,
                                uint32_t seq_len) const {
  return Run(ids, mask, nullptr, rows, seq_len);
}

std::vector<float> Session::Run(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask,
                                const std::vector<int64_t>* type_ids, uint32_t rows, uint32_t seq_len,
                                const CancelFlag* stop) const {
  const Impl& s = *impl_;
  const size_t count = static_cast<size_t>(rows) * seq_len;
  if (ids.size() != count || mask.size() != count || (type_ids != nullptr && type_ids->size() != count)) {
    throw Error(ErrorCode::kInvalidInput, "ids, mask and type ids must each hold rows x seq_len values");
  }
  auto slot = s.slots->Acquire(count);
  const auto& inputs = s.slots->inputs();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int role = static_cast<int>(i);
    // token_type_ids: the caller's segment ids, else one segment (RoBERTa has
    // a single type), so all zeros.
    std::function<int64_t(size_t)> value = [](size_t) { return int64_t{0}; };
    if (role == s.roles.ids) value = [&](size_t k) { return ids[k]; };
    if (role == s.roles.mask) value = [&](size_t k) { return mask[k]; };
    if (role == s.roles.type_ids && type_ids != nullptr) value = [&](size_t k) { return (*type_ids)[k]; };
    if (inputs[i].type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32) {
      WriteInput<int32_t>(slot->buffers[i], count, value);
    } else {
      WriteInput<int64_t>(slot->buffers[i], count, value);
    }
  }
  return s.Execute(*slot, rows, seq_len, stop);
}

std::vector<float> Session::RunRows(const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len,
                                    int32_t pad_id, const std::vector<uint32_t>* second_starts,
                                    int32_t pair_type) const {
  return RunRowsCancellable(rows, seq_len, pad_id, second_starts, pair_type, nullptr);
}

std::vector<float> Session::RunRowsCancellable(const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len,
                                               int32_t pad_id, const std::vector<uint32_t>* second_starts,
                                               int32_t pair_type, const CancelFlag* stop) const {
  const Impl& s = *impl_;
  for (const auto* row : rows) {
    if (row->size() > seq_len) throw Error(ErrorCode::kInvalidInput, "a row is longer than the batch's seq_len");
  }
  if (second_starts != nullptr && second_starts->size() != rows.size()) {
    throw Error(ErrorCode::kInvalidInput, "second_starts must hold one value per row");
  }
  const size_t count = rows.size() * static_cast<size_t>(seq_len);
  auto slot = s.slots->Acquire(count);
  const auto& inputs = s.slots->inputs();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int role = static_cast<int>(i);
    void* buffer = slot->buffers[i];
    const bool int32 = inputs[i].type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    if (role == s.roles.ids || role == s.roles.mask) {
      const bool is_mask = role == s.roles.mask;
      int32 ? WriteRows<int32_t>(buffer, rows, seq_len, is_mask, pad_id)
            : WriteRows<int64_t>(buffer, rows, seq_len, is_mask, pad_id);
    } else if (role == s.roles.type_ids && second_starts != nullptr) {
      int32 ? WriteTypes<int32_t>(buffer, rows, seq_len, *second_starts, pair_type)
            : WriteTypes<int64_t>(buffer, rows, seq_len, *second_starts, pair_type);
    } else {
      std::memset(buffer, 0, count * ort::ElementSize(inputs[i].type));
    }
  }
  return s.Execute(*slot, static_cast<uint32_t>(rows.size()), seq_len, stop);
}

std::vector<float> Session::Impl::Execute(ort::InputSlots::Slot& slot, uint32_t rows, uint32_t seq_len,
                                          const CancelFlag* stop) const {
  const Impl& s = *this;
  const size_t count = static_cast<size_t>(rows) * seq_len;
  const std::array<int64_t, 2> shape{static_cast<int64_t>(rows), static_cast<int64_t>(seq_len)};
  const auto& specs = s.slots->inputs();
  std::vector<Ort::Value> inputs;
  std::vector<const char*> names;
  inputs.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    inputs.push_back(Ort::Value::CreateTensor(s.slots->memory_info(), slot.buffers[i],
                                              count * ort::ElementSize(specs[i].type), shape.data(), shape.size(),
                                              specs[i].type));
    names.push_back(s.input_names[i].c_str());
  }
  const char* out_name = s.output_names[0].c_str();

  // A Run that another thread can stop: its own options, whose terminate
  // flag the stop hook sets (ORT checks it before each node).
  std::unique_ptr<Ort::RunOptions> run_options;
  CancelFlag::Hook stop_hook;
  if (stop != nullptr) {
    if (stop->raised()) throw Error(ErrorCode::kCancelled, "The operation was aborted");
    run_options = std::make_unique<Ort::RunOptions>();
    OrtRunOptions* raw = *run_options;
    const OrtApi* api = s.runtime->api;
    stop_hook = stop->OnRaise([api, raw] { api->ReleaseStatus(api->RunOptionsSetTerminate(raw)); });
  }
  const Ort::RunOptions no_options{nullptr};
  const Ort::RunOptions& options = run_options ? *run_options : no_options;
  std::vector<Ort::Value> outputs;
  try {
    if (s.info.io_binding) {
      if (!slot.binding) slot.binding = std::make_unique<Ort::IoBinding>(*s.session);
      Ort::IoBinding& binding = *slot.binding;
      binding.ClearBoundInputs();
      binding.ClearBoundOutputs();
      for (size_t i = 0; i < inputs.size(); ++i) binding.BindInput(names[i], inputs[i]);
      binding.BindOutput(out_name, *s.cpu_memory);
      binding.SynchronizeInputs();
      s.session->Run(options, binding);
      binding.SynchronizeOutputs();
      outputs = binding.GetOutputValues();
    } else {
      outputs = s.session->Run(options, names.data(), inputs.data(), inputs.size(), &out_name, 1);
    }
  } catch (const Ort::Exception& e) {
    if (IsRaised(stop)) throw Error(ErrorCode::kCancelled, "The operation was aborted");
    throw Error(ErrorCode::kRuntime, "ONNX Runtime failed to run a batch: " + ort::CleanOrtMessage(e.what()));
  }
  if (outputs.size() != 1) throw Error(ErrorCode::kRuntime, "model returned no logits");
  auto out_shape = outputs[0].GetTensorTypeAndShapeInfo().GetShape();
  if (out_shape.size() != 2 || out_shape[0] != rows || out_shape[1] < 1) {
    throw Error(ErrorCode::kRuntime, "model returned logits of an unexpected shape");
  }
  const size_t labels = static_cast<size_t>(out_shape[1]);
  std::vector<float> scores(rows);
  if (s.output_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16) {
    const auto* data = outputs[0].GetTensorData<Ort::Float16_t>();
    for (uint32_t r = 0; r < rows; ++r) scores[r] = data[r * labels].ToFloat();
  } else {
    const float* data = outputs[0].GetTensorData<float>();
    for (uint32_t r = 0; r < rows; ++r) scores[r] = data[r * labels];
  }
  return scores;
}

}  // namespace cappy
