// The one AsyncWorker behind every load job (loadTokenizer, loadScorer):
// `build` runs on a libuv worker thread and makes the core object; `wrap`
// runs on the JS thread and makes its JS object. An error from either rejects
// the promise with the core's code.
#pragma once

#include <napi.h>

#include <functional>
#include <utility>

#include "errors.h"

namespace cappy_node {

template <typename T>
class BuildWorker : public Napi::AsyncWorker {
 public:
  using Build = std::function<T()>;
  using Wrap = std::function<Napi::Value(Napi::Env, T&)>;

  static Napi::Promise Start(Napi::Env env, const char* name, Build build, Wrap wrap) {
    auto* worker = new BuildWorker(env, name, std::move(build), std::move(wrap));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 private:
  BuildWorker(Napi::Env env, const char* name, Build build, Wrap wrap)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        build_(std::move(build)),
        wrap_(std::move(wrap)) {}

  void Execute() override {
    try {
      result_ = build_();
    } catch (const std::exception& e) {
      error_.Capture(e);
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_.set) {
      deferred_.Reject(MakeError(env, error_.code, error_.message).Value());
      return;
    }
    try {
      deferred_.Resolve(wrap_(env, result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
  Build build_;
  Wrap wrap_;
  T result_{};
  PendingError error_;
};

}  // namespace cappy_node
