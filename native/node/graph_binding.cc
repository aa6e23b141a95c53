// Binding for cappy::GraphSession. One PromiseJob per run. Inputs are read in
// place from the caller's typed arrays, and outputs with a buffer land in the
// caller's typed arrays (written, or added into), so a training step's weights
// and gradients are never copied on their way through here. The job holds a
// reference to every such array until it settles on the JS thread, so none is
// collected while a runner thread reads or writes it.
#include "graph_binding.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "addon_data.h"
#include "cancel_binding.h"
#include "cappy/cappy.h"
#include "errors.h"
#include "job.h"
#include "js_args.h"
#include "runtime_info_js.h"

namespace cappy_node {

namespace {

using cappy::ElementType;

// ------------------------------------------------------------------ typed arrays
// The element type a typed array holds; Uint8Array feeds bool tensors too and
// Uint16Array float16 bit patterns, so `graph_type` settles those.
ElementType ArrayElementType(napi_typedarray_type t, ElementType graph_type) {
  switch (t) {
    case napi_float32_array:
      return ElementType::kFloat32;
    case napi_float64_array:
      return ElementType::kFloat64;
    case napi_bigint64_array:
      return ElementType::kInt64;
    case napi_biguint64_array:
      return ElementType::kUint64;
    case napi_int32_array:
      return ElementType::kInt32;
    case napi_uint32_array:
      return ElementType::kUint32;
    case napi_int8_array:
      return ElementType::kInt8;
    case napi_uint8_array:
      return graph_type == ElementType::kBool ? ElementType::kBool : ElementType::kUint8;
    case napi_uint16_array:
      return graph_type == ElementType::kFloat16 ? ElementType::kFloat16 : ElementType::kOther;
    default:
      return ElementType::kOther;
  }
}

Napi::Value NewTypedArray(Napi::Env env, ElementType type, const std::vector<uint8_t>& bytes) {
  const size_t size = std::max<size_t>(1, cappy::ElementTypeSize(type));
  const size_t n = bytes.size() / size;
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes.size());
  if (!bytes.empty()) std::copy(bytes.begin(), bytes.end(), static_cast<uint8_t*>(buffer.Data()));
  napi_typedarray_type t = napi_uint8_array;
  switch (type) {
    case ElementType::kFloat32:
      t = napi_float32_array;
      break;
    case ElementType::kFloat64:
      t = napi_float64_array;
      break;
    case ElementType::kInt64:
      t = napi_bigint64_array;
      break;
    case ElementType::kUint64:
      t = napi_biguint64_array;
      break;
    case ElementType::kInt32:
      t = napi_int32_array;
      break;
    case ElementType::kUint32:
      t = napi_uint32_array;
      break;
    case ElementType::kInt8:
      t = napi_int8_array;
      break;
    case ElementType::kFloat16:
      t = napi_uint16_array;
      break;
    default:
      t = napi_uint8_array;
      break;
  }
  napi_value out;
  if (napi_create_typedarray(env, t, n, buffer, 0, &out) != napi_ok) {
    throw MakeError(env, cappy::ErrorCode::kRuntime, "cannot create an output array");
  }
  return Napi::Value(env, out);
}

struct ArrayView {
  napi_typedarray_type type;
  void* data = nullptr;
  size_t byte_length = 0;
};

ArrayView ReadTypedArray(const Napi::Value& v, const std::string& what) {
  if (!v.IsTypedArray()) Invalid(v.Env(), what + " must be a typed array");
  ArrayView view;
  size_t length = 0;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(v.Env(), v, &view.type, &length, &view.data, &buffer, &offset) != napi_ok) {
    Invalid(v.Env(), what + " cannot be read");
  }
  view.byte_length = Napi::TypedArray(v.Env(), v).ByteLength();
  return view;
}

std::vector<int64_t> ReadShape(const Napi::Value& v, const std::string& what) {
  if (!v.IsArray()) Invalid(v.Env(), what + " must be an array of dims");
  const Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    shape.push_back(ReadInt(a.Get(i), what + "[" + std::to_string(i) + "]", 0, int64_t{1} << 53));
  }
  return shape;
}

