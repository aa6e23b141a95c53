// tokenizer.json -> TokenizerSpec: the file's top level. Each stage reads
// its own JSON by its own "type", in its own folder, as HF's tokenizers lays
// them out (models/model_json.cc, normalizers/normalizer_json.cc,
// pre_tokenizers/pre_tokenizer_json.cc, post_processors/post_processor_json.cc);
// this file walks the stages, has the model's pipeline check them
// (pipeline.h), and reads what belongs to the tokenizer itself: added tokens,
// the pad id and truncation. Every refusal names the field, so a user with an
// unsupported file knows what to change; whatever is accepted, the tokenizer
// reproduces with HF's ids.
#include <utility>

#include "tokenizer/loader/checks.h"
#include "tokenizer/loader/pipeline.h"
#include "tokenizer/models/model_json.h"
#include "tokenizer/normalizers/normalizer_json.h"
#include "tokenizer/post_processors/post_processor_json.h"
#include "tokenizer/pre_tokenizers/pre_tokenizer_json.h"

namespace cappy {

namespace tok::load {

namespace {

// The tokens whose vocab ids the rest of the file needs: the pad token and
// every added token (a list vocab looks up only these).
std::vector<std::string_view> NamedTokens(const std::optional<json::Value>& added, std::string_view pad_name) {
  std::vector<std::string_view> names{pad_name};
  if (added && json::IsArray(*added)) {
    for (const json::Value t : json::Array(*added)) {
      const std::optional<json::Object> o = AsObject(t);
      const std::optional<json::Value> content = o ? json::Field(*o, "content") : std::nullopt;
      if (content && json::IsString(*content)) names.push_back(std::string_view(*content));
    }
  }
  return names;
}

void ReadAddedTokens(const std::optional<json::Value>& value, const TokenIds& model_ids, TokenizerSpec& spec) {
  if (!value) return;
  if (!json::IsArray(*value)) Fail("added_tokens must be an array");
  // HF ignores the ids written here: a token in the model vocab keeps its
  // vocab id, and the others are numbered from the vocab's entry count, in
  // file order (checked against tokenizers 0.23).
  TokenIds assigned;
  int64_t next_new = static_cast<int64_t>(spec.vocab.size());
  size_t i = 0;
  for (const json::Value t : json::Array(*value)) {
    const std::string where = "added_tokens[" + std::to_string(i++) + "]";
    if (!json::IsObject(t)) Fail(where + " must be an object");
    const json::Object o(t);
    const std::optional<json::Value> content_value = json::Field(o, "content");
    const std::optional<std::string_view> content = content_value ? json::String(*content_value) : std::nullopt;
    if (!content) Fail(where + ".content must be a string");
    const std::optional<json::Value> id_value = json::Field(o, "id");
    const std::optional<int32_t> file_id = id_value ? json::Id(*id_value) : std::nullopt;
    if (!file_id) Fail(where + ".id must be a non-negative integer");
    AddedToken tok;
    tok.special = OptBool(o, "special", where, false);
    auto it = assigned.find(*content);
    if (it != assigned.end()) {
      tok.id = it->second;
    } else if (const auto in_model = model_ids.find(*content); in_model != model_ids.end()) {
      tok.id = in_model->second;
    } else {
      // Empty tokens never match; HF skips them, so their id does not count.
      if (content->empty()) {
        tok.id = *file_id;
      } else {
        if (next_new > INT32_MAX) Fail(where + " gets an id past the int32 range");
        tok.id = static_cast<int32_t>(next_new++);
      }
      assigned.emplace(*content, tok.id);
    }
    tok.content = std::string(*content);
    tok.lstrip = OptBool(o, "lstrip", where, false);
    tok.rstrip = OptBool(o, "rstrip", where, false);
    tok.single_word = OptBool(o, "single_word", where, false);
    tok.normalized = OptBool(o, "normalized", where, !tok.special);
    spec.added_tokens.push_back(std::move(tok));
  }
}

Truncation ReadTruncation(const std::optional<json::Value>& t) {
  Truncation out;
  if (!t) return out;
  const std::optional<json::Object> o = AsObject(t);
  if (!o) Fail("truncation must be an object or null");
  const std::optional<json::Value> max_length = json::Field(*o, "max_length");
  const std::optional<int32_t> n = max_length ? json::Id(*max_length) : std::nullopt;
  if (!n || *n == 0) Fail("truncation.max_length must be a positive integer");
  if (const std::optional<json::Value> strategy = json::Present(*o, "strategy")) {
    const std::optional<std::string_view> name = json::String(*strategy);
    const std::optional<TruncationStrategy> found = name ? FindIn(kTruncationStrategyTypes, *name) : std::nullopt;
    if (!found) Fail("truncation.strategy must be " + Listed(kTruncationStrategyTypes));
    out.strategy = *found;
  }
  const std::optional<json::Value> direction = json::Field(*o, "direction");
  if (direction && json::String(*direction) != "Right") Fail("truncation.direction must be \"Right\"");
  out.enabled = true;
  out.max_length = static_cast<uint32_t>(*n);
  return out;
}

TokenizerSpec ReadRoot(json::Value root_value) {
  if (!json::IsObject(root_value)) Fail("the top level must be an object");
  const json::Object root(root_value);
  TokenizerSpec spec;
  const std::optional<json::Object> model = AsObject(json::Field(root, "model"));
  if (!model) Fail("model must be an object");
  std::optional<TokenIds> every_id = ReadModel(*model, spec);
  const std::string_view pad_name = DefaultPadToken(spec.model);
  const std::optional<json::Value> added = json::Present(root, "added_tokens");
  const TokenIds ids = every_id ? std::move(*every_id) : IdsOf(spec, NamedTokens(added, pad_name));

  CheckNormalizer(spec.model, ReadNormalizer(json::Present(root, "normalizer"), spec.normalizer));
  ReadAddedTokens(added, ids, spec);
  SetPreTokenizer(ReadPreTokenizer(json::Present(root, "pre_tokenizer")), spec);
  spec.post_processor = ReadPostProcessor(json::Present(root, "post_processor"), "post_processor");

  const std::optional<json::Object> padding = AsObject(json::Field(root, "padding"));
  const std::optional<json::Value> pad_id = padding ? json::Field(*padding, "pad_id") : std::nullopt;
  const auto pad_entry = ids.find(pad_name);
  spec.pad_id = pad_id && json::Id(*pad_id) ? *json::Id(*pad_id) : pad_entry != ids.end() ? pad_entry->second : 1;
  spec.truncation = ReadTruncation(json::Present(root, "truncation"));
  return spec;
}

}  // namespace
}  // namespace tok::load

TokenizerSpec ParseTokenizerJson(std::string_view json_text) {
  const json::Document doc(json_text, ErrorCode::kTokenizer, "tokenizer.json");
  return tok::load::ReadRoot(doc.root());
}

TokenizerSpec ReadTokenizerJson(const std::string& path) {
  const std::unique_ptr<json::Document> doc = json::Document::Load(path, ErrorCode::kTokenizer, "tokenizer.json");
  return tok::load::ReadRoot(doc->root());
}

void ApplyTokenizerOptions(const TokenizerOptions& options, TokenizerSpec& spec) {
  Truncation& t = spec.truncation;
  if (options.max_length == 0 && !t.enabled) {
    if (options.strategy) {
      throw Error(ErrorCode::kInvalidInput, std::string("truncation ") + TruncationStrategyName(*options.strategy) +
                                                " needs a maximum length, and tokenizer.json sets none");
    }
    return;
  }
  if (options.max_length != 0) t.max_length = options.max_length;
  // Without a strategy of the caller's, the file's stands (longest_first when the file has none).
  if (options.strategy) {
    t.strategy = *options.strategy;
  } else if (!t.enabled) {
    t.strategy = TruncationStrategy::kLongestFirst;
  }
  t.enabled = true;
}

std::unique_ptr<Tokenizer> Tokenizer::FromJson(std::string_view json_text, const TokenizerOptions& options) {
  TokenizerSpec spec = ParseTokenizerJson(json_text);
  ApplyTokenizerOptions(options, spec);
  return std::make_unique<Tokenizer>(spec);
}

std::unique_ptr<Tokenizer> Tokenizer::FromFile(const std::string& path, const TokenizerOptions& options) {
  TokenizerSpec spec = ReadTokenizerJson(path);
  ApplyTokenizerOptions(options, spec);
  return std::make_unique<Tokenizer>(spec);
}

}  // namespace cappy
