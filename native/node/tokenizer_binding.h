// Binding for cappy::Tokenizer (lib/tokenizer wraps it as `Tokenizer`).
#pragma once

#include <napi.h>

#include <memory>

#include "cappy/cappy.h"

namespace cappy_node {

// Registers the `Tokenizer` class on exports.
void InitTokenizerBinding(Napi::Env env, Napi::Object exports);

// Returns the core tokenizer held by a JS Tokenizer object; throws a JS
// TypeError if `value` is not one.
std::shared_ptr<const cappy::Tokenizer> UnwrapTokenizer(Napi::Value value);

}  // namespace cappy_node
