// The ORT a session runs on, as JS sees it in a scorer's and a graph
// session's `info` (lib/native.ts: the fields both info types share).
#pragma once

#include <napi.h>

#include "cappy/runtime_info.h"

namespace cappy_node {

// Sets ortVersion, ortLibraryPath, ortLoadedPath, ortLink, executionProvider and deviceId on `o`.
void SetRuntimeInfo(Napi::Object o, const cappy::RuntimeInfo& info);

}  // namespace cappy_node
