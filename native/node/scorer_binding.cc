// Binding for cappy::Session + cappy::Scorer (lib/scorer wraps it as `Scorer`).
// One job per call: load, score, runIds. The JS thread only copies strings in
// and the Float32Array of scores out. Arguments are read by the one policy in
// js_args.h.
#include "scorer_binding.h"

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "addon_data.h"
#include "cancel_binding.h"
#include "errors.h"
#include "job.h"
#include "js_args.h"
#include "load_binding.h"
#include "runtime_info_js.h"
#include "tokenizer_binding.h"

namespace cappy_node {

namespace {

// ------------------------------------------------------------------ helpers
Napi::Object TensorInfoToJs(Napi::Env env, const cappy::TensorInfo& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", t.name);
  o.Set("elementType", t.element_type);
  Napi::Array shape = Napi::Array::New(env, t.shape.size());
  for (size_t i = 0; i < t.shape.size(); ++i) shape.Set(static_cast<uint32_t>(i), static_cast<double>(t.shape[i]));
  o.Set("shape", shape);
  return o;
}

Napi::Object SessionInfoToJs(Napi::Env env, const cappy::SessionInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  SetRuntimeInfo(o, info);
  o.Set("ioBinding", info.io_binding);
  o.Set("pinnedBuffers", info.pinned_buffers);
  o.Set("batchesInFlight", info.batches_in_flight);
  Napi::Array inputs = Napi::Array::New(env, info.inputs.size());
  for (size_t i = 0; i < info.inputs.size(); ++i)
    inputs.Set(static_cast<uint32_t>(i), TensorInfoToJs(env, info.inputs[i]));
  Napi::Array outputs = Napi::Array::New(env, info.outputs.size());
  for (size_t i = 0; i < info.outputs.size(); ++i)
    outputs.Set(static_cast<uint32_t>(i), TensorInfoToJs(env, info.outputs[i]));
  o.Set("inputs", inputs);
  o.Set("outputs", outputs);
  return o;
}

Napi::Float32Array ToFloat32Array(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array array = Napi::Float32Array::New(env, values.size());
  std::copy(values.begin(), values.end(), array.Data());
  return array;
}

// What loadScorer hands NativeScorer: the pipeline, the session it runs on
// (for info and runIds, which bypass the pipeline), and the settings the
// load resolved.
struct LoadedScorer {
  std::shared_ptr<const cappy::Scorer> scorer;
  std::shared_ptr<const cappy::Session> session;
  cappy::ResolvedLoad load;
};

// ------------------------------------------------------------------ scorer
class NativeScorer : public Napi::ObjectWrap<NativeScorer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "NativeScorer",
        {InstanceAccessor<&NativeScorer::Info>("info"), InstanceMethod<&NativeScorer::Score>("score"),
         InstanceMethod<&NativeScorer::RunIds>("runIds"), InstanceMethod<&NativeScorer::Close>("close")});
  }

  // Only loadScorer constructs these, passing the scorer in an External.
  explicit NativeScorer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeScorer>(info) {
    Guard(info.Env(), [&] {
      if (info.Length() != 1 || !info[0].IsExternal()) {
        throw Napi::TypeError::New(info.Env(), "NativeScorer is created by loadScorer()");
      }
      loaded_ = *info[0].As<Napi::External<LoadedScorer>>().Data();
      Napi::Object js = SessionInfoToJs(info.Env(), loaded_.session->info());
      cappy::ResolvedLoad settings = loaded_.load;
      settings.session.pinned_buffers = loaded_.session->info().pinned_buffers;  // what the provider gave
      js.Set("load", LoadSettingsToJs(info.Env(), settings));
      info_ = Napi::Persistent(js);
    });
  }

 private:
  const LoadedScorer& Live(Napi::Env env) const {
    if (!loaded_.scorer) throw MakeError(env, cappy::ErrorCode::kInvalidInput, "scorer is closed");
    return loaded_;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) { return info_.Value(); }

  Napi::Value Score(const Napi::CallbackInfo& info);
  Napi::Value RunIds(const Napi::CallbackInfo& info);

  Napi::Value Close(const Napi::CallbackInfo& info) {
    // Workers in flight hold their own reference; the session is released
    // when the last of them finishes.
    loaded_ = LoadedScorer();
    return info.Env().Undefined();
  }

  LoadedScorer loaded_;
  Napi::ObjectReference info_;
};

