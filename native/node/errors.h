// Maps core errors to JS errors carrying `cappyCode`, which lib/errors turns
// into the typed error family. The only error plumbing in the binding.
#pragma once

#include <napi.h>

#include <exception>
#include <string>

#include "cappy/cappy.h"

namespace cappy_node {

// Builds a JS Error with its message, `cappyCode` ("MODEL_LOAD", ...) and,
// when the core gave one, `cappyReason` ("onnx_missing", ...): the names of
// cappy/cappy_errors.h, which lib/errors maps to the typed error family.
Napi::Error MakeError(Napi::Env env, const cappy::ErrorInfo& error);
Napi::Error MakeError(Napi::Env env, cappy::ErrorCode code, const std::string& message,
                      cappy::ErrorReason reason = cappy::ErrorReason::kNone);

// Converts any exception caught around core calls, as the C ABI does: a
// cappy::Error keeps its code; anything else (std::bad_alloc, ...) is
// INTERNAL, never a crash.
Napi::Error FromException(Napi::Env env, const std::exception& e);

// Every code and reason name, in declaration order (the addon's
// `errorCodes` and `errorReasons`, checked against TypeScript's lists).
Napi::Array ErrorCodeNames(Napi::Env env);
Napi::Array ErrorReasonNames(Napi::Env env);

// Runs the body of a function, method or constructor the addon exports. A
// Napi::Error it throws becomes the pending JS exception, as node-addon-api's
// own wrapper does, except when the env is terminating (worker.terminate() or
// process.exit() while JavaScript is inside the call): then the throw itself
// fails, node-addon-api throws again out of a noexcept callback and the
// process aborts ("terminate called after throwing an instance of
// 'Napi::Error'"), while here the failure is dropped; no one is left to see it.
template <typename Body>
auto Guard(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error& e) {
    try {
      napi_throw(env, e.Value());
    } catch (...) {
    }
    return decltype(body())();
  }
}

// For jobs: remember the code on the runner thread, build the JS error on
// the JS thread.
struct PendingError {
  bool set = false;
  cappy::ErrorInfo info;
  void Capture(const std::exception& e);
  void CaptureUnknown();
};

}  // namespace cappy_node
