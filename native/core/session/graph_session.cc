// cappy::GraphSession: any ONNX graph, named host tensors in and out. The
// checks happen before ORT sees a tensor, so a wrong name, type or shape is an
// INVALID_INPUT naming it rather than ORT's message from deep in a kernel.
#include <onnxruntime_cxx_api.h>

#include <cstring>
#include <fstream>
#include <map>

#include "cappy/cappy.h"
#include "session/execution_provider.h"
#include "session/ort_runtime.h"

namespace cappy {

namespace {

struct TypeRow {
  ElementType type;
  ONNXTensorElementDataType onnx;
  const char* name;
  size_t size;
};

constexpr TypeRow kTypes[] = {
    {ElementType::kFloat32, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, "float32", 4},
    {ElementType::kFloat64, ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, "float64", 8},
    {ElementType::kFloat16, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, "float16", 2},
    {ElementType::kInt64, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, "int64", 8},
    {ElementType::kInt32, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, "int32", 4},
    {ElementType::kInt8, ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, "int8", 1},
    {ElementType::kUint64, ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, "uint64", 8},
    {ElementType::kUint32, ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, "uint32", 4},
    {ElementType::kUint8, ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, "uint8", 1},
    {ElementType::kBool, ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, "bool", 1},
};

ElementType FromOnnx(ONNXTensorElementDataType t) {
  for (const TypeRow& row : kTypes) {
    if (row.onnx == t) return row.type;
  }
  return ElementType::kOther;
}

ONNXTensorElementDataType ToOnnx(ElementType t) {
  for (const TypeRow& row : kTypes) {
    if (row.type == t) return row.onnx;
  }
  return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
}

GraphTensorInfo Describe(const std::string& name, const Ort::TypeInfo& type) {
  GraphTensorInfo info;
  info.name = name;
  if (type.GetONNXType() != ONNX_TYPE_TENSOR) return info;  // kOther: no host tensor can feed it
  auto tensor = type.GetTensorTypeAndShapeInfo();
  info.type = FromOnnx(tensor.GetElementType());
  info.shape = tensor.GetShape();
  std::vector<const char*> names(info.shape.size(), nullptr);
  tensor.GetSymbolicDimensions(names.data(), names.size());
  for (const char* n : names) info.dim_names.emplace_back(n != nullptr ? n : "");
  return info;
}

std::string ShapeText(const std::vector<int64_t>& shape, const std::vector<std::string>* names = nullptr) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    if (names != nullptr && !(*names)[i].empty()) {
      s += (*names)[i];
    } else {
      s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
    }
  }
  return s + "]";
}

size_t ElementCount(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

GraphOptimizationLevel OptimizationLevel(const std::string& level) {
  if (level == "all") return GraphOptimizationLevel::ORT_ENABLE_ALL;
  if (level == "extended") return GraphOptimizationLevel::ORT_ENABLE_EXTENDED;
  if (level == "basic") return GraphOptimizationLevel::ORT_ENABLE_BASIC;
  if (level == "none") return GraphOptimizationLevel::ORT_DISABLE_ALL;
  throw Error(ErrorCode::kInvalidInput,
              "unknown graph optimization level '" + level + "' (all, extended, basic, none)");
}

template <typename T>
void AddInto(void* into, const void* from, size_t count) {
  T* out = static_cast<T*>(into);
  const T* in = static_cast<const T*>(from);
  for (size_t i = 0; i < count; ++i) out[i] += in[i];
}

}  // namespace

const char* ElementTypeName(ElementType type) noexcept {
  for (const TypeRow& row : kTypes) {
    if (row.type == type) return row.name;
  }
  return "other";
}

size_t ElementTypeSize(ElementType type) noexcept {
  for (const TypeRow& row : kTypes) {
    if (row.type == type) return row.size;
  }
  return 0;
}

struct GraphSession::Impl {
  const ort::Runtime* runtime = nullptr;
  std::unique_ptr<Ort::Session> session;
  std::unique_ptr<Ort::MemoryInfo> cpu_memory;
  GraphSessionInfo info;
  std::map<std::string, size_t> input_index;
  std::map<std::string, size_t> output_index;
  bool profiling = false;

