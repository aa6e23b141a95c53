#include "errors.h"

namespace cappy_node {

Napi::Error MakeError(Napi::Env env, const cappy::ErrorInfo& error) {
  Napi::Error out = Napi::Error::New(env, error.message);
  out.Set("cappyCode", Napi::String::New(env, cappy::ErrorCodeName(error.code)));
  if (error.reason != cappy::ErrorReason::kNone) {
    out.Set("cappyReason", Napi::String::New(env, cappy::ErrorReasonName(error.reason)));
  }
  return out;
}

Napi::Error MakeError(Napi::Env env, cappy::ErrorCode code, const std::string& message, cappy::ErrorReason reason) {
  return MakeError(env, cappy::ErrorInfo{code, reason, message});
}

Napi::Error FromException(Napi::Env env, const std::exception& e) {
  return MakeError(env, cappy::DescribeException(e));
}

Napi::Array ErrorCodeNames(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env);
#define CAPPY_NODE_CODE_NAME(Cxx, NAME, value, meaning) out.Set(out.Length(), #NAME);
  CAPPY_ERROR_CODES(CAPPY_NODE_CODE_NAME)
#undef CAPPY_NODE_CODE_NAME
  return out;
}

Napi::Array ErrorReasonNames(Napi::Env env) {
  Napi::Array out = Napi::Array::New(env);
#define CAPPY_NODE_REASON_NAME(Cxx, slug, meaning) \
  if (*(slug) != '\0') out.Set(out.Length(), slug);
  CAPPY_ERROR_REASONS(CAPPY_NODE_REASON_NAME)
#undef CAPPY_NODE_REASON_NAME
  return out;
}

void PendingError::Capture(const std::exception& e) {
  set = true;
  info = cappy::DescribeException(e);
}

void PendingError::CaptureUnknown() {
  set = true;
  info = cappy::DescribeUnknownException();
}

}  // namespace cappy_node
