// Addon entry point: registers one binding class per core class.
#include <napi.h>

#include "addon_data.h"
#include "cancel_binding.h"
#include "errors.h"
#include "graph_binding.h"
#include "job.h"
#include "load_binding.h"
#include "model_binding.h"
#include "scorer_binding.h"
#include "tokenizer_binding.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<cappy_node::AddonData>(new cappy_node::AddonData());
  cappy_node::PromiseJob::DrainOnTeardown(env);
  cappy_node::InitCancelBinding(env, exports);
  cappy_node::InitTokenizerBinding(env, exports);
  cappy_node::InitScorerBinding(env, exports);
  cappy_node::InitModelBinding(env, exports);
  cappy_node::InitGraphBinding(env, exports);
  cappy_node::InitLoadBinding(env, exports);
  exports.Set("errorCodes", cappy_node::ErrorCodeNames(env));
  exports.Set("errorReasons", cappy_node::ErrorReasonNames(env));
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(cappy, Init)
