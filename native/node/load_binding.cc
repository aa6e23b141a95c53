#include "load_binding.h"

#include <string>

#include "errors.h"
#include "js_args.h"

namespace cappy_node {

namespace {

bool Has(const Napi::Object& o, const char* key) { return o.Has(key) && !o.Get(key).IsUndefined(); }

uint32_t Count(const Napi::Object& o, const char* key, const std::string& where) {
  return static_cast<uint32_t>(IntField(o, key, where, 0, UINT32_MAX));
}

Napi::Array Shape(Napi::Env env, const uint32_t shape[2]) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, shape[0]);
  a.Set(1u, shape[1]);
  return a;
}

// loadDefaults(): the core's defaults for this machine (DefaultLoadConfig()
// and LoadDefaults), which lib/options/scorer.ts reads instead of restating.
Napi::Value LoadDefaultsJs(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const cappy::LoadConfig c = cappy::DefaultLoadConfig();
    Napi::Object o = Napi::Object::New(env);
    o.Set("maxLength", cappy::LoadDefaults::kMaxLength);
    o.Set("truncation", cappy::TruncationStrategyName(c.truncation));
    o.Set("intraOpThreads", c.intra_op_threads);
    o.Set("tokenizerThreads", c.tokenizer_threads);
    o.Set("maxBatchTokens", c.max_batch_tokens);
    o.Set("maxBatchSize", c.max_batch_size);
    o.Set("padMultiple", c.pad_multiple);
    o.Set("sortWindow", c.sort_window);
    o.Set("pinnedBuffers", c.pinned_buffers);
    o.Set("gpuBatchesInFlight", cappy::LoadDefaults::kGpuBatchesInFlight);
    o.Set("cpuBatchesInFlight", cappy::LoadDefaults::kCpuBatchesInFlight);
    return o;
  });
}

// resolveLoad(config, positionLimit): what a load with this config resolves
// to for a model whose position table takes positionLimit tokens (0: unknown).
Napi::Value ResolveLoadJs(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    const cappy::LoadConfig config = ReadLoadConfig(ReadObject(info[0], "config"), "config");
    const uint32_t limit = static_cast<uint32_t>(ReadInt(info[1], "positionLimit", 0, UINT32_MAX));
    try {
      return LoadSettingsToJs(info.Env(), cappy::ResolveLoad(config, limit));
    } catch (const std::exception& e) {
      throw FromException(info.Env(), e);
    }
  });
}

// usableCores(fsRoot?, affinity?) and cgroupCpuLimit(fsRoot?): the core's
// CPU-quota reading; the arguments are for tests with fake cgroup trees.
Napi::Value UsableCoresJs(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    const std::string root = info.Length() > 0 && !info[0].IsUndefined() ? ReadString(info[0], "fsRoot") : "/";
    const uint32_t affinity = info.Length() > 1 && !info[1].IsUndefined()
                                  ? static_cast<uint32_t>(ReadInt(info[1], "affinity", 1, 1 << 20))
                                  : 0;
    return Napi::Number::New(info.Env(), cappy::UsableCores(root, affinity));
  });
}

Napi::Value CgroupCpuLimitJs(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    const std::string root = info.Length() > 0 && !info[0].IsUndefined() ? ReadString(info[0], "fsRoot") : "/";
    const std::optional<double> limit = cappy::CgroupCpuLimit(root);
    return limit ? Napi::Number::New(info.Env(), *limit) : info.Env().Undefined();
  });
}

}  // namespace

cappy::LoadConfig ReadLoadConfig(const Napi::Object& o, const std::string& where) {
  cappy::LoadConfig c = cappy::DefaultLoadConfig();
  if (Has(o, "maxLength")) c.max_length = Count(o, "maxLength", where);
  if (Has(o, "truncation")) {
    const std::string t = StringField(o, "truncation", where);
    const std::optional<cappy::TruncationStrategy> strategy = cappy::ParseTruncationStrategy(t);
    if (!strategy) Invalid(o.Env(), where + ".truncation must be longest_first, only_first or only_second");
    c.truncation = *strategy;
  }
  if (Has(o, "intraOpThreads")) c.intra_op_threads = Count(o, "intraOpThreads", where);
  if (Has(o, "tokenizerThreads")) c.tokenizer_threads = Count(o, "tokenizerThreads", where);
  if (Has(o, "maxBatchTokens")) c.max_batch_tokens = Count(o, "maxBatchTokens", where);
  if (Has(o, "maxBatchSize")) c.max_batch_size = Count(o, "maxBatchSize", where);
  if (Has(o, "padMultiple")) c.pad_multiple = Count(o, "padMultiple", where);
  if (Has(o, "sortWindow")) c.sort_window = Count(o, "sortWindow", where);
  if (Has(o, "executionProvider")) c.execution_provider = StringField(o, "executionProvider", where);
  if (Has(o, "deviceId")) c.device_id = static_cast<int>(IntField(o, "deviceId", where, 0, INT32_MAX));
  if (Has(o, "epLibraryPath")) c.ep_library_path = StringField(o, "epLibraryPath", where);
  if (Has(o, "ioBinding")) c.io_binding = BoolField(o, "ioBinding", where);
  if (Has(o, "pinnedBuffers")) c.pinned_buffers = BoolField(o, "pinnedBuffers", where);
  if (Has(o, "batchesInFlight")) c.batches_in_flight = Count(o, "batchesInFlight", where);
  if (Has(o, "providerOptions")) c.provider_options = StringMapField(o, "providerOptions", where);
  if (Has(o, "trtCacheDir")) c.trt_cache_dir = StringField(o, "trtCacheDir", where);
  if (Has(o, "trtFp16")) c.trt_fp16 = BoolField(o, "trtFp16", where);
  return c;
}

Napi::Object LoadSettingsToJs(Napi::Env env, const cappy::ResolvedLoad& load) {
  const cappy::SessionOptions& so = load.session;
  const cappy::PlanOptions& plan = load.scorer.plan;
  Napi::Object o = Napi::Object::New(env);
  o.Set("maxLength", load.max_length);
  o.Set("truncation",
        cappy::TruncationStrategyName(load.tokenizer.strategy.value_or(cappy::TruncationStrategy::kLongestFirst)));
  o.Set("intraOpThreads", so.intra_op_threads);
  o.Set("tokenizerThreads", load.scorer.tokenizer_threads);
  o.Set("maxBatchTokens", plan.max_batch_tokens);
  o.Set("maxBatchSize", plan.max_batch_size);
  o.Set("padMultiple", plan.pad_multiple);
  o.Set("sortWindow", plan.sort_window);
  o.Set("executionProvider", so.execution_provider);
  o.Set("deviceId", so.device_id);
  o.Set("ioBinding", so.io_binding);
  o.Set("pinnedBuffers", so.pinned_buffers);
  o.Set("batchesInFlight", so.batches_in_flight);
  o.Set("trtMinShape", Shape(env, so.trt_min_shape));
  o.Set("trtOptShape", Shape(env, so.trt_opt_shape));
  o.Set("trtMaxShape", Shape(env, so.trt_max_shape));
  return o;
}

void InitLoadBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("loadDefaults", Napi::Function::New<LoadDefaultsJs>(env, "loadDefaults"));
  exports.Set("resolveLoad", Napi::Function::New<ResolveLoadJs>(env, "resolveLoad"));
  exports.Set("usableCores", Napi::Function::New<UsableCoresJs>(env, "usableCores"));
  exports.Set("cgroupCpuLimit", Napi::Function::New<CgroupCpuLimitJs>(env, "cgroupCpuLimit"));
}

}  // namespace cappy_node
