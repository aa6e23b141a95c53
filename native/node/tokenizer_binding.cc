// Binding for cappy::Tokenizer. The spec arrives already validated by
// lib/tokenizer, but every field is type-checked again here: a wrong type
// from JS must become an INVALID_INPUT error, never a crash.
#include "tokenizer_binding.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"
#include "job.h"

namespace cappy_node {

namespace {

// Marks JS objects made by this class, so UnwrapTokenizer can tell them from
// look-alikes without keeping a constructor reference in instance data
// (which the scorer binding already uses).
constexpr napi_type_tag kTokenizerTag = {0x6361707079746f6bULL, 0x656e697a65723031ULL};

[[noreturn]] void Invalid(Napi::Env env, const std::string& message) {
  throw MakeError(env, cappy::ErrorCode::kInvalidInput, message);
}

Napi::Value Field(const Napi::Object& o, const char* name) { return o.Get(name); }

std::string GetString(const Napi::Object& o, const char* name, const std::string& where) {
  Napi::Value v = Field(o, name);
  if (!v.IsString()) Invalid(o.Env(), where + "." + name + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool GetBool(const Napi::Object& o, const char* name, const std::string& where) {
  Napi::Value v = Field(o, name);
  if (!v.IsBoolean()) Invalid(o.Env(), where + "." + name + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

int64_t GetInt(const Napi::Object& o, const char* name, const std::string& where, int64_t lo, int64_t hi) {
  Napi::Value v = Field(o, name);
  if (!v.IsNumber()) Invalid(o.Env(), where + "." + name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != static_cast<double>(static_cast<int64_t>(d))) {
    Invalid(o.Env(), where + "." + name + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return static_cast<int64_t>(d);
}

Napi::Object GetObject(const Napi::Object& o, const char* name, const std::string& where) {
  Napi::Value v = Field(o, name);
  if (!v.IsObject()) Invalid(o.Env(), where + "." + name + " must be an object");
  return v.As<Napi::Object>();
}

std::vector<std::string> GetStrings(const Napi::Object& o, const char* name) {
  Napi::Value v = Field(o, name);
  if (!v.IsArray()) Invalid(o.Env(), std::string("spec.") + name + " must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value item = a.Get(i);
    if (!item.IsString()) Invalid(o.Env(), std::string("spec.") + name + "[" + std::to_string(i) + "] must be a string");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

std::vector<cappy::NormalizerStep> ReadSteps(const Napi::Object& n) {
  using Kind = cappy::NormalizerStep::Kind;
  Napi::Value v = Field(n, "steps");
  if (!v.IsArray()) Invalid(n.Env(), "spec.normalizer.steps must be an array");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<cappy::NormalizerStep> steps;
  for (uint32_t i = 0; i < a.Length(); i++) {
    const std::string where = "spec.normalizer.steps[" + std::to_string(i) + "]";
    Napi::Value item = a.Get(i);
    if (!item.IsObject()) Invalid(n.Env(), where + " must be an object");
    const Napi::Object o = item.As<Napi::Object>();
    const std::string kind = GetString(o, "kind", where);
    cappy::NormalizerStep step;
    if (kind == "lowercase") {
      step.kind = Kind::kLowercase;
    } else if (kind == "strip") {
      step.kind = Kind::kStrip;
      step.strip_left = GetBool(o, "left", where);
      step.strip_right = GetBool(o, "right", where);
    } else if (kind == "replace") {
      step.kind = Kind::kReplace;
      step.pattern = GetString(o, "pattern", where);
      step.content = GetString(o, "content", where);
      // minRepeat is validated in TypeScript; absent means a plain literal.
      const Napi::Value min = Field(o, "minRepeat");
      if (min.IsNumber()) step.min_repeat = min.As<Napi::Number>().Uint32Value();
    } else if (kind == "nmt") {
      step.kind = Kind::kNmt;
    } else if (kind == "precompiled") {
      step.kind = Kind::kPrecompiled;
      const Napi::Value m = Field(o, "charsmap");
      if (!m.IsTypedArray() || m.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        Invalid(n.Env(), where + ".charsmap must be a Uint8Array");
      }
      const Napi::Uint8Array bytes = m.As<Napi::Uint8Array>();
      step.charsmap.assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ElementLength());
    } else if (kind == "prepend") {
      step.kind = Kind::kPrepend;
      step.content = GetString(o, "content", where);
    } else if (kind == "nfc") {
      step.kind = Kind::kNfc;
    } else if (kind == "nfd") {
      step.kind = Kind::kNfd;
    } else if (kind == "nfkc") {
      step.kind = Kind::kNfkc;
    } else if (kind == "nfkd") {
      step.kind = Kind::kNfkd;
    } else {
      Invalid(n.Env(), where + ".kind must be lowercase, strip, replace, prepend, nfc, nfd, nfkc, nfkd, nmt or precompiled");
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

std::vector<int32_t> GetTemplate(const Napi::Object& o, const char* name) {
  Napi::Value v = Field(o, name);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Invalid(o.Env(), std::string("spec.postProcessor.") + name + " must be an Int32Array");
  }
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

// The fields beyond byte-level BPE are optional, so a spec written before
// WordPiece existed still loads as BPE.
void ReadModelOptions(const Napi::Object& o, cappy::TokenizerSpec& spec) {
  Napi::Env env = o.Env();
  if (!Field(o, "model").IsUndefined()) {
    const std::string model = GetString(o, "model", "spec");
    if (model == "bpe") {
      spec.model = cappy::ModelKind::kBpe;
    } else if (model == "wordpiece") {
      spec.model = cappy::ModelKind::kWordPiece;
    } else if (model == "unigram") {
      spec.model = cappy::ModelKind::kUnigram;
    } else {
      Invalid(env, "spec.model must be 'bpe', 'wordpiece' or 'unigram'");
    }
  }
  if (!Field(o, "scores").IsUndefined()) {
    Napi::Value v = Field(o, "scores");
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Invalid(env, "spec.scores must be a Float64Array");
    }
    Napi::Float64Array a = v.As<Napi::Float64Array>();
    spec.scores.assign(a.Data(), a.Data() + a.ElementLength());
  }
  if (!Field(o, "byteFallback").IsUndefined()) spec.byte_fallback = GetBool(o, "byteFallback", "spec");
  if (!Field(o, "metaspace").IsUndefined()) {
    const Napi::Object m = GetObject(o, "metaspace", "spec");
    spec.metaspace.replacement = GetString(m, "replacement", "spec.metaspace");
    const std::string scheme = GetString(m, "prependScheme", "spec.metaspace");
    if (scheme == "always") {
      spec.metaspace.prepend_scheme = cappy::MetaspaceSpec::Prepend::kAlways;
    } else if (scheme == "first") {
      spec.metaspace.prepend_scheme = cappy::MetaspaceSpec::Prepend::kFirst;
    } else if (scheme == "never") {
      spec.metaspace.prepend_scheme = cappy::MetaspaceSpec::Prepend::kNever;
    } else {
      Invalid(env, "spec.metaspace.prependScheme must be 'always', 'first' or 'never'");
    }
    spec.metaspace.split = GetBool(m, "split", "spec.metaspace");
    const Napi::Value ws = Field(m, "whitespaceSplit");
    spec.metaspace.whitespace_split = ws.IsBoolean() && ws.As<Napi::Boolean>().Value();
  }
  if (!Field(o, "preTokenizer").IsUndefined()) {
    const std::string pre = GetString(o, "preTokenizer", "spec");
    if (pre == "byte_level") {
      spec.pre_tokenizer = cappy::PreTokenizerKind::kByteLevel;
    } else if (pre == "bert") {
      spec.pre_tokenizer = cappy::PreTokenizerKind::kBert;
    } else if (pre == "metaspace") {
      spec.pre_tokenizer = cappy::PreTokenizerKind::kMetaspace;
    } else if (pre == "none") {
      spec.pre_tokenizer = cappy::PreTokenizerKind::kNone;
    } else {
      Invalid(env, "spec.preTokenizer must be 'byte_level', 'bert', 'metaspace' or 'none'");
    }
  }
  if (!Field(o, "continuingSubwordPrefix").IsUndefined()) {
    spec.continuing_subword_prefix = GetString(o, "continuingSubwordPrefix", "spec");
  }
  if (!Field(o, "maxInputCharsPerWord").IsUndefined()) {
    spec.max_input_chars_per_word = static_cast<uint32_t>(GetInt(o, "maxInputCharsPerWord", "spec", 0, UINT32_MAX));
  }
  if (!Field(o, "normalizer").IsUndefined()) {
    const Napi::Object n = GetObject(o, "normalizer", "spec");
    const std::string kind = GetString(n, "kind", "spec.normalizer");
    if (kind == "none") {
      spec.normalizer.kind = cappy::NormalizerSpec::Kind::kNone;
    } else if (kind == "bert") {
      spec.normalizer.kind = cappy::NormalizerSpec::Kind::kBert;
      spec.normalizer.clean_text = GetBool(n, "cleanText", "spec.normalizer");
      spec.normalizer.handle_chinese_chars = GetBool(n, "handleChineseChars", "spec.normalizer");
      spec.normalizer.strip_accents = GetBool(n, "stripAccents", "spec.normalizer");
      spec.normalizer.lowercase = GetBool(n, "lowercase", "spec.normalizer");
    } else if (kind == "sequence") {
      spec.normalizer.kind = cappy::NormalizerSpec::Kind::kSequence;
      spec.normalizer.steps = ReadSteps(n);
    } else {
      Invalid(env, "spec.normalizer.kind must be 'none', 'bert' or 'sequence'");
    }
  }
}

cappy::TokenizerSpec ReadSpec(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) Invalid(env, "Tokenizer(spec): spec must be an object");
  const Napi::Object o = value.As<Napi::Object>();
  cappy::TokenizerSpec spec;
  spec.vocab = GetStrings(o, "vocab");
  Napi::Value ids = Field(o, "vocabIds");
  if (!ids.IsTypedArray() || ids.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Invalid(env, "spec.vocabIds must be an Int32Array");
  }
  Napi::Int32Array id_array = ids.As<Napi::Int32Array>();
  if (id_array.ElementLength() != spec.vocab.size()) Invalid(env, "spec.vocabIds must have one id per vocab entry");
  spec.vocab_ids.assign(id_array.Data(), id_array.Data() + id_array.ElementLength());
  spec.merges_left = GetStrings(o, "mergesLeft");
  spec.merges_right = GetStrings(o, "mergesRight");
  if (spec.merges_left.size() != spec.merges_right.size()) Invalid(env, "spec.mergesLeft and spec.mergesRight differ in length");

  Napi::Value added = Field(o, "addedTokens");
  if (!added.IsArray()) Invalid(env, "spec.addedTokens must be an array");
  Napi::Array added_array = added.As<Napi::Array>();
  for (uint32_t i = 0; i < added_array.Length(); i++) {
    const std::string where = "spec.addedTokens[" + std::to_string(i) + "]";
    Napi::Value item = added_array.Get(i);
    if (!item.IsObject()) Invalid(env, where + " must be an object");
    const Napi::Object t = item.As<Napi::Object>();
    cappy::AddedToken tok;
    tok.content = GetString(t, "content", where);
    tok.id = static_cast<int32_t>(GetInt(t, "id", where, 0, INT32_MAX));
    tok.special = GetBool(t, "special", where);
    tok.lstrip = GetBool(t, "lstrip", where);
    tok.rstrip = GetBool(t, "rstrip", where);
    tok.single_word = GetBool(t, "singleWord", where);
    tok.normalized = GetBool(t, "normalized", where);
    spec.added_tokens.push_back(std::move(tok));
  }
  spec.add_prefix_space = GetBool(o, "addPrefixSpace", "spec");
  spec.unk_id = static_cast<int32_t>(GetInt(o, "unkId", "spec", -1, INT32_MAX));
  spec.pad_id = static_cast<int32_t>(GetInt(o, "padId", "spec", -1, INT32_MAX));

  const Napi::Object pp = GetObject(o, "postProcessor", "spec");
  const std::string kind = GetString(pp, "kind", "spec.postProcessor");
  if (kind == "roberta") {
    spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kRoberta;
  } else if (kind == "bert") {
    spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kBert;
  } else if (kind == "none") {
    spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kNone;
  } else if (kind == "template") {
    // single/pair: special ids, with -1 for $A and -2 for $B.
    spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kTemplate;
    spec.post_processor.single = GetTemplate(pp, "single");
    spec.post_processor.pair = GetTemplate(pp, "pair");
  } else {
    Invalid(env, "spec.postProcessor.kind must be 'roberta', 'bert', 'template' or 'none'");
  }
  spec.post_processor.cls = GetString(pp, "cls", "spec.postProcessor");
  spec.post_processor.cls_id = static_cast<int32_t>(GetInt(pp, "clsId", "spec.postProcessor", 0, INT32_MAX));
  spec.post_processor.sep = GetString(pp, "sep", "spec.postProcessor");
  spec.post_processor.sep_id = static_cast<int32_t>(GetInt(pp, "sepId", "spec.postProcessor", 0, INT32_MAX));
  // Optional, so specs written before segment ids existed still load (type 0 throughout).
  if (!Field(pp, "pairTypeId").IsUndefined()) {
    spec.post_processor.pair_type_id = static_cast<int32_t>(GetInt(pp, "pairTypeId", "spec.postProcessor", 0, INT32_MAX));
  }

  ReadModelOptions(o, spec);

  const Napi::Object tr = GetObject(o, "truncation", "spec");
  spec.truncation.enabled = GetBool(tr, "enabled", "spec.truncation");
  spec.truncation.max_length = static_cast<uint32_t>(GetInt(tr, "maxLength", "spec.truncation", 0, UINT32_MAX));
  const std::string strategy = GetString(tr, "strategy", "spec.truncation");
  if (strategy == "longest_first") {
    spec.truncation.strategy = cappy::TruncationStrategy::kLongestFirst;
  } else if (strategy == "only_first") {
    spec.truncation.strategy = cappy::TruncationStrategy::kOnlyFirst;
  } else if (strategy == "only_second") {
    spec.truncation.strategy = cappy::TruncationStrategy::kOnlySecond;
  } else {
    Invalid(env, "spec.truncation.strategy must be longest_first, only_first or only_second");
  }
  return spec;
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
    return DefineClass(env, "Tokenizer",
                       {InstanceMethod<&TokenizerWrap::Encode>("encode"),
                        InstanceMethod<&TokenizerWrap::Normalize>("normalize"),
                        InstanceMethod<&TokenizerWrap::EncodeBatch>("encodeBatch"),
                        InstanceAccessor<&TokenizerWrap::PadId>("padId"),
                        InstanceAccessor<&TokenizerWrap::VocabSize>("vocabSize")});
  }

  explicit TokenizerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TokenizerWrap>(info) {
    Guard(info.Env(), [&] {
      Napi::Env env = info.Env();
      if (!info.IsConstructCall()) Invalid(env, "Tokenizer must be called with new");
      cappy::TokenizerSpec spec = ReadSpec(info[0]);
      try {
        tokenizer_ = std::make_shared<const cappy::Tokenizer>(spec);
      } catch (const std::exception& e) {
        throw FromException(env, e);
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
      if (has_seconds && firsts.Length() != seconds.Length()) Invalid(env, "encodeBatch: firsts and seconds differ in length");
      if (!info[2].IsNumber()) Invalid(env, "encodeBatch: threads must be a number");
      const double t = info[2].As<Napi::Number>().DoubleValue();
      if (!(t >= 0 && t <= 1024)) Invalid(env, "encodeBatch: threads must be in 0..1024");
      std::vector<cappy::TextInput> inputs(firsts.Length());
      for (uint32_t i = 0; i < firsts.Length(); i++) {
        Napi::Value a = firsts.Get(i);
        if (!a.IsString()) Invalid(env, "encodeBatch: firsts[" + std::to_string(i) + "] must be a string");
        // Utf8Value replaces lone surrogates with U+FFFD, as HF's binding does.
        inputs[i].first = a.As<Napi::String>().Utf8Value();
        if (!has_seconds) continue;
        Napi::Value b = seconds.Get(i);
        if (b.IsUndefined()) continue;
        if (!b.IsString()) Invalid(env, "encodeBatch: seconds[" + std::to_string(i) + "] must be a string or undefined");
        inputs[i].second = b.As<Napi::String>().Utf8Value();
        inputs[i].has_second = true;
      }
      return PromiseJob::Start(env, new EncodeBatchWorker(env, tokenizer_, std::move(inputs), static_cast<unsigned>(t)));
    });
  }

  Napi::Value PadId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), tokenizer_->pad_id()); }
  Napi::Value VocabSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(tokenizer_->vocab_size()));
  }

  std::shared_ptr<const cappy::Tokenizer> tokenizer_;
};

}  // namespace

void InitTokenizerBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("Tokenizer", TokenizerWrap::Define(env));
}

std::shared_ptr<const cappy::Tokenizer> UnwrapTokenizer(Napi::Value value) {
  Napi::Env env = value.Env();
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kTokenizerTag)) {
    Napi::TypeError error = Napi::TypeError::New(env, "expected a native Tokenizer");
    error.Set("cappyCode", Napi::String::New(env, CodeName(cappy::ErrorCode::kInvalidInput)));
    throw error;
  }
  return TokenizerWrap::Unwrap(value.As<Napi::Object>())->tokenizer();
}

}  // namespace cappy_node
