#include "session/ort_runtime.h"

#include <dlfcn.h>

#include <map>
#include <memory>
#include <mutex>
#include <onnxruntime_cxx_api.h>

#include "cappy/cappy.h"

namespace cappy {
namespace ort {

namespace {
std::mutex g_mutex;
std::unique_ptr<Runtime> g_runtime;  // never unloaded: ORT objects may outlive any owner
std::map<std::string, std::string> g_ep_libraries;  // path -> registration name
}  // namespace

const Runtime& LoadRuntime(const std::string& library_path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_runtime) {
    if (g_runtime->library_path != library_path) {
      throw Error(ErrorCode::kModelLoad,
                  "ONNX Runtime is already loaded from " + g_runtime->library_path +
                      "; one process can use only one ORT library (asked for " + library_path + ")");
    }
    return *g_runtime;
  }
  // RTLD_LOCAL keeps this ORT's symbols out of the global scope, so another
  // ORT in the same process (onnxruntime-node, say) cannot interpose on them.
  void* handle = dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw Error(ErrorCode::kModelLoad,
                "cannot load ONNX Runtime from " + library_path + ": " + (why ? why : "unknown error") +
                    ". Install the npm package com.github.asus4.onnxruntime or set CAPPY_ORT_LIB to a libonnxruntime.so");
  }
  using GetApiBaseFn = const OrtApiBase* (*)();
  auto get_api_base = reinterpret_cast<GetApiBaseFn>(dlsym(handle, "OrtGetApiBase"));
  if (get_api_base == nullptr) {
    dlclose(handle);
    throw Error(ErrorCode::kModelLoad, library_path + " is not an ONNX Runtime library (no OrtGetApiBase)");
  }
  const OrtApiBase* base = get_api_base();
  const OrtApi* api = base->GetApi(ORT_API_VERSION);
  if (api == nullptr) {
    std::string version = base->GetVersionString();
    dlclose(handle);
    throw Error(ErrorCode::kModelLoad,
                "ONNX Runtime at " + library_path + " is version " + version + ", which lacks API version " +
                    std::to_string(ORT_API_VERSION) + " (ORT 1." + std::to_string(ORT_API_VERSION) +
                    " or newer is needed)");
  }
  Ort::InitApi(api);
  auto runtime = std::make_unique<Runtime>();
  runtime->library_path = library_path;
  runtime->version = base->GetVersionString();
  runtime->api_base = base;
  runtime->api = api;
  try {
    runtime->env = new Ort::Env(ORT_LOGGING_LEVEL_ERROR, "cappy");
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::kModelLoad, std::string("ONNX Runtime cannot create its environment: ") + e.what());
  }
  g_runtime = std::move(runtime);
  return *g_runtime;
}

std::string RegisterEpLibrary(const Runtime& runtime, const std::string& ep_library_path) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto found = g_ep_libraries.find(ep_library_path);
  if (found != g_ep_libraries.end()) return found->second;
  const std::string name = "cappy.ep." + std::to_string(g_ep_libraries.size());
  try {
    runtime.env->RegisterExecutionProviderLibrary(name.c_str(), ep_library_path);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::kDeviceUnavailable,
                "ONNX Runtime cannot load the execution provider library " + ep_library_path + ": " + e.what());
  }
  g_ep_libraries.emplace(ep_library_path, name);
  return name;
}

}  // namespace ort

std::string LoadSharedLibrary(const std::string& name_or_path) {
  // RTLD_LOCAL: only the library's presence matters. Once loaded, the dynamic
  // loader matches it by soname, so an EP library that needs it finds it even
  // when the folder is not on LD_LIBRARY_PATH. Never closed, on purpose.
  if (dlopen(name_or_path.c_str(), RTLD_NOW | RTLD_LOCAL) != nullptr) return "";
  const char* why = dlerror();
  return why != nullptr ? why : "unknown dlopen error";
}

}  // namespace cappy
