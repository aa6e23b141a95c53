#include "session/ort_runtime.h"

#include <dlfcn.h>

#include <memory>
#include <mutex>
#include <onnxruntime_cxx_api.h>

#include "cappy/cappy.h"

namespace cappy {
namespace ort {

namespace {
std::mutex g_mutex;
std::unique_ptr<Runtime> g_runtime;  // never unloaded: ORT objects may outlive any owner
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
  g_runtime = std::move(runtime);
  return *g_runtime;
}

}  // namespace ort
}  // namespace cappy
