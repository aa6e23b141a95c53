// Loads ONNX Runtime at run time by path, so one build of the addon can use
// the npm CPU build, a full GPU build with TensorRT, or anything else the user
// points CAPPY_ORT_LIB at. Nothing links against libonnxruntime.so.
#pragma once

#include <string>

struct OrtApi;
struct OrtApiBase;

namespace cappy {
namespace ort {

struct Runtime {
  std::string library_path;
  std::string version;
  const OrtApiBase* api_base = nullptr;
  const OrtApi* api = nullptr;
};

// dlopens `library_path` on first use and initializes the ORT C++ API with it.
// The C++ API keeps one process-wide OrtApi pointer, so a process uses one ORT
// library: asking for a different path later throws Error(kModelLoad).
const Runtime& LoadRuntime(const std::string& library_path);

}  // namespace ort
}  // namespace cappy
