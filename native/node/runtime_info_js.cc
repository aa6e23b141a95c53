#include "runtime_info_js.h"

namespace cappy_node {

void SetRuntimeInfo(Napi::Object o, const cappy::RuntimeInfo& info) {
  o.Set("ortVersion", info.ort_version);
  o.Set("ortLibraryPath", info.ort_library_path);
  o.Set("ortLoadedPath", info.ort_loaded_path);
  o.Set("ortLink", info.ort_link);
  o.Set("executionProvider", info.execution_provider);
  o.Set("deviceId", info.device_id);
}

}  // namespace cappy_node
