// Binding for cappy::GraphSession (lib/adapt/graph wraps it): any ONNX graph,
// typed arrays in and out.
#pragma once

#include <napi.h>

namespace cappy_node {

// Registers `loadGraphSession` on exports (runs take the addon's CancelToken).
void InitGraphBinding(Napi::Env env, Napi::Object exports);

}  // namespace cappy_node
