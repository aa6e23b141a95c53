// Binding for the core's model folder reader (lib/model wraps it).
#pragma once

#include <napi.h>

namespace cappy_node {

// Registers `readModelFolder` on exports.
void InitModelBinding(Napi::Env env, Napi::Object exports);

}  // namespace cappy_node
