#include "session/ort_runtime.h"

#include <dlfcn.h>
#include <onnxruntime_cxx_api.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cappy/cappy.h"

namespace cappy {
namespace ort {

namespace {
std::mutex g_mutex;
std::unique_ptr<Runtime> g_runtime;                 // never unloaded: ORT objects may outlive any owner
std::map<std::string, std::string> g_ep_libraries;  // path -> registration name

// The soname every ORT build carries; onnxruntime-node's binding needs it.
constexpr const char* kOrtSoname = "libonnxruntime.so.1";

std::string LoaderError() {
  const char* why = dlerror();
  return why != nullptr ? why : "unknown error";
}

// Opens the library as `link` says. Returns null with *why set on failure;
// with "reuse", null and an empty *why mean "no usable ORT is loaded".
void* Open(const std::string& path, const std::string& link, std::string* why) {
  if (link == "reuse") {
    void* handle = dlopen(kOrtSoname, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (handle == nullptr) dlerror();  // not loaded: not an error
    return handle;
  }
  // RTLD_LOCAL keeps this ORT's symbols out of the global scope, so another
  // ORT in the same process (onnxruntime-node, say) cannot interpose on them.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) *why = LoaderError();
  return handle;
}

using GetApiBaseFn = const OrtApiBase* (*)();

// The file holding an ORT's code, found from its GetApi entry point.
std::string LoadedPath(const OrtApiBase* base, const std::string& otherwise) {
  Dl_info where{};
  return dladdr(reinterpret_cast<void*>(base->GetApi), &where) != 0 && where.dli_fname != nullptr ? where.dli_fname
                                                                                                  : otherwise;
}

// Initializes the C++ API with `api` and makes (or wraps the host's) env.
std::unique_ptr<Runtime> Finish(std::unique_ptr<Runtime> runtime, const OrtApiBase* base, const OrtApi* api,
                                OrtEnv* host_env) {
  Ort::InitApi(api);
  if (runtime->loaded_path.empty()) runtime->loaded_path = LoadedPath(base, runtime->library_path);
  runtime->version = base->GetVersionString();
  runtime->api_base = base;
  runtime->api = api;
  try {
    // The host's env is wrapped, never released (like ours): sessions may
    // outlive any owner.
    runtime->env = host_env != nullptr ? new Ort::Env(host_env) : new Ort::Env(ORT_LOGGING_LEVEL_ERROR, "cappy");
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::kModelLoad, "ONNX Runtime cannot create its environment: " + CleanOrtMessage(e.what()),
                ErrorReason::kOrtUnavailable);
  }
  return runtime;
}

bool IsPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '/' ||
         c == '.' || c == '-' || c == '+' || c == '\\';
}

// At `at` (just after "file.cc:123 "), the length of a C++ signature such as
// "onnxruntime::Model::Model(onnx::ModelProto&&, ...) const ", or 0 when the
// text there is not one (a qualified name, then balanced parentheses).
size_t SignatureLength(const std::string& m, size_t at) {
  const size_t open = m.find('(', at);
  if (open == std::string::npos || open - at > 300) return 0;
  if (m.substr(at, open - at).find("::") == std::string::npos) return 0;
  int depth = 0;
  size_t i = open;
  for (; i < m.size(); ++i) {
    if (m[i] == '(') ++depth;
    if (m[i] == ')' && --depth == 0) break;
  }
  if (i == m.size()) return 0;
  ++i;
  if (m.compare(i, 6, " const") == 0) i += 6;
  while (i < m.size() && m[i] == ' ') ++i;
  return i - at;
}

}  // namespace

RuntimeInfo DescribeRuntime(const Runtime& runtime, const std::string& execution_provider, int device_id) {
  RuntimeInfo info;
  info.ort_version = runtime.version;
  info.ort_library_path = runtime.library_path;
  info.ort_loaded_path = runtime.loaded_path;
  info.ort_link = runtime.link;
  info.execution_provider = execution_provider;
  info.device_id = device_id;
  return info;
}

std::string CleanOrtMessage(const std::string& raw) {
  std::string m = raw.substr(0, raw.find("Stacktrace:"));
  for (const char* ext : {".cc:", ".cpp:", ".h:"}) {
    for (size_t hit = m.find(ext); hit != std::string::npos; hit = m.find(ext, hit)) {
      size_t begin = hit;
      while (begin > 0 && IsPathChar(m[begin - 1])) --begin;
      size_t end = hit + std::char_traits<char>::length(ext);
      const size_t digits = end;
      while (end < m.size() && m[end] >= '0' && m[end] <= '9') ++end;
      if (end == digits || begin == hit) {
        hit = end;
        continue;
      }
      while (end < m.size() && m[end] == ' ') ++end;
      end += SignatureLength(m, end);
      // "failed:/onnxruntime_src/..." keeps its colon, followed by a space.
      const std::string glue = begin > 0 && m[begin - 1] == ':' ? " " : "";
      m.replace(begin, end - begin, glue);
      hit = begin;
    }
  }
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ' || m.back() == '\r')) m.pop_back();
  return m;
}

const Runtime& LoadRuntime(const std::string& library_path, const std::string& link) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_runtime) {
    if (g_runtime->library_path != library_path || g_runtime->asked_link != link) {
      throw Error(ErrorCode::kModelLoad,
                  "ONNX Runtime is already loaded from " + g_runtime->library_path + " (" + g_runtime->link +
                      "); one process can use only one ORT library (asked for " + library_path + ", " + link + ")",
                  ErrorReason::kOrtConflict);
    }
    return *g_runtime;
  }
  if (link != "path" && link != "reuse") {
    throw Error(ErrorCode::kInvalidInput, "unknown ORT link '" + link + "' (path or reuse)");
  }
  std::string why;
  std::string used_link = link;
  void* handle = Open(library_path, link, &why);
  const OrtApiBase* base = nullptr;
  if (handle != nullptr && link == "reuse") {
    // Another ORT is here; take it only if it speaks our API version.
    auto get = reinterpret_cast<GetApiBaseFn>(dlsym(handle, "OrtGetApiBase"));
    base = get != nullptr ? get() : nullptr;
    if (base == nullptr || base->GetApi(ORT_API_VERSION) == nullptr) {
      dlclose(handle);
      handle = nullptr;
      base = nullptr;
    }
  }
  if (handle == nullptr && link == "reuse") {
    used_link = "path";
    handle = Open(library_path, used_link, &why);
  }
  if (handle == nullptr) {
    throw Error(ErrorCode::kModelLoad,
                "cannot load ONNX Runtime from " + library_path + ": " + why +
                    ". Point the library path at an ONNX Runtime shared library (libonnxruntime.so, ORT 1." +
                    std::to_string(ORT_API_VERSION) + " or newer)",
                ErrorReason::kOrtUnavailable);
  }
  if (base == nullptr) {
    auto get_api_base = reinterpret_cast<GetApiBaseFn>(dlsym(handle, "OrtGetApiBase"));
    if (get_api_base == nullptr) {
      dlclose(handle);
      throw Error(ErrorCode::kModelLoad, library_path + " is not an ONNX Runtime library (no OrtGetApiBase)",
                  ErrorReason::kOrtUnavailable);
    }
    base = get_api_base();
  }
  const OrtApi* api = base->GetApi(ORT_API_VERSION);
  if (api == nullptr) {
    std::string version = base->GetVersionString();
    dlclose(handle);
    throw Error(ErrorCode::kModelLoad,
                "ONNX Runtime at " + library_path + " is version " + version + ", which lacks API version " +
                    std::to_string(ORT_API_VERSION) + " (ORT 1." + std::to_string(ORT_API_VERSION) +
                    " or newer is needed)",
                ErrorReason::kOrtUnavailable);
  }
  auto runtime = std::make_unique<Runtime>();
  runtime->library_path = library_path;
  runtime->link = used_link;
  runtime->asked_link = link;
  g_runtime = Finish(std::move(runtime), base, api, nullptr);
  return *g_runtime;
}

