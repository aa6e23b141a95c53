#include "cancel_binding.h"

#include <string>

#include "addon_data.h"
#include "errors.h"

namespace cappy_node {

namespace {

class CancelToken : public Napi::ObjectWrap<CancelToken> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CancelToken", {InstanceMethod<&CancelToken::Cancel>("cancel")});
  }
  explicit CancelToken(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<CancelToken>(info), flag_(std::make_shared<cappy::CancelFlag>()) {}
  std::shared_ptr<cappy::CancelFlag> flag() const { return flag_; }

 private:
  // Stops the call: batches not started never run, and the batch or graph
  // run in flight is cut short at ORT's next node.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    flag_->Raise();
    return info.Env().Undefined();
  }
  std::shared_ptr<cappy::CancelFlag> flag_;
};

}  // namespace

std::shared_ptr<cappy::CancelFlag> CancelFlagArgument(Napi::Env env, const Napi::Value& value, const char* what) {
  if (value.IsUndefined()) return nullptr;
  const Napi::FunctionReference& ctor = env.GetInstanceData<AddonData>()->cancel_constructor;
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(ctor.Value())) {
    throw MakeError(env, cappy::ErrorCode::kInvalidInput, std::string(what) + " must be a CancelToken");
  }
  return CancelToken::Unwrap(value.As<Napi::Object>())->flag();
}

void InitCancelBinding(Napi::Env env, Napi::Object exports) {
  Napi::Function token = CancelToken::Define(env);
  env.GetInstanceData<AddonData>()->cancel_constructor = Napi::Persistent(token);
  exports.Set("CancelToken", token);
}

}  // namespace cappy_node