bool Overlaps(const void* a, size_t na, const void* b, size_t nb) {
  const auto* pa = static_cast<const uint8_t*>(a);
  const auto* pb = static_cast<const uint8_t*>(b);
  return na > 0 && nb > 0 && pa < pb + nb && pb < pa + na;
}

// ------------------------------------------------------------------ info
Napi::Object TensorInfoToJs(Napi::Env env, const cappy::GraphTensorInfo& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", t.name);
  o.Set("elementType", cappy::ElementTypeName(t.type));
  Napi::Array shape = Napi::Array::New(env, t.shape.size());
  Napi::Array names = Napi::Array::New(env, t.dim_names.size());
  for (size_t i = 0; i < t.shape.size(); ++i) shape.Set(static_cast<uint32_t>(i), static_cast<double>(t.shape[i]));
  for (size_t i = 0; i < t.dim_names.size(); ++i) names.Set(static_cast<uint32_t>(i), t.dim_names[i]);
  o.Set("shape", shape);
  o.Set("dimNames", names);
  return o;
}

Napi::Object InfoToJs(Napi::Env env, const cappy::GraphSessionInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  SetRuntimeInfo(o, info);
  o.Set("intraOpThreads", info.intra_op_threads);
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

// ------------------------------------------------------------------ run
// Holds the run's arrays by napi_ref. They are released in Result, on the JS
// thread; if the env is torn down first the job is dropped off-thread and the
// references go with the env, so they are never deleted from a runner thread.
class GraphRunJob : public PromiseJob {
 public:
  GraphRunJob(Napi::Env env, std::shared_ptr<const cappy::GraphSession> session, std::vector<cappy::HostTensor> inputs,
              std::vector<cappy::OutputRequest> outputs, std::vector<napi_ref> input_refs,
              std::vector<napi_ref> output_refs, std::shared_ptr<cappy::CancelFlag> cancel)
      : PromiseJob(env, "cappy.graphRun", std::move(cancel)),
        session_(std::move(session)),
        inputs_(std::move(inputs)),
        outputs_(std::move(outputs)),
        input_refs_(std::move(input_refs)),
        output_refs_(std::move(output_refs)) {}

 private:
  void Run() override {
    // Errors wait for Result, so the references are always released on the JS thread.
    try {
      results_ = session_->Run(inputs_, outputs_, stop_flag());
    } catch (const std::exception& e) {
      run_error_.Capture(e);
    }
  }

  Napi::Value Result(Napi::Env env) override {
    std::vector<Napi::Value> into(output_refs_.size());
    for (size_t i = 0; i < output_refs_.size(); ++i) {
      if (output_refs_[i] == nullptr) continue;
      napi_value v = nullptr;
      napi_get_reference_value(env, output_refs_[i], &v);
      into[i] = Napi::Value(env, v);
    }
    for (napi_ref r : input_refs_) napi_delete_reference(env, r);
    for (napi_ref r : output_refs_) {
      if (r != nullptr) napi_delete_reference(env, r);
    }
    input_refs_.clear();
    output_refs_.clear();
    if (run_error_.set) throw MakeError(env, run_error_.info);
    Napi::Array out = Napi::Array::New(env, results_.size());
    for (size_t i = 0; i < results_.size(); ++i) {
      const cappy::OutputTensor& r = results_[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", r.name);
      Napi::Array shape = Napi::Array::New(env, r.shape.size());
      for (size_t d = 0; d < r.shape.size(); ++d) shape.Set(static_cast<uint32_t>(d), static_cast<double>(r.shape[d]));
      o.Set("shape", shape);
      o.Set("data", outputs_[i].into != nullptr ? into[i] : NewTypedArray(env, r.type, r.bytes));
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

  std::shared_ptr<const cappy::GraphSession> session_;
  std::vector<cappy::HostTensor> inputs_;
  std::vector<cappy::OutputRequest> outputs_;
  std::vector<napi_ref> input_refs_;
  std::vector<napi_ref> output_refs_;
  std::vector<cappy::OutputTensor> results_;
  PendingError run_error_;
};

// ------------------------------------------------------------------ session
class NativeGraphSession : public Napi::ObjectWrap<NativeGraphSession> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "NativeGraphSession",
        {InstanceAccessor<&NativeGraphSession::Info>("info"), InstanceMethod<&NativeGraphSession::RunGraph>("run"),
         InstanceMethod<&NativeGraphSession::EndProfiling>("endProfiling"),
         InstanceMethod<&NativeGraphSession::Close>("close")});
  }

  // Only loadGraphSession constructs these, passing the session in an External.
  explicit NativeGraphSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeGraphSession>(info) {
    Guard(info.Env(), [&] {
      if (info.Length() != 1 || !info[0].IsExternal()) {
        throw Napi::TypeError::New(info.Env(), "NativeGraphSession is created by loadGraphSession()");
      }
      session_ = *info[0].As<Napi::External<std::shared_ptr<cappy::GraphSession>>>().Data();
      info_ = Napi::Persistent(InfoToJs(info.Env(), session_->info()));
    });
  }

 private:
  std::shared_ptr<cappy::GraphSession> Live(Napi::Env env) const {
    if (!session_) throw MakeError(env, cappy::ErrorCode::kInvalidInput, "graph session is closed");
    return session_;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) { return info_.Value(); }

  // run(inputs: {name, data, shape}[], outputs: {name, into?, shape?, accumulate?}[], cancel?)
  Napi::Value RunGraph(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      auto session = Live(env);
      const cappy::GraphSessionInfo& graph = session->info();
      auto graph_type = [](const std::vector<cappy::GraphTensorInfo>& list, const std::string& name) {
        for (const auto& t : list) {
          if (t.name == name) return t.type;
        }
        return ElementType::kOther;
      };
      if (!info[0].IsArray()) Invalid(env, "run: inputs must be an array");
      if (!info[1].IsArray()) Invalid(env, "run: outputs must be an array");
      const Napi::Array js_inputs = info[0].As<Napi::Array>();
      const Napi::Array js_outputs = info[1].As<Napi::Array>();
      std::vector<cappy::HostTensor> inputs;
      std::vector<Napi::Value> input_arrays;
      for (uint32_t i = 0; i < js_inputs.Length(); ++i) {
        const std::string where = "run: inputs[" + std::to_string(i) + "]";
        const Napi::Object o = ReadObject(js_inputs.Get(i), where);
        cappy::HostTensor t;
        t.name = StringField(o, "name", where);
        const ArrayView view = ReadTypedArray(o.Get("data"), where + ".data");
        t.type = ArrayElementType(view.type, graph_type(graph.inputs, t.name));
        t.shape = ReadShape(o.Get("shape"), where + ".shape");
        t.data = view.data;
        t.byte_length = view.byte_length;
        inputs.push_back(std::move(t));
        input_arrays.push_back(o.Get("data"));
      }
      std::vector<cappy::OutputRequest> outputs;
      std::vector<Napi::Value> output_arrays;
      for (uint32_t i = 0; i < js_outputs.Length(); ++i) {
        const std::string where = "run: outputs[" + std::to_string(i) + "]";
        const Napi::Object o = ReadObject(js_outputs.Get(i), where);
        cappy::OutputRequest r;
        r.name = StringField(o, "name", where);
        const Napi::Value into = o.Get("into");
        if (!into.IsUndefined()) {
          const ArrayView view = ReadTypedArray(into, where + ".into");
          r.into = view.data;
          r.byte_length = view.byte_length;
          r.type = ArrayElementType(view.type, graph_type(graph.outputs, r.name));
          r.accumulate = !o.Get("accumulate").IsUndefined() && ReadBool(o.Get("accumulate"), where + ".accumulate");
          if (!r.accumulate) r.shape = ReadShape(o.Get("shape"), where + ".shape");
          // ORT would read an input while writing this buffer.
          for (const auto& t : inputs) {
            if (Overlaps(r.into, r.byte_length, t.data, t.byte_length)) {
              Invalid(env, where + ".into shares memory with input '" + t.name + "'");
            }
          }
          for (const auto& other : outputs) {
            if (Overlaps(r.into, r.byte_length, other.into, other.byte_length)) {
              Invalid(env, where + ".into shares memory with output '" + other.name + "'");
            }
          }
        }
        outputs.push_back(std::move(r));
        output_arrays.push_back(into);
      }
      std::shared_ptr<cappy::CancelFlag> cancel;
      if (info.Length() > 2) cancel = CancelFlagArgument(env, info[2], "run: cancel");
      std::vector<napi_ref> input_refs, output_refs;
      for (const Napi::Value& a : input_arrays) {
        napi_ref r = nullptr;
        napi_create_reference(env, a, 1, &r);
        input_refs.push_back(r);
      }
      for (const Napi::Value& a : output_arrays) {
        napi_ref r = nullptr;
        if (!a.IsUndefined()) napi_create_reference(env, a, 1, &r);
        output_refs.push_back(r);
      }
      return PromiseJob::Start(env, new GraphRunJob(env, std::move(session), std::move(inputs), std::move(outputs),
                                                    std::move(input_refs), std::move(output_refs), std::move(cancel)));
    });
  }

  Napi::Value EndProfiling(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      try {
        return Napi::String::New(info.Env(), Live(info.Env())->EndProfiling());
      } catch (const std::exception& e) {
        throw FromException(info.Env(), e);
      }
    });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    session_.reset();  // runs in flight hold their own reference
    return info.Env().Undefined();
  }

  std::shared_ptr<cappy::GraphSession> session_;
  Napi::ObjectReference info_;
};

