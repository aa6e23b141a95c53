#include "session/execution_provider.h"

#include <unordered_map>
#include <vector>

namespace cappy {
namespace ort {

namespace {

constexpr const char* kCudaEpName = "CUDAExecutionProvider";

std::string DirOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The CUDA plugin EP: register the library on the shared env, pick the
// OrtEpDevice for the asked-for ordinal, and append it.
EpSetup AppendCudaPlugin(const Runtime& runtime, const SessionOptions& options, Ort::SessionOptions& so) {
  if (options.ep_library_path.empty()) {
    throw Error(ErrorCode::kDeviceUnavailable, "device 'cuda' needs the path of libonnxruntime_providers_cuda.so");
  }
  RegisterEpLibrary(runtime, options.ep_library_path);
  std::vector<Ort::ConstEpDevice> cuda;
  for (const Ort::ConstEpDevice& d : runtime.env->GetEpDevices()) {
    if (std::string(d.EpName()) == kCudaEpName) cuda.push_back(d);
  }
  if (cuda.empty()) {
    throw Error(ErrorCode::kDeviceUnavailable,
                "the CUDA execution provider loaded but found no NVIDIA GPU (is the driver running? nvidia-smi "
                "should list one)");
  }
  // The CUDA EP factory numbers its devices with a "device_id" EP option;
  // fall back to enumeration order when a build does not set it.
  const std::string wanted = std::to_string(options.device_id);
  const Ort::ConstEpDevice* chosen = nullptr;
  for (const Ort::ConstEpDevice& d : cuda) {
    const char* id = d.EpOptions().GetValue("device_id");
    if (id != nullptr && wanted == id) chosen = &d;
  }
  if (chosen == nullptr && options.device_id >= 0 && static_cast<size_t>(options.device_id) < cuda.size()) {
    chosen = &cuda[static_cast<size_t>(options.device_id)];
  }
  if (chosen == nullptr) {
    throw Error(ErrorCode::kDeviceUnavailable, "deviceId " + wanted + " is not a CUDA device here; " +
                                                   std::to_string(cuda.size()) + " found (ids 0.." +
                                                   std::to_string(cuda.size() - 1) + ")");
  }
  try {
    std::unordered_map<std::string, std::string> ep_options(options.provider_options.begin(),
                                                            options.provider_options.end());
    so.AppendExecutionProvider_V2(*runtime.env, {*chosen}, ep_options);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::kDeviceUnavailable, "cannot add the CUDA execution provider: " + CleanOrtMessage(e.what()));
  }
  EpSetup setup;
  const OrtMemoryInfo* host = runtime.api->EpDevice_MemoryInfo(*chosen, OrtDeviceMemoryType_HOST_ACCESSIBLE);
  if (host != nullptr) {
    OrtAllocator* allocator = nullptr;
    OrtStatus* status = runtime.api->GetSharedAllocator(*runtime.env, host, &allocator);
    if (status == nullptr) {
      setup.pinned_allocator = allocator;
    } else {
      runtime.api->ReleaseStatus(status);  // no pinned memory: inputs stay in plain host memory
    }
  }
  return setup;
}

std::string Shape(const char* name, const uint32_t shape[2]) {
  return std::string(name) + ":" + std::to_string(shape[0]) + "x" + std::to_string(shape[1]);
}

// TensorRT through the provider bridge of a full ORT GPU build: the bridge
// loads libonnxruntime_providers_tensorrt.so from the ORT library's folder.
// CUDA goes after it so nodes TensorRT rejects still run on the GPU.
EpSetup AppendTensorRt(const Runtime& runtime, const SessionOptions& options, Ort::SessionOptions& so) {
  const std::string dir = DirOf(runtime.library_path);
  auto profile = [](const uint32_t shape[2]) {
    return Shape("input_ids", shape) + "," + Shape("attention_mask", shape);
  };
  std::vector<std::pair<std::string, std::string>> kv = {
      {"device_id", std::to_string(options.device_id)},
      {"trt_fp16_enable", options.trt_fp16 ? "1" : "0"},
      {"trt_engine_cache_enable", "1"},
      {"trt_engine_cache_path", options.trt_cache_dir},
      {"trt_timing_cache_enable", "1"},
      {"trt_timing_cache_path", options.trt_cache_dir},
      {"trt_profile_min_shapes", profile(options.trt_min_shape)},
      {"trt_profile_opt_shapes", profile(options.trt_opt_shape)},
      {"trt_profile_max_shapes", profile(options.trt_max_shape)},
  };
  kv.insert(kv.end(), options.provider_options.begin(), options.provider_options.end());
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : kv) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  const OrtApi& api = *runtime.api;
  OrtTensorRTProviderOptionsV2* trt = nullptr;
  auto fail = [&](OrtStatus* status, const std::string& what) {
    std::string message = what + ": " + CleanOrtMessage(api.GetErrorMessage(status));
    api.ReleaseStatus(status);
    if (trt != nullptr) api.ReleaseTensorRTProviderOptions(trt);
    throw Error(ErrorCode::kDeviceUnavailable,
                message +
                    " (TensorRT needs a full ONNX Runtime GPU build as the ORT library, with "
                    "libonnxruntime_providers_tensorrt.so in " +
                    dir + ", and TensorRT 10 libraries)");
  };
  if (OrtStatus* s = api.CreateTensorRTProviderOptions(&trt)) fail(s, "cannot create TensorRT options");
  if (OrtStatus* s = api.UpdateTensorRTProviderOptions(trt, keys.data(), values.data(), keys.size())) {
    fail(s, "invalid TensorRT options");
  }
  if (OrtStatus* s = api.SessionOptionsAppendExecutionProvider_TensorRT_V2(so, trt)) {
    fail(s, "cannot add the TensorRT execution provider");
  }
  api.ReleaseTensorRTProviderOptions(trt);
  trt = nullptr;

  OrtCUDAProviderOptionsV2* cuda = nullptr;
  if (OrtStatus* s = api.CreateCUDAProviderOptions(&cuda)) fail(s, "cannot create CUDA options");
  const std::string device = std::to_string(options.device_id);
  const char* ck[] = {"device_id"};
  const char* cv[] = {device.c_str()};
  OrtStatus* s = api.UpdateCUDAProviderOptions(cuda, ck, cv, 1);
  if (s == nullptr) s = api.SessionOptionsAppendExecutionProvider_CUDA_V2(so, cuda);
  api.ReleaseCUDAProviderOptions(cuda);
  if (s != nullptr) fail(s, "cannot add CUDA after TensorRT");
  EpSetup setup;
  setup.pinned_from_session = true;
  return setup;
}

}  // namespace

EpSetup AppendExecutionProvider(const Runtime& runtime, const SessionOptions& options, Ort::SessionOptions& so) {
  if (options.execution_provider == "cpu") return {};
  if (options.execution_provider == "cuda") return AppendCudaPlugin(runtime, options, so);
  if (options.execution_provider == "tensorrt") return AppendTensorRt(runtime, options, so);
  throw Error(ErrorCode::kInvalidInput, "unknown execution provider '" + options.execution_provider + "'");
}

}  // namespace ort
}  // namespace cappy