const Runtime& AdoptRuntime(const OrtApiBase* api_base, OrtEnv* env) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (api_base == nullptr) throw Error(ErrorCode::kInvalidInput, "the host's OrtApiBase is null");
  if (g_runtime) {
    if (g_runtime->api_base != api_base) {
      throw Error(ErrorCode::kModelLoad,
                  "ONNX Runtime is already loaded from " + g_runtime->library_path + " (" + g_runtime->link +
                      "); one process can use only one ORT library (asked for the host's ORT, " +
                      LoadedPath(api_base, "unknown file") + ")",
                  ErrorReason::kOrtConflict);
    }
    if (env != nullptr && g_runtime->env != nullptr && static_cast<OrtEnv*>(*g_runtime->env) != env) {
      throw Error(ErrorCode::kModelLoad,
                  "cappy already runs on another OrtEnv of this ORT; hand in the same OrtEnv every time (or none)",
                  ErrorReason::kOrtConflict);
    }
    return *g_runtime;
  }
  const OrtApi* api = api_base->GetApi(ORT_API_VERSION);
  if (api == nullptr) {
    throw Error(ErrorCode::kModelLoad,
                "the host's ONNX Runtime is version " + std::string(api_base->GetVersionString()) +
                    ", which lacks API version " + std::to_string(ORT_API_VERSION) + " (ORT 1." +
                    std::to_string(ORT_API_VERSION) + " or newer is needed)",
                ErrorReason::kOrtUnavailable);
  }
  auto runtime = std::make_unique<Runtime>();
  runtime->library_path = LoadedPath(api_base, "(host ORT)");
  runtime->link = "host";
  runtime->asked_link = "host";
  g_runtime = Finish(std::move(runtime), api_base, api, env);
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
    throw Error(ErrorCode::kDeviceUnavailable, "ONNX Runtime cannot load the execution provider library " +
                                                   ep_library_path + ": " + CleanOrtMessage(e.what()));
  }
  g_ep_libraries.emplace(ep_library_path, name);
  return name;
}

}  // namespace ort

std::string LoadSharedLibrary(const std::string& name_or_path) {
  // RTLD_LOCAL: only the library's presence matters. Once loaded, the dynamic
  // loader matches it by soname, so an EP library that needs it finds it even
  // when the folder is not on LD_LIBRARY_PATH. Never closed, on purpose.
  return dlopen(name_or_path.c_str(), RTLD_NOW | RTLD_LOCAL) != nullptr ? "" : ort::LoaderError();
}

}  // namespace cappy