class ScoreWorker : public PromiseJob {
 public:
  // `cancelled`: the call's CancelToken flag, or null. Either way the call
  // also stops when its env goes away (job.h).
  ScoreWorker(Napi::Env env, std::shared_ptr<const cappy::Scorer> scorer, std::vector<cappy::TextInput> inputs,
              std::shared_ptr<cappy::CancelFlag> cancelled)
      : PromiseJob(env, "cappy.score", std::move(cancelled)), scorer_(std::move(scorer)), inputs_(std::move(inputs)) {}

 private:
  void Run() override {
    auto inputs = std::move(inputs_);  // freed when the call ends, whatever happens
    scores_ = scorer_->Score(inputs, stop_flag(), &stats_);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    result.Set("scores", ToFloat32Array(env, scores_));
    Napi::Object stats = Napi::Object::New(env);
    stats.Set("realTokens", static_cast<double>(stats_.real_tokens));
    stats.Set("computedTokens", static_cast<double>(stats_.computed_tokens));
    stats.Set("batches", static_cast<double>(stats_.batches));
    stats.Set("tokenizeMs", stats_.tokenize_ms);
    stats.Set("runMs", stats_.run_ms);
    result.Set("stats", stats);
    return result;
  }

  std::shared_ptr<const cappy::Scorer> scorer_;
  std::vector<cappy::TextInput> inputs_;
  std::vector<float> scores_;
  cappy::ScoreStats stats_;
};

Napi::Value NativeScorer::Score(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto scorer = Live(env).scorer;
    std::vector<std::string> firsts = ReadStrings(info[0], "firsts");
    std::vector<std::string> seconds = ReadStrings(info[1], "seconds");
    if (firsts.size() != seconds.size()) {
      throw MakeError(env, cappy::ErrorCode::kInvalidInput, "firsts and seconds must have the same length");
    }
    std::vector<cappy::TextInput> inputs(firsts.size());
    for (size_t i = 0; i < firsts.size(); ++i) {
      inputs[i].first = std::move(firsts[i]);
      inputs[i].second = std::move(seconds[i]);
      inputs[i].has_second = true;
    }
    std::shared_ptr<cappy::CancelFlag> cancelled;
    if (info.Length() > 2) cancelled = CancelFlagArgument(env, info[2], "score: cancel");
    return PromiseJob::Start(env, new ScoreWorker(env, std::move(scorer), std::move(inputs), std::move(cancelled)));
  });
}

class RunIdsWorker : public PromiseJob {
 public:
  RunIdsWorker(Napi::Env env, std::shared_ptr<const cappy::Session> session, std::vector<int64_t> ids,
               std::vector<int64_t> mask, std::vector<int64_t> types, bool has_types, uint32_t rows, uint32_t seq_len)
      : PromiseJob(env, "cappy.runIds"),
        session_(std::move(session)),
        ids_(std::move(ids)),
        mask_(std::move(mask)),
        types_(std::move(types)),
        has_types_(has_types),
        rows_(rows),
        seq_len_(seq_len) {}

 private:
  void Run() override {
    scores_ = session_->Run(ids_, mask_, has_types_ ? &types_ : nullptr, rows_, seq_len_, stop_flag());
  }
  Napi::Value Result(Napi::Env env) override { return ToFloat32Array(env, scores_); }

  std::shared_ptr<const cappy::Session> session_;
  std::vector<int64_t> ids_, mask_, types_;
  bool has_types_;
  uint32_t rows_, seq_len_;
  std::vector<float> scores_;
};