// ------------------------------------------------------------------ load
class LoadGraphJob : public PromiseJob {
 public:
  LoadGraphJob(Napi::Env env, cappy::GraphSessionOptions options)
      : PromiseJob(env, "cappy.loadGraphSession"), options_(std::move(options)) {}

 private:
  void Run() override { session_ = std::make_shared<cappy::GraphSession>(options_); }
  Napi::Value Result(Napi::Env env) override {
    auto holder = Napi::External<std::shared_ptr<cappy::GraphSession>>::New(env, &session_);
    return env.GetInstanceData<AddonData>()->graph_session_constructor.New({holder});
  }
  cappy::GraphSessionOptions options_;
  std::shared_ptr<cappy::GraphSession> session_;
};

// loadGraphSession(options): complete and validated in TS; type-checked here.
Napi::Value LoadGraphSession(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const Napi::Object o = ReadObject(info[0], "options");
    const std::string where = "options";
    cappy::GraphSessionOptions so;
    so.ort_library_path = StringField(o, "ortLibraryPath", where);
    so.ort_link = StringField(o, "ortLink", where);
    so.model_path = StringField(o, "modelPath", where);
    so.intra_op_threads = static_cast<int>(IntField(o, "intraOpThreads", where, 0, INT32_MAX));
    so.execution_provider = StringField(o, "executionProvider", where);
    so.device_id = static_cast<int>(IntField(o, "deviceId", where, 0, INT32_MAX));
    so.ep_library_path = StringField(o, "epLibraryPath", where);
    so.deterministic = BoolField(o, "deterministic", where);
    so.optimization = StringField(o, "optimization", where);
    so.profile_prefix = StringField(o, "profilePrefix", where);
    so.memory_pattern = BoolField(o, "memoryPattern", where);
    so.config_entries = StringMapField(o, "sessionConfig", where);
    so.provider_options = StringMapField(o, "providerOptions", where);
    return PromiseJob::Start(env, new LoadGraphJob(env, std::move(so)));
  });
}

}  // namespace

void InitGraphBinding(Napi::Env env, Napi::Object exports) {
  AddonData* data = env.GetInstanceData<AddonData>();
  data->graph_session_constructor = Napi::Persistent(NativeGraphSession::Define(env));
  exports.Set("loadGraphSession", Napi::Function::New<LoadGraphSession>(env, "loadGraphSession"));
}

}  // namespace cappy_node
