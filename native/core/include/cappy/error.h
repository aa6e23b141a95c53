// cappy-engine core: the error type every stage throws (part of cappy/cappy.h).
#pragma once

#include <new>
#include <stdexcept>
#include <string>

#include "cappy/cappy_errors.h"

namespace cappy {

// ---------------------------------------------------------------- errors
// The codes and reasons are declared once, in cappy/cappy_errors.h; the C ABI's
// statuses and the Node addon's `cappyCode` come from the same lists, so a
// failure has one code on every side.
enum class ErrorCode {
#define CAPPY_ERROR_CODE_ENUM(Cxx, NAME, value, meaning) k##Cxx = value,
  CAPPY_ERROR_CODES(CAPPY_ERROR_CODE_ENUM)
#undef CAPPY_ERROR_CODE_ENUM
};

enum class ErrorReason {
#define CAPPY_ERROR_REASON_ENUM(Cxx, slug, meaning) k##Cxx,
  CAPPY_ERROR_REASONS(CAPPY_ERROR_REASON_ENUM)
#undef CAPPY_ERROR_REASON_ENUM
};

// "INVALID_INPUT", "MODEL_LOAD", ...: the name on every side (Node's cappyCode).
inline const char* ErrorCodeName(ErrorCode code) noexcept {
  switch (code) {
#define CAPPY_ERROR_CODE_NAME(Cxx, NAME, value, meaning) \
  case ErrorCode::k##Cxx:                                \
    return #NAME;
    CAPPY_ERROR_CODES(CAPPY_ERROR_CODE_NAME)
#undef CAPPY_ERROR_CODE_NAME
  }
  return "INTERNAL";
}

// "" for kNone, else the reason's stable slug ("onnx_missing", ...).
inline const char* ErrorReasonName(ErrorReason reason) noexcept {
  switch (reason) {
#define CAPPY_ERROR_REASON_NAME(Cxx, slug, meaning) \
  case ErrorReason::k##Cxx:                         \
    return slug;
    CAPPY_ERROR_REASONS(CAPPY_ERROR_REASON_NAME)
#undef CAPPY_ERROR_REASON_NAME
  }
  return "";
}

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, ErrorReason reason = ErrorReason::kNone)
      : std::runtime_error(message), code_(code), reason_(reason) {}
  ErrorCode code() const noexcept { return code_; }
  ErrorReason reason() const noexcept { return reason_; }

 private:
  ErrorCode code_;
  ErrorReason reason_;
};

// What any exception becomes at a binding's edge: a cappy::Error keeps its
// code and reason; anything else (std::bad_alloc, a stray std::exception) is
// kInternal, the same on both bindings.
struct ErrorInfo {
  ErrorCode code = ErrorCode::kInternal;
  ErrorReason reason = ErrorReason::kNone;
  std::string message;
};
inline ErrorInfo DescribeException(const std::exception& e) {
  if (const auto* ce = dynamic_cast<const Error*>(&e)) return {ce->code(), ce->reason(), ce->what()};
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr)
    return {ErrorCode::kInternal, ErrorReason::kNone, "out of memory"};
  return {ErrorCode::kInternal, ErrorReason::kNone, std::string("unexpected C++ exception in cappy: ") + e.what()};
}
// For catch (...): no type to read.
inline ErrorInfo DescribeUnknownException() {
  return {ErrorCode::kInternal, ErrorReason::kNone, "unknown C++ exception in cappy"};
}

}  // namespace cappy
