// Binding for cappy::Tokenizer. The core reads tokenizer.json itself (from a
// path, or from the text TypeScript hands over for Tokenizer.fromJSON), so
// all that crosses here is where the file is and the caller's truncation.
// Arguments are read by the one policy in js_args.h.
#include "tokenizer_binding.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "addon_data.h"
#include "errors.h"
#include "job.h"
#include "js_args.h"

namespace cappy_node {

namespace {

// Marks JS objects made by this class, so UnwrapTokenizer can tell them from
// look-alikes (a type tag, not a constructor comparison).
constexpr napi_type_tag kTokenizerTag = {0x6361707079746f6bULL, 0x656e697a65723031ULL};

// Where tokenizer.json comes from: { path } or { json } (text or UTF-8 bytes).
struct TokenizerSource {
  bool is_path = false;
  std::string path;
  std::string json;
};

TokenizerSource ReadSource(const Napi::Value& value) {
  const Napi::Object o = ReadObject(value, "source");
  TokenizerSource source;
  if (!o.Get("path").IsUndefined()) {
    source.is_path = true;
    source.path = StringField(o, "path", "source");
    return source;
  }
  const Napi::Value json = o.Get("json");
  if (json.IsTypedArray() && json.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    const Napi::Uint8Array bytes = json.As<Napi::Uint8Array>();
    source.json.assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ElementLength());
  } else if (json.IsString()) {
    source.json = json.As<Napi::String>().Utf8Value();
  } else {
    Invalid(value.Env(), "source must be { path: string } or { json: string | Uint8Array }");
  }
  return source;
}

// { maxLength: 0 (the file's) or a length, truncation: '' (the file's) or a strategy }.
cappy::TokenizerOptions ReadOptions(const Napi::Value& value) {
  const Napi::Object o = ReadObject(value, "options");
  cappy::TokenizerOptions options;
  options.max_length = static_cast<uint32_t>(IntField(o, "maxLength", "options", 0, UINT32_MAX));
  const std::string strategy = StringField(o, "truncation", "options");
  if (const auto parsed = cappy::ParseTruncationStrategy(strategy)) {
    options.strategy = *parsed;
  } else if (!strategy.empty()) {
    Invalid(value.Env(), "options.truncation must be '', 'longest_first', 'only_first' or 'only_second'");
  }
  return options;
}

std::unique_ptr<cappy::Tokenizer> Load(const TokenizerSource& source, const cappy::TokenizerOptions& options) {
  return source.is_path ? cappy::Tokenizer::FromFile(source.path, options)
                        : cappy::Tokenizer::FromJson(source.json, options);
}

const char* Name(cappy::ModelKind kind) {
  switch (kind) {
    case cappy::ModelKind::kWordPiece:
      return "wordpiece";
    case cappy::ModelKind::kUnigram:
      return "unigram";
    case cappy::ModelKind::kBpe:
      break;
  }
  return "bpe";
}

const char* Name(cappy::NormalizerSpec::Kind kind) {
  switch (kind) {
    case cappy::NormalizerSpec::Kind::kBert:
      return "bert";
    case cappy::NormalizerSpec::Kind::kSequence:
      return "sequence";
    case cappy::NormalizerSpec::Kind::kNone:
      break;
  }
  return "none";
}

const char* Name(cappy::PreTokenizerKind kind) {
  switch (kind) {
    case cappy::PreTokenizerKind::kBert:
      return "bert";
    case cappy::PreTokenizerKind::kMetaspace:
      return "metaspace";
    case cappy::PreTokenizerKind::kNone:
      return "none";
    case cappy::PreTokenizerKind::kByteLevel:
      break;
  }
  return "byte_level";
}

const char* Name(cappy::PostProcessorSpec::Kind kind) {
  switch (kind) {
    case cappy::PostProcessorSpec::Kind::kRoberta:
      return "roberta";
    case cappy::PostProcessorSpec::Kind::kBert:
      return "bert";
    case cappy::PostProcessorSpec::Kind::kTemplate:
      return "template";
    case cappy::PostProcessorSpec::Kind::kNone:
      break;
  }
  return "none";
}

Napi::Object InfoToJs(Napi::Env env, const cappy::TokenizerInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("model", Name(info.model));
  o.Set("normalizer", Name(info.normalizer));
  o.Set("preTokenizer", Name(info.pre_tokenizer));
  o.Set("postProcessor", Name(info.post_processor));
  o.Set("pairTypeId", info.pair_type_id);
  o.Set("padId", info.pad_id);
  o.Set("vocabSize", static_cast<double>(info.vocab_size));
  if (info.truncation.enabled) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("maxLength", info.truncation.max_length);
    t.Set("strategy", cappy::TruncationStrategyName(info.truncation.strategy));
    o.Set("truncation", t);
  } else {
    o.Set("truncation", env.Null());
  }
  return o;
}

