// The one cancel token of the addon (`CancelToken`): a cappy::CancelFlag a
// call takes, raised from JS. Score calls and graph runs both read it through
// CancelFlagArgument, which checks the argument's class first: unwrapping an
// object of another wrapped class would read the wrong native pointer.
#pragma once

#include <napi.h>

#include <memory>

#include "cappy/cappy.h"

namespace cappy_node {

// `value` as a CancelToken's flag: null for undefined; an INVALID_INPUT
// error naming `what` for anything else.
std::shared_ptr<cappy::CancelFlag> CancelFlagArgument(Napi::Env env, const Napi::Value& value, const char* what);

// Registers `CancelToken` on exports.
void InitCancelBinding(Napi::Env env, Napi::Object exports);

}  // namespace cappy_node
