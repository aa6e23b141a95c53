// For the core's tests only: a cappy_model over any BatchRunner, so the C ABI
// (status codes, buffers, cancellation from another thread) is tested through
// native/test/c_api_test.cc without ORT or a model file.
#pragma once

#include <memory>

#include "cappy/cappy.h"
#include "cappy/cappy_c.h"

namespace cappy {
namespace capi {

cappy_model* ModelFromParts(std::shared_ptr<const Tokenizer> tokenizer, std::shared_ptr<const BatchRunner> runner,
                            const ScorerOptions& options);

}  // namespace capi
}  // namespace cappy
