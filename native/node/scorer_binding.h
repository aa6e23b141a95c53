// Binding for cappy::Session and cappy::Scorer (lib/scorer wraps it).
#pragma once

#include <napi.h>

namespace cappy_node {

// Registers `loadScorer` and `CancelToken` on exports.
void InitScorerBinding(Napi::Env env, Napi::Object exports);

}  // namespace cappy_node
