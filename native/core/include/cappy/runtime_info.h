// Which ONNX Runtime a session runs on, and where: the part of SessionInfo
// (scoring) and GraphSessionInfo (training graphs) that both report, filled
// in one place (ort::DescribeRuntime) so the two cannot drift.
#pragma once

#include <string>

namespace cappy {

struct RuntimeInfo {
  std::string ort_version;
  std::string ort_library_path;    // as asked
  std::string ort_loaded_path;     // the file whose code runs
  std::string ort_link;            // "path", "reuse" or "host"
  std::string execution_provider;  // "cpu", "cuda", "tensorrt"
  int device_id = 0;
};

}  // namespace cappy
