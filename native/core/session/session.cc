// cappy::Session: one ORT inference session over a cross-encoder graph with
// inputs input_ids / attention_mask (token_type_ids optional: the caller's
// segment ids, else zeros) and one logits output. Model checks happen at load
// so a wrong file fails with a clear message instead of at the first score.
#include <onnxruntime_cxx_api.h>

#include <array>
#include <cstring>
#include <fstream>
#include <mutex>

#include "cappy/cappy.h"
#include "session/ort_runtime.h"
#include "session/tensor_convert.h"

namespace cappy {

namespace {

const char* ElementTypeName(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: return "bfloat16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return "bool";
    default: return "other";
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

void CheckFileReadable(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::kModelLoad, "model file not found or unreadable: " + path);
}

}  // namespace

struct Session::Impl {
  const ort::Runtime* runtime = nullptr;
  std::unique_ptr<Ort::Env> env;
  std::unique_ptr<Ort::Session> session;
  // Held by pointer: an Ort wrapper's destructor calls into the ORT API even
  // when empty, which would crash if loading ORT itself failed.
  std::unique_ptr<Ort::MemoryInfo> cpu_memory;
  SessionInfo info;
  InputRoles roles;
  bool ids_are_int32 = false;
  bool mask_is_int32 = false;
  bool type_ids_are_int32 = false;
  ONNXTensorElementDataType output_type = ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
};

Session::Session(const SessionOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.runtime = &ort::LoadRuntime(options.ort_library_path);
  CheckFileReadable(options.model_path);
  if (options.execution_provider != "cpu") {
    throw Error(ErrorCode::kModelLoad,
                "execution provider '" + options.execution_provider + "' is not available in this build; use 'cpu'");
  }
  try {
    // One Env per session keeps sessions independent; its cost is negligible
    // next to loading a model.
    s.env = std::make_unique<Ort::Env>(ORT_LOGGING_LEVEL_ERROR, "cappy");
    Ort::SessionOptions so;
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    if (options.intra_op_threads > 0) so.SetIntraOpNumThreads(options.intra_op_threads);
    so.SetInterOpNumThreads(1);
    s.session = std::make_unique<Ort::Session>(*s.env, options.model_path.c_str(), so);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::kModelLoad, "ONNX Runtime cannot load " + options.model_path + ": " + e.what());
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
    int* role = t.name == "input_ids" ? &s.roles.ids
                : t.name == "attention_mask" ? &s.roles.mask
                : t.name == "token_type_ids" ? &s.roles.type_ids
                : nullptr;
    if (role == nullptr || !int_type) {
      throw Error(ErrorCode::kModelLoad,
                  "model " + options.model_path + " is not a cross-encoder this engine can feed: it takes " +
                      list_inputs() + "; expected input_ids and attention_mask (int64 or int32), optionally token_type_ids");
    }
    *role = static_cast<int>(i);
  }
  if (s.roles.ids < 0 || s.roles.mask < 0) {
    throw Error(ErrorCode::kModelLoad, "model " + options.model_path + " takes " + list_inputs() +
                                           "; it must take both input_ids and attention_mask");
  }
  s.ids_are_int32 = s.info.inputs[s.roles.ids].element_type == "int32";
  s.mask_is_int32 = s.info.inputs[s.roles.mask].element_type == "int32";
  s.type_ids_are_int32 = s.roles.type_ids >= 0 && s.info.inputs[s.roles.type_ids].element_type == "int32";

  if (s.info.outputs.empty()) throw Error(ErrorCode::kModelLoad, "model has no outputs");
  // The score is logits[:, 0]; prefer an output named logits, else the first.
  size_t out_index = 0;
  for (size_t i = 0; i < s.info.outputs.size(); ++i) {
    if (s.info.outputs[i].name == "logits") out_index = i;
  }
  const TensorInfo& out = s.info.outputs[out_index];
  if (out.element_type != "float32" && out.element_type != "float16") {
    throw Error(ErrorCode::kModelLoad, "output " + out.name + " is " + out.element_type + "; expected float32 or float16");
  }
  if (out.shape.size() != 2) {
    throw Error(ErrorCode::kModelLoad, "output " + out.name + " has rank " + std::to_string(out.shape.size()) +
                                           "; expected [batch, labels]");
  }
  s.output_type = out.element_type == "float16" ? ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16
                                                : ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
  s.output_names = {out.name};

  s.cpu_memory = std::make_unique<Ort::MemoryInfo>(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault));
  s.info.ort_version = s.runtime->version;
  s.info.ort_library_path = s.runtime->library_path;
  s.info.execution_provider = "cpu";
}

Session::~Session() = default;

const SessionInfo& Session::info() const noexcept { return impl_->info; }

bool Session::takes_type_ids() const noexcept { return impl_->roles.type_ids >= 0; }

std::vector<float> Session::Run(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask, uint32_t rows,
                                uint32_t seq_len) const {
  return Run(ids, mask, nullptr, rows, seq_len);
}

std::vector<float> Session::Run(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask,
                                const std::vector<int64_t>* type_ids, uint32_t rows, uint32_t seq_len) const {
  const Impl& s = *impl_;
  const size_t count = static_cast<size_t>(rows) * seq_len;
  if (ids.size() != count || mask.size() != count || (type_ids != nullptr && type_ids->size() != count)) {
    throw Error(ErrorCode::kInvalidInput, "ids, mask and type ids must each hold rows x seq_len values");
  }
  const std::array<int64_t, 2> shape{static_cast<int64_t>(rows), static_cast<int64_t>(seq_len)};

  // int32 graphs get converted copies; int64 graphs read the caller's buffers.
  std::vector<int32_t> ids32, mask32, types32;
  std::vector<int64_t> types64;
  auto int_tensor = [&](const std::vector<int64_t>& src, bool as_int32, std::vector<int32_t>& scratch) {
    if (as_int32) {
      NarrowToInt32(src, scratch);
      return Ort::Value::CreateTensor<int32_t>(*s.cpu_memory, scratch.data(), count, shape.data(), 2);
    }
    return Ort::Value::CreateTensor<int64_t>(*s.cpu_memory, const_cast<int64_t*>(src.data()), count, shape.data(), 2);
  };

  std::vector<Ort::Value> inputs;
  std::vector<const char*> names;
  inputs.reserve(s.input_names.size());
  for (size_t i = 0; i < s.input_names.size(); ++i) {
    const int role = static_cast<int>(i);
    if (role == s.roles.ids) {
      inputs.push_back(int_tensor(ids, s.ids_are_int32, ids32));
    } else if (role == s.roles.mask) {
      inputs.push_back(int_tensor(mask, s.mask_is_int32, mask32));
    } else if (type_ids != nullptr) {
      inputs.push_back(int_tensor(*type_ids, s.type_ids_are_int32, types32));
    } else {
      // No segment ids given: one segment (RoBERTa has a single type), all zeros.
      types64.assign(count, 0);
      inputs.push_back(int_tensor(types64, s.type_ids_are_int32, types32));
    }
    names.push_back(s.input_names[i].c_str());
  }
  const char* out_name = s.output_names[0].c_str();

  std::vector<Ort::Value> outputs;
  try {
    outputs = s.session->Run(Ort::RunOptions{nullptr}, names.data(), inputs.data(), inputs.size(), &out_name, 1);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::kRuntime, std::string("ONNX Runtime failed to run a batch: ") + e.what());
  }
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
