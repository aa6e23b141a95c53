// Loads ONNX Runtime at run time by path, so one build of the addon can use
// the npm CPU build, a full GPU build with TensorRT, or anything else the user
// points CAPPY_ORT_LIB at. Nothing links against libonnxruntime.so.
#pragma once

#include <string>

struct OrtApi;
struct OrtApiBase;
namespace Ort {
struct Env;
}

namespace cappy {
namespace ort {

struct Runtime {
  std::string library_path;
  std::string version;
  const OrtApiBase* api_base = nullptr;
  const OrtApi* api = nullptr;
  // One OrtEnv for the process. ORT keeps a single environment anyway, and
  // execution provider libraries are registered on it, so every session must
  // share it. Never released, like the library itself.
  Ort::Env* env = nullptr;
};

// dlopens `library_path` on first use and initializes the ORT C++ API with it.
// The C++ API keeps one process-wide OrtApi pointer, so a process uses one ORT
// library: asking for a different path later throws Error(kModelLoad).
const Runtime& LoadRuntime(const std::string& library_path);

// Registers a plugin execution provider library (CreateEpFactories) on the
// shared env once per path and returns its registration name. Throws
// Error(kDeviceUnavailable) with ORT's reason when the library cannot load.
std::string RegisterEpLibrary(const Runtime& runtime, const std::string& ep_library_path);

}  // namespace ort
}  // namespace cappy