  void CheckInputs(const std::vector<HostTensor>& inputs) const;
  void CheckOutputs(const std::vector<OutputRequest>& outputs) const;
};

GraphSession::GraphSession(const GraphSessionOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  if (options.execution_provider != "cpu" && options.execution_provider != "cuda") {
    throw Error(ErrorCode::kInvalidInput,
                "a graph session runs on 'cpu' or 'cuda', not '" + options.execution_provider + "'");
  }
  s.runtime = options.ort_api_base != nullptr ? &ort::AdoptRuntime(options.ort_api_base, options.ort_env)
                                              : &ort::LoadRuntime(options.ort_library_path, options.ort_link);
  {
    std::ifstream f(options.model_path, std::ios::binary);
    if (!f) throw Error(ErrorCode::kModelLoad, "model file not found or unreadable: " + options.model_path);
  }
  Ort::SessionOptions so;
  try {
    so.SetGraphOptimizationLevel(OptimizationLevel(options.optimization));
    if (options.intra_op_threads > 0) so.SetIntraOpNumThreads(options.intra_op_threads);
    so.SetInterOpNumThreads(1);
    so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
    so.SetDeterministicCompute(options.deterministic);
    if (!options.memory_pattern) so.DisableMemPattern();
    for (const auto& [key, value] : options.config_entries) so.AddConfigEntry(key.c_str(), value.c_str());
    if (!options.profile_prefix.empty()) {
      so.EnableProfiling(options.profile_prefix.c_str());
      s.profiling = true;
    }
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::kModelLoad, std::string("invalid session options: ") + e.what());
  }
  // The EP code takes the scorer's options; only these fields matter to it.
  SessionOptions ep_options;
  ep_options.execution_provider = options.execution_provider;
  ep_options.device_id = options.device_id;
  ep_options.ep_library_path = options.ep_library_path;
  ep_options.provider_options = options.provider_options;
  ort::AppendExecutionProvider(*s.runtime, ep_options, so);  // throws kDeviceUnavailable
  try {
    s.session = std::make_unique<Ort::Session>(*s.runtime->env, options.model_path.c_str(), so);
  } catch (const Ort::Exception& e) {
    const ErrorCode code = options.execution_provider == "cpu" ? ErrorCode::kModelLoad : ErrorCode::kDeviceUnavailable;
    throw Error(
        code, "ONNX Runtime cannot load " + options.model_path + " on " + options.execution_provider + ": " + e.what());
  }
  Ort::AllocatorWithDefaultOptions allocator;
  for (size_t i = 0; i < s.session->GetInputCount(); ++i) {
    const std::string name = s.session->GetInputNameAllocated(i, allocator).get();
    s.info.inputs.push_back(Describe(name, s.session->GetInputTypeInfo(i)));
    s.input_index[name] = i;
  }
  for (size_t i = 0; i < s.session->GetOutputCount(); ++i) {
    const std::string name = s.session->GetOutputNameAllocated(i, allocator).get();
    s.info.outputs.push_back(Describe(name, s.session->GetOutputTypeInfo(i)));
    s.output_index[name] = i;
  }
  s.cpu_memory = std::make_unique<Ort::MemoryInfo>(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault));
  static_cast<RuntimeInfo&>(s.info) = ort::DescribeRuntime(*s.runtime, options.execution_provider, options.device_id);
  s.info.intra_op_threads = options.intra_op_threads;
}

GraphSession::~GraphSession() = default;

const GraphSessionInfo& GraphSession::info() const noexcept { return impl_->info; }

