// Maps core errors to JS errors carrying `cappyCode`, which lib/errors turns
// into the typed error family. The only error plumbing in the binding.
#pragma once

#include <napi.h>

#include <exception>
#include <string>

#include "cappy/cappy.h"

namespace cappy_node {

const char* CodeName(cappy::ErrorCode code);

// Builds a JS Error with message and cappyCode set.
Napi::Error MakeError(Napi::Env env, cappy::ErrorCode code, const std::string& message);

// Converts any exception caught around core calls. Non-cappy exceptions
// (std::bad_alloc, ...) become RUNTIME errors, never a crash.
Napi::Error FromException(Napi::Env env, const std::exception& e);

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
  cappy::ErrorCode code = cappy::ErrorCode::kRuntime;
  std::string message;
  void Capture(const std::exception& e);
};

}  // namespace cappy_node
