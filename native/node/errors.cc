#include "errors.h"

namespace cappy_node {

const char* CodeName(cappy::ErrorCode code) {
  switch (code) {
    case cappy::ErrorCode::kInvalidInput: return "INVALID_INPUT";
    case cappy::ErrorCode::kTokenizer: return "TOKENIZER";
    case cappy::ErrorCode::kModelLoad: return "MODEL_LOAD";
    case cappy::ErrorCode::kRuntime: return "RUNTIME";
    case cappy::ErrorCode::kCancelled: return "CANCELLED";
    case cappy::ErrorCode::kDeviceUnavailable: return "DEVICE_UNAVAILABLE";
  }
  return "RUNTIME";
}

Napi::Error MakeError(Napi::Env env, cappy::ErrorCode code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("cappyCode", Napi::String::New(env, CodeName(code)));
  return error;
}

Napi::Error FromException(Napi::Env env, const std::exception& e) {
  if (const auto* ce = dynamic_cast<const cappy::Error*>(&e)) {
    return MakeError(env, ce->code(), ce->what());
  }
  return MakeError(env, cappy::ErrorCode::kRuntime, e.what());
}

void PendingError::Capture(const std::exception& e) {
  set = true;
  message = e.what();
  if (const auto* ce = dynamic_cast<const cappy::Error*>(&e)) {
    code = ce->code();
  } else {
    code = cappy::ErrorCode::kRuntime;
  }
}

}  // namespace cappy_node