void GraphSession::Impl::CheckInputs(const std::vector<HostTensor>& inputs) const {
  std::vector<bool> given(info.inputs.size(), false);
  std::map<std::string, std::pair<int64_t, std::string>> dims;  // symbolic name -> (value, where)
  for (const HostTensor& t : inputs) {
    auto found = input_index.find(t.name);
    if (found == input_index.end()) {
      std::string names;
      for (const auto& in : info.inputs) names += (names.empty() ? "" : ", ") + in.name;
      throw Error(ErrorCode::kInvalidInput, "the graph has no input '" + t.name + "' (its inputs: " + names + ")");
    }
    if (given[found->second]) throw Error(ErrorCode::kInvalidInput, "input '" + t.name + "' is given twice");
    given[found->second] = true;
    const GraphTensorInfo& want = info.inputs[found->second];
    if (t.type != want.type) {
      throw Error(ErrorCode::kInvalidInput,
                  "input '" + t.name + "' must be " + ElementTypeName(want.type) + ", got " + ElementTypeName(t.type));
    }
    const std::string expected = ShapeText(want.shape, &want.dim_names);
    if (t.shape.size() != want.shape.size()) {
      throw Error(ErrorCode::kInvalidInput,
                  "input '" + t.name + "' must have shape " + expected + ", got " + ShapeText(t.shape));
    }
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0 || (want.shape[d] >= 0 && t.shape[d] != want.shape[d])) {
        throw Error(ErrorCode::kInvalidInput,
                    "input '" + t.name + "' must have shape " + expected + ", got " + ShapeText(t.shape));
      }
      const std::string& sym = want.dim_names[d];
      if (want.shape[d] >= 0 || sym.empty()) continue;
      auto seen = dims.emplace(sym, std::make_pair(t.shape[d], t.name));
      if (!seen.second && seen.first->second.first != t.shape[d]) {
        throw Error(ErrorCode::kInvalidInput, "dim '" + sym + "' is " + std::to_string(seen.first->second.first) +
                                                  " in input '" + seen.first->second.second + "' but " +
                                                  std::to_string(t.shape[d]) + " in input '" + t.name + "'");
      }
    }
    const size_t bytes = ElementCount(t.shape) * ElementTypeSize(t.type);
    if (bytes != t.byte_length || (bytes > 0 && t.data == nullptr)) {
      throw Error(ErrorCode::kInvalidInput, "input '" + t.name + "' of shape " + ShapeText(t.shape) + " needs " +
                                                std::to_string(bytes) + " bytes of data, got " +
                                                std::to_string(t.byte_length));
    }
  }
  for (size_t i = 0; i < given.size(); ++i) {
    if (!given[i]) throw Error(ErrorCode::kInvalidInput, "input '" + info.inputs[i].name + "' is missing");
  }
}

void GraphSession::Impl::CheckOutputs(const std::vector<OutputRequest>& outputs) const {
  std::vector<bool> asked(info.outputs.size(), false);
  for (const OutputRequest& o : outputs) {
    auto found = output_index.find(o.name);
    if (found == output_index.end()) {
      std::string names;
      for (const auto& out : info.outputs) names += (names.empty() ? "" : ", ") + out.name;
      throw Error(ErrorCode::kInvalidInput, "the graph has no output '" + o.name + "' (its outputs: " + names + ")");
    }
    if (asked[found->second]) throw Error(ErrorCode::kInvalidInput, "output '" + o.name + "' is asked for twice");
    asked[found->second] = true;
    if (o.into == nullptr) continue;
    const GraphTensorInfo& have = info.outputs[found->second];
    if (o.type != have.type) {
      throw Error(ErrorCode::kInvalidInput, "output '" + o.name + "' is " + ElementTypeName(have.type) +
                                                "; its buffer is " + ElementTypeName(o.type));
    }
    if (o.accumulate) {
      if (o.type != ElementType::kFloat32 && o.type != ElementType::kFloat64) {
        throw Error(ErrorCode::kInvalidInput, "output '" + o.name + "' can be accumulated only as float32 or float64");
      }
      continue;
    }
    const size_t bytes = ElementCount(o.shape) * ElementTypeSize(o.type);
    if (bytes != o.byte_length) {
      throw Error(ErrorCode::kInvalidInput, "output '" + o.name + "' of shape " + ShapeText(o.shape) + " needs " +
                                                std::to_string(bytes) + " bytes, its buffer has " +
                                                std::to_string(o.byte_length));
    }
  }
}

