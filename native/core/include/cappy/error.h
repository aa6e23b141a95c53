// cappy-engine core: the error type every stage throws (part of cappy/cappy.h).
#pragma once

#include <stdexcept>
#include <string>

namespace cappy {

// ---------------------------------------------------------------- errors
// Codes match the TypeScript error family (lib/errors): the binding maps each
// code to one JS error class, so messages never need parsing.
enum class ErrorCode {
  kInvalidInput,  // a caller passed something the API cannot take
  kTokenizer,     // tokenizer spec invalid, or truncation cannot fit an input
  kModelLoad,     // ORT library or model file missing/corrupt/incompatible
  kRuntime,       // ORT failed while running a batch
  kCancelled,     // a cancellation flag was raised before the work ran
  kDeviceUnavailable,  // the asked-for execution provider, its libraries or its GPU are missing
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace cappy