// Encodes a batch on native threads; the JS thread only copies strings in
// (before) and one packed Int32Array out (after).
class EncodeBatchWorker : public PromiseJob {
 public:
  EncodeBatchWorker(Napi::Env env, std::shared_ptr<const cappy::Tokenizer> tokenizer,
                    std::vector<cappy::TextInput> inputs, unsigned threads)
      : PromiseJob(env, "cappy.encodeBatch"),
        tokenizer_(std::move(tokenizer)),
        inputs_(std::move(inputs)),
        threads_(threads) {}

 private:
  void Run() override {
    auto inputs = std::move(inputs_);  // freed when the call ends, whatever happens
    tokenizer_->EncodeBatch(inputs, threads_, out_);
  }

  Napi::Value Result(Napi::Env env) override {
    size_t total = 0;
    for (const auto& ids : out_) total += ids.size();
    Napi::Int32Array ids = Napi::Int32Array::New(env, total);
    Napi::Uint32Array offsets = Napi::Uint32Array::New(env, out_.size() + 1);
    size_t at = 0;
    for (size_t i = 0; i < out_.size(); i++) {
      offsets[i] = static_cast<uint32_t>(at);
      std::copy(out_[i].begin(), out_[i].end(), ids.Data() + at);
      at += out_[i].size();
    }
    offsets[out_.size()] = static_cast<uint32_t>(at);
    Napi::Object result = Napi::Object::New(env);
    result.Set("ids", ids);
    result.Set("offsets", offsets);
    return result;
  }

  std::shared_ptr<const cappy::Tokenizer> tokenizer_;
  std::vector<cappy::TextInput> inputs_;
  unsigned threads_;
  std::vector<std::vector<int32_t>> out_;
};

class TokenizerWrap : public Napi::ObjectWrap<TokenizerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Tokenizer",
        {InstanceMethod<&TokenizerWrap::Encode>("encode"), InstanceMethod<&TokenizerWrap::Normalize>("normalize"),
         InstanceMethod<&TokenizerWrap::EncodeBatch>("encodeBatch"), InstanceAccessor<&TokenizerWrap::Info>("info")});
  }

  // new Tokenizer(source, options) reads tokenizer.json on the calling
  // thread (Tokenizer.fromJSON); loadTokenizer passes one built on a runner
  // thread in an External.
  explicit TokenizerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TokenizerWrap>(info) {
    Guard(info.Env(), [&] {
      Napi::Env env = info.Env();
      if (!info.IsConstructCall()) Invalid(env, "Tokenizer must be called with new");
      if (info.Length() == 1 && info[0].IsExternal()) {
        tokenizer_ = *info[0].As<Napi::External<std::shared_ptr<const cappy::Tokenizer>>>().Data();
      } else {
        const TokenizerSource source = ReadSource(info[0]);
        const cappy::TokenizerOptions options = ReadOptions(info[1]);
        try {
          tokenizer_ = Load(source, options);
        } catch (const std::exception& e) {
          throw FromException(env, e);
        }
      }
      info.This().As<Napi::Object>().TypeTag(&kTokenizerTag);
    });
  }

  std::shared_ptr<const cappy::Tokenizer> tokenizer() const { return tokenizer_; }

 private:
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      if (!info[0].IsString()) Invalid(env, "encode(first, second?): first must be a string");
      const bool pair = !info[1].IsUndefined() && !info[1].IsNull();
      if (pair && !info[1].IsString()) Invalid(env, "encode(first, second?): second must be a string or undefined");
      const std::string first = info[0].As<Napi::String>().Utf8Value();
      const std::string second = pair ? info[1].As<Napi::String>().Utf8Value() : std::string();
      const std::string_view second_view(second);
      std::vector<int32_t> ids;
      try {
        tokenizer_->Encode(first, pair ? &second_view : nullptr, ids);
      } catch (const std::exception& e) {
        throw FromException(env, e);
      }
      Napi::Int32Array out = Napi::Int32Array::New(env, ids.size());
      std::copy(ids.begin(), ids.end(), out.Data());
      return out;
    });
  }

  Napi::Value Normalize(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      if (!info[0].IsString()) Invalid(env, "normalize(text): text must be a string");
      try {
        return Napi::String::New(env, tokenizer_->Normalize(info[0].As<Napi::String>().Utf8Value()));
      } catch (const std::exception& e) {
        throw FromException(env, e);
      }
    });
  }

  Napi::Value EncodeBatch(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      // seconds may be undefined: a batch of singles sends no second array.
      const bool has_seconds = !info[1].IsUndefined() && !info[1].IsNull();
      if (!info[0].IsArray() || (has_seconds && !info[1].IsArray())) {
        Invalid(env, "encodeBatch(firsts, seconds, threads): firsts must be an array, seconds an array or undefined");
      }
      Napi::Array firsts = info[0].As<Napi::Array>();
      Napi::Array seconds = has_seconds ? info[1].As<Napi::Array>() : Napi::Array();
      if (has_seconds && firsts.Length() != seconds.Length())
        Invalid(env, "encodeBatch: firsts and seconds differ in length");
      const unsigned threads = static_cast<unsigned>(ReadInt(info[2], "encodeBatch: threads", 0, 1024));
      std::vector<cappy::TextInput> inputs(firsts.Length());
      for (uint32_t i = 0; i < firsts.Length(); i++) {
        Napi::Value a = firsts.Get(i);
        if (!a.IsString()) Invalid(env, "encodeBatch: firsts[" + std::to_string(i) + "] must be a string");
        // Utf8Value replaces lone surrogates with U+FFFD, as HF's binding does.
        inputs[i].first = a.As<Napi::String>().Utf8Value();
        if (!has_seconds) continue;
        Napi::Value b = seconds.Get(i);
        if (b.IsUndefined()) continue;
        if (!b.IsString())
          Invalid(env, "encodeBatch: seconds[" + std::to_string(i) + "] must be a string or undefined");
        inputs[i].second = b.As<Napi::String>().Utf8Value();
        inputs[i].has_second = true;
      }
      return PromiseJob::Start(env, new EncodeBatchWorker(env, tokenizer_, std::move(inputs), threads));
    });
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&]() -> Napi::Value { return InfoToJs(info.Env(), tokenizer_->info()); });
  }

  std::shared_ptr<const cappy::Tokenizer> tokenizer_;
};

