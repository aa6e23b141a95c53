// Binding for the core's load rules (cappy/load.h): the defaults both
// bindings share, a load config read from JS, and what it resolves to.
#pragma once

#include <napi.h>

#include "cappy/cappy.h"

namespace cappy_node {

// Registers `loadDefaults`, `resolveLoad`, `usableCores` and `cgroupCpuLimit`.
void InitLoadBinding(Napi::Env env, Napi::Object exports);

// A NativeLoadConfig (lib/native.ts) over DefaultLoadConfig(): every field
// is optional; one left out keeps the core's default. Type-checked by the
// one policy of js_args.h.
cappy::LoadConfig ReadLoadConfig(const Napi::Object& o, const std::string& where);

// The settings a load resolved to, as NativeLoadSettings.
Napi::Object LoadSettingsToJs(Napi::Env env, const cappy::ResolvedLoad& load);

}  // namespace cappy_node
