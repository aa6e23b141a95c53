// The addon's state per env (Node-API instance data, so every worker thread
// has its own and Node frees it with the env): the constructors that jobs
// use to wrap their results in JS objects. Set up in addon.cc; each binding
// fills in its own.
#pragma once

#include <napi.h>

namespace cappy_node {

struct AddonData {
  Napi::FunctionReference tokenizer_constructor;      // loadTokenizer's result
  Napi::FunctionReference scorer_constructor;         // loadScorer's result
  Napi::FunctionReference graph_session_constructor;  // loadGraphSession's result
  Napi::FunctionReference cancel_constructor;         // CancelToken, to check the calls' cancel argument
};

}  // namespace cappy_node