Napi::Value NativeScorer::RunIds(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto session = Live(env).session;
    if (info.Length() < 4 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() ||
        !info[3].IsNumber()) {
      throw MakeError(env, cappy::ErrorCode::kInvalidInput,
                      "runIds(ids: BigInt64Array, mask: BigInt64Array, rows, seqLen, typeIds?: BigInt64Array)");
    }
    auto read = [&](const Napi::Value& v) {
      Napi::TypedArray t = v.As<Napi::TypedArray>();
      if (t.TypedArrayType() != napi_bigint64_array) {
        throw MakeError(env, cappy::ErrorCode::kInvalidInput, "ids, mask and type ids must be BigInt64Array");
      }
      Napi::TypedArrayOf<int64_t> a = v.As<Napi::TypedArrayOf<int64_t>>();
      return std::vector<int64_t>(a.Data(), a.Data() + a.ElementLength());
    };
    const uint32_t rows = static_cast<uint32_t>(ReadInt(info[2], "runIds: rows", 0, UINT32_MAX));
    const uint32_t seq_len = static_cast<uint32_t>(ReadInt(info[3], "runIds: seqLen", 0, UINT32_MAX));
    // Segment ids are optional: without them a graph that takes token_type_ids gets zeros.
    const bool has_types = info.Length() > 4 && !info[4].IsUndefined();
    if (has_types && !info[4].IsTypedArray()) {
      throw MakeError(env, cappy::ErrorCode::kInvalidInput, "typeIds must be a BigInt64Array");
    }
    return PromiseJob::Start(
        env, new RunIdsWorker(env, std::move(session), read(info[0]), read(info[1]),
                              has_types ? read(info[4]) : std::vector<int64_t>(), has_types, rows, seq_len));
  });
}

// ------------------------------------------------------------------ load
class LoadWorker : public PromiseJob {
 public:
  LoadWorker(Napi::Env env, std::shared_ptr<const cappy::Tokenizer> tokenizer, cappy::ResolvedLoad load)
      : PromiseJob(env, "cappy.loadScorer"), tokenizer_(std::move(tokenizer)) {
    loaded_.load = std::move(load);
  }

 private:
  void Run() override {
    loaded_.session = std::make_shared<const cappy::Session>(loaded_.load.session);
    loaded_.scorer = std::make_shared<const cappy::Scorer>(tokenizer_, loaded_.session, loaded_.load.scorer);
  }

  Napi::Value Result(Napi::Env env) override {
    auto* data = env.GetInstanceData<AddonData>();
    auto holder = Napi::External<LoadedScorer>::New(env, &loaded_);
    return data->scorer_constructor.New({holder});
  }

  std::shared_ptr<const cappy::Tokenizer> tokenizer_;
  LoadedScorer loaded_;
};

// loadScorer(tokenizer, options): a NativeLoadConfig (any field left out
// keeps the core's default) plus where the model and ONNX Runtime are. The
// core resolves it (ResolveLoad), exactly as cappy_model_load does; the
// tokenizer must have been loaded with the max length that resolves to.
Napi::Value LoadScorer(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::shared_ptr<const cappy::Tokenizer> tokenizer = UnwrapTokenizer(info[0]);
    const Napi::Object o = ReadObject(info[1], "options");
    const std::string where = "options";
    const cappy::LoadConfig config = ReadLoadConfig(o, where);
    const uint32_t position_limit = static_cast<uint32_t>(IntField(o, "positionLimit", where, 0, UINT32_MAX));
    cappy::ResolvedLoad load;
    try {
      load = cappy::ResolveLoad(config, position_limit);
    } catch (const std::exception& e) {
      throw FromException(env, e);
    }
    if (tokenizer->truncation().max_length != load.max_length) {
      Invalid(env, "the tokenizer truncates at " + std::to_string(tokenizer->truncation().max_length) +
                       " tokens, but this load resolves max length " + std::to_string(load.max_length) +
                       " (load the tokenizer with resolveLoad()'s maxLength)");
    }
    load.session.ort_library_path = StringField(o, "ortLibraryPath", where);
    load.session.ort_link = StringField(o, "ortLink", where);
    load.session.model_path = StringField(o, "modelPath", where);
    return PromiseJob::Start(env, new LoadWorker(env, std::move(tokenizer), std::move(load)));
  });
}

// loadLibrary(nameOrPath): '' when loaded, else the loader's error. Lets TS
// check an EP library's dependencies and name every missing one at once.
Napi::Value LoadLibrary(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    return Napi::String::New(info.Env(), cappy::LoadSharedLibrary(ReadString(info[0], "loadLibrary: nameOrPath")));
  });
}

}  // namespace

void InitScorerBinding(Napi::Env env, Napi::Object exports) {
  env.GetInstanceData<AddonData>()->scorer_constructor = Napi::Persistent(NativeScorer::Define(env));
  exports.Set("loadScorer", Napi::Function::New<LoadScorer>(env, "loadScorer"));
  exports.Set("loadLibrary", Napi::Function::New<LoadLibrary>(env, "loadLibrary"));
}

}  // namespace cappy_node