std::vector<OutputTensor> GraphSession::Run(const std::vector<HostTensor>& inputs,
                                            const std::vector<OutputRequest>& outputs, const CancelFlag* cancel) const {
  const Impl& s = *impl_;
  s.CheckInputs(inputs);
  s.CheckOutputs(outputs);
  if (IsRaised(cancel)) throw Error(ErrorCode::kCancelled, "the run was cancelled");

  std::vector<Ort::Value> in_values;
  std::vector<const char*> in_names;
  in_values.reserve(inputs.size());
  for (const HostTensor& t : inputs) {
    in_values.push_back(
        Ort::Value::CreateTensor(*s.cpu_memory, t.data, t.byte_length, t.shape.data(), t.shape.size(), ToOnnx(t.type)));
    in_names.push_back(t.name.c_str());
  }
  std::vector<Ort::Value> out_values;
  std::vector<const char*> out_names;
  out_values.reserve(outputs.size());
  for (const OutputRequest& o : outputs) {
    out_names.push_back(o.name.c_str());
    if (o.into != nullptr && !o.accumulate) {
      out_values.push_back(Ort::Value::CreateTensor(*s.cpu_memory, o.into, o.byte_length, o.shape.data(),
                                                    o.shape.size(), ToOnnx(o.type)));
    } else {
      out_values.emplace_back(nullptr);  // ORT allocates it
    }
  }

  Ort::RunOptions run_options;
  try {
    // Raising the flag sets ORT's terminate flag on this run, which returns
    // at its next node (the hook runs on the raising thread, so it must not
    // throw: the C API is called directly).
    CancelFlag::Hook stop_hook;
    if (cancel != nullptr) {
      OrtRunOptions* raw = run_options;
      const OrtApi* api = s.runtime->api;
      stop_hook = cancel->OnRaise([api, raw] { api->ReleaseStatus(api->RunOptionsSetTerminate(raw)); });
    }
    s.session->Run(run_options, in_names.data(), in_values.data(), in_values.size(), out_names.data(),
                   out_values.data(), out_values.size());
  } catch (const Ort::Exception& e) {
    if (IsRaised(cancel)) throw Error(ErrorCode::kCancelled, "the run was cancelled");
    throw Error(ErrorCode::kRuntime, std::string("ONNX Runtime failed to run the graph: ") + e.what());
  }

  // A cancel that came while the last node ran still counts: nothing has
  // been added into the caller's buffers yet, so a cancelled run leaves them
  // as they were.
  if (IsRaised(cancel)) throw Error(ErrorCode::kCancelled, "the run was cancelled");
  std::vector<OutputTensor> results(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const OutputRequest& o = outputs[i];
    OutputTensor& r = results[i];
    r.name = o.name;
    auto shape_info = out_values[i].GetTensorTypeAndShapeInfo();
    r.type = FromOnnx(shape_info.GetElementType());
    r.shape = shape_info.GetShape();
    const size_t bytes = ElementCount(r.shape) * ElementTypeSize(r.type);
    if (o.into == nullptr) {
      const auto* data = static_cast<const uint8_t*>(out_values[i].GetTensorRawData());
      r.bytes.assign(data, data + bytes);
    } else if (o.accumulate) {
      if (bytes != o.byte_length) {
        throw Error(ErrorCode::kInvalidInput, "output '" + o.name + "' has shape " + ShapeText(r.shape) + " (" +
                                                  std::to_string(bytes) + " bytes); the buffer to add it into has " +
                                                  std::to_string(o.byte_length));
      }
      const void* data = out_values[i].GetTensorRawData();
      const size_t count = ElementCount(r.shape);
      o.type == ElementType::kFloat32 ? AddInto<float>(o.into, data, count) : AddInto<double>(o.into, data, count);
    }
  }
  return results;
}

std::string GraphSession::EndProfiling() {
  Impl& s = *impl_;
  if (!s.profiling) return "";
  s.profiling = false;
  Ort::AllocatorWithDefaultOptions allocator;
  return s.session->EndProfilingAllocated(allocator).get();
}

}  // namespace cappy
