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

// For AsyncWorkers: remember the code on the worker thread, build the JS error
// on the JS thread in OnError.
struct PendingError {
  bool set = false;
  cappy::ErrorCode code = cappy::ErrorCode::kRuntime;
  std::string message;
  void Capture(const std::exception& e);
};

}  // namespace cappy_node
