// Loads ONNX Runtime at run time by path, so one build of the addon can use
// the npm CPU build, a full GPU build with TensorRT, or anything else the user
// points CAPPY_ORT_LIB at. Nothing links against libonnxruntime.so.
//
// How it is loaded decides whether another ORT can live in the same process
// (onnxruntime-node, which transformers.js runs on): see "ONNX Runtime" in
// docs/architecture.md. TypeScript picks the way (lib/runtime/ort-load.ts).
#pragma once

#include <string>

#include "cappy/runtime_info.h"

struct OrtApi;
struct OrtApiBase;
struct OrtEnv;
namespace Ort {
struct Env;
}

namespace cappy {
namespace ort {

struct Runtime {
  std::string library_path;  // as asked
  std::string loaded_path;   // the file whose code runs (another ORT's, with "reuse")
  std::string link;          // "path", "reuse" or "host": how it was loaded (below)
  std::string asked_link;    // the link asked for ("reuse" may end as "path")
  std::string version;
  const OrtApiBase* api_base = nullptr;
  const OrtApi* api = nullptr;
  // One OrtEnv for the process. ORT keeps a single environment anyway, and
  // execution provider libraries are registered on it, so every session must
  // share it. Never released, like the library itself.
  Ort::Env* env = nullptr;
};

// dlopens `library_path` on first use and initializes the ORT C++ API with it.
// `link`:
//   "path":  dlopen(RTLD_LOCAL) of that file. Its DT_SONAME becomes a name the
//            dynamic linker answers later DT_NEEDED lookups with, so the
//            default file is a copy whose soname is ours (ort-load.ts).
//   "reuse": the ORT already loaded under the soname libonnxruntime.so.1
//            (onnxruntime-node's, say) when its API is new enough, else as
//            "path".
// The C++ API keeps one process-wide OrtApi pointer, so a process uses one ORT
// library: asking for a different path or link later throws Error(kModelLoad).
const Runtime& LoadRuntime(const std::string& library_path, const std::string& link = "path");

// An ORT the host already runs (link "host"): its OrtApiBase, and its OrtEnv
// or null for one of ours made with its API. Embedders that drive ORT
// themselves hand these in (cappy_load_params.ort_api_base), so cappy's
// sessions run on the host's library and environment instead of loading a
// second ORT. The same one-ORT-per-process rule holds: a later LoadRuntime or
// AdoptRuntime naming another ORT throws Error(kModelLoad).
const Runtime& AdoptRuntime(const OrtApiBase* api_base, OrtEnv* env);

// What a session on `runtime` reports about it (SessionInfo, GraphSessionInfo).
RuntimeInfo DescribeRuntime(const Runtime& runtime, const std::string& execution_provider, int device_id);

// ORT's exception text made fit for users: the source locations and C++
// signatures ORT_THROW puts before its message ("/onnxruntime_src/...cc:177
// onnxruntime::Model::Model(onnx::ModelProto&&, ...) ModelProto does not have
// a graph.") and any stack trace are dropped; what is left says what failed.
std::string CleanOrtMessage(const std::string& message);

// Registers a plugin execution provider library (CreateEpFactories) on the
// shared env once per path and returns its registration name. Throws
// Error(kDeviceUnavailable) with ORT's reason when the library cannot load.
std::string RegisterEpLibrary(const Runtime& runtime, const std::string& ep_library_path);

}  // namespace ort
}  // namespace cappy