// Reads tokenizer.json and builds the tokenizer on a runner thread: a 17 MB
// file never blocks the event loop.
class LoadTokenizerJob : public PromiseJob {
 public:
  LoadTokenizerJob(Napi::Env env, TokenizerSource source, cappy::TokenizerOptions options)
      : PromiseJob(env, "cappy.loadTokenizer"), source_(std::move(source)), options_(options) {}

 private:
  void Run() override { tokenizer_ = Load(source_, options_); }

  Napi::Value Result(Napi::Env env) override {
    auto holder = Napi::External<std::shared_ptr<const cappy::Tokenizer>>::New(env, &tokenizer_);
    return env.GetInstanceData<AddonData>()->tokenizer_constructor.New({holder});
  }

  TokenizerSource source_;
  cappy::TokenizerOptions options_;
  std::shared_ptr<const cappy::Tokenizer> tokenizer_;
};

// loadTokenizer(source, options): the async form of new Tokenizer(source, options).
Napi::Value LoadTokenizer(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    return PromiseJob::Start(info.Env(), new LoadTokenizerJob(info.Env(), ReadSource(info[0]), ReadOptions(info[1])));
  });
}

}  // namespace

void InitTokenizerBinding(Napi::Env env, Napi::Object exports) {
  Napi::Function constructor = TokenizerWrap::Define(env);
  // loadTokenizer makes instances from a job's result (addon_data.h).
  env.GetInstanceData<AddonData>()->tokenizer_constructor = Napi::Persistent(constructor);
  exports.Set("Tokenizer", constructor);
  exports.Set("loadTokenizer", Napi::Function::New<LoadTokenizer>(env, "loadTokenizer"));
}

std::shared_ptr<const cappy::Tokenizer> UnwrapTokenizer(Napi::Value value) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kTokenizerTag)) {
    Napi::TypeError error = Napi::TypeError::New(env, "expected a native Tokenizer");
    error.Set("cappyCode", Napi::String::New(env, cappy::ErrorCodeName(cappy::ErrorCode::kInvalidInput)));
    throw error;
  }
  return TokenizerWrap::Unwrap(value.As<Napi::Object>())->tokenizer();
}

}  // namespace cappy_node
