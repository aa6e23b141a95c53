// tokenizer.json -> TokenizerSpec: the file's top level, the BPE and
// WordPiece models, added tokens, the byte-level and BERT pre-tokenizers,
// BertNormalizer and truncation (the Unigram family and the post-processors
// have files of their own). Every refusal names the field, so a user with an
// unsupported file knows what to change; whatever is accepted here, the
// tokenizer reproduces with HF's ids.
#include <unordered_map>
#include <utility>

#include "tokenizer/loader/checks.h"

namespace cappy {

namespace tok::load {

void Fail(const std::string& message) { throw Error(ErrorCode::kTokenizer, "tokenizer.json: " + message); }

bool OptBool(json::Object o, std::string_view key, const std::string& where, bool dflt) {
  const std::optional<json::Value> v = json::Present(o, key);
  if (!v) return dflt;
  if (v->type() != simdjson::dom::element_type::BOOL) Fail(where + "." + std::string(key) + " must be a boolean");
  return bool(*v);
}

namespace {

// token -> id as HF's model sees it (a repeated piece keeps its last id).
using TokenIds = std::unordered_map<std::string_view, int32_t>;

std::optional<json::Object> AsObject(const std::optional<json::Value>& v) {
  if (!v || !json::IsObject(*v)) return std::nullopt;
  return json::Object(*v);
}

bool TypeIs(json::Object o, std::string_view type) {
  const std::optional<json::Value> t = json::Field(o, "type");
  return t && json::String(*t) == type;
}

// BPE and WordPiece: {"token": id, ...}. A repeated key keeps its first
// place and its last id, as JSON.parse (and HF's map) read it.
TokenIds ReadObjectVocab(json::Object model, TokenizerSpec& spec) {
  const std::optional<json::Object> vocab = AsObject(json::Field(model, "vocab"));
  if (!vocab) Fail("model.vocab must be an object mapping token to id");
  std::unordered_map<std::string_view, json::Value> last;
  std::vector<std::string_view> order;
  for (const simdjson::dom::key_value_pair kv : *vocab) {
    auto [it, fresh] = last.emplace(kv.key, kv.value);
    if (fresh) {
      order.push_back(kv.key);
    } else {
      it->second = kv.value;
    }
  }
  TokenIds ids;
  ids.reserve(order.size());
  spec.vocab.reserve(order.size());
  spec.vocab_ids.reserve(order.size());
  for (const std::string_view token : order) {
    const std::optional<int32_t> id = json::Id(last.at(token));
    if (!id) Fail("model.vocab[" + json::Quote(token) + "] must be a non-negative integer id");
    ids.emplace(token, *id);
    spec.vocab.emplace_back(token);
    spec.vocab_ids.push_back(*id);
  }
  return ids;
}

int32_t ReadUnk(json::Object model, const TokenIds& ids, bool required) {
  const std::optional<json::Value> unk = json::Present(model, "unk_token");
  if (!unk) {
    if (required) Fail("model.unk_token must name a vocab token (WordPiece maps unknown words to it)");
    return -1;
  }
  const std::optional<std::string_view> name = json::String(*unk);
  if (!name) Fail("model.unk_token must be a string or null");
  const auto it = ids.find(*name);
  if (it == ids.end()) Fail("model.unk_token " + json::Quote(*name) + " is not in model.vocab");
  return it->second;
}

// WordPiece (BERT): vocab, unk token, "##" continuation prefix, word length cap.
TokenIds ReadWordPiece(json::Object model, TokenizerSpec& spec) {
  spec.model = ModelKind::kWordPiece;
  TokenIds ids = ReadObjectVocab(model, spec);
  if (const std::optional<json::Value> prefix = json::Present(model, "continuing_subword_prefix")) {
    const std::optional<std::string_view> s = json::String(*prefix);
    if (!s) Fail("model.continuing_subword_prefix must be a string");
    spec.continuing_subword_prefix = std::string(*s);
  }
  if (const std::optional<json::Value> max_chars = json::Present(model, "max_input_chars_per_word")) {
    const std::optional<int32_t> n = json::Id(*max_chars);
    if (!n) Fail("model.max_input_chars_per_word must be a non-negative integer");
    spec.max_input_chars_per_word = static_cast<uint32_t>(*n);
  }
  spec.unk_id = ReadUnk(model, ids, true);
  return ids;
}

// Byte-level BPE: vocab + merges, nothing that makes encoding random or
// changes how pieces are spelled.
TokenIds ReadBpe(json::Object model, TokenizerSpec& spec) {
  spec.model = ModelKind::kBpe;
  if (const std::optional<json::Value> dropout = json::Present(model, "dropout")) {
    if (json::Number(*dropout) != 0.0) Fail("model.dropout must be null: dropout makes encoding random");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const std::optional<json::Value> v = json::Present(model, key);
    if (v && json::String(*v) != std::string_view()) Fail("model." + std::string(key) + " must be empty or null");
  }
  if (OptBool(model, "ignore_merges", "model", false)) Fail("model.ignore_merges true is not supported");
  if (OptBool(model, "byte_fallback", "model", false)) Fail("model.byte_fallback true is not supported");

  TokenIds ids = ReadObjectVocab(model, spec);
  const std::optional<json::Value> merges = json::Field(model, "merges");
  if (!merges || !json::IsArray(*merges)) Fail("model.merges must be an array");
  size_t k = 0;
  for (const json::Value m : json::Array(*merges)) {
    const std::string where = "model.merges[" + std::to_string(k++) + "]";
    if (const std::optional<std::string_view> s = json::String(m)) {
      // The older form "a b": the parts never hold a space (byte-level writes Ġ).
      const size_t space = s->find(' ');
      if (space == std::string_view::npos || space == 0 || space == s->size() - 1 ||
          s->find(' ', space + 1) != std::string_view::npos) {
        Fail(where + " must be \"left right\" (got " + json::Quote(*s) + ")");
      }
      spec.merges_left.emplace_back(s->substr(0, space));
      spec.merges_right.emplace_back(s->substr(space + 1));
      continue;
    }
    std::optional<std::string_view> parts[2];
    size_t n = 0;
    if (json::IsArray(m)) {
      for (const json::Value part : json::Array(m)) {
        if (n < 2) parts[n] = json::String(part);
        n++;
      }
    }
    if (n != 2 || !parts[0] || !parts[1]) {
      Fail(where + " must be a \"left right\" string or a [left, right] pair of strings");
    }
    spec.merges_left.emplace_back(*parts[0]);
    spec.merges_right.emplace_back(*parts[1]);
  }
  spec.unk_id = ReadUnk(model, ids, false);
  return ids;
}

// The last id of each name in `wanted` among the vocab (Unigram's list form,
// where only the few names the loader looks up need an index).
TokenIds IdsOf(const TokenizerSpec& spec, const std::vector<std::string_view>& wanted) {
  TokenIds ids;
  for (const std::string_view w : wanted) ids.emplace(w, -1);
  for (size_t i = 0; i < spec.vocab.size(); i++) {
    const auto it = ids.find(spec.vocab[i]);
    if (it != ids.end()) it->second = spec.vocab_ids[i];
  }
  for (auto it = ids.begin(); it != ids.end();) it = it->second < 0 ? ids.erase(it) : std::next(it);
  return ids;
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

bool ReadByteLevel(json::Object p, const std::string& where) {
  if (!OptBool(p, "use_regex", where, true)) Fail(where + ".use_regex must be true");
  return OptBool(p, "add_prefix_space", where, true);
}

// BPE: ByteLevel, alone or as the only member of a Sequence. WordPiece: BertPreTokenizer.
void ReadPreTokenizer(const std::optional<json::Value>& p, TokenizerSpec& spec) {
  const std::optional<json::Object> o = AsObject(p);
  if (spec.model == ModelKind::kWordPiece) {
    std::optional<json::Object> only = o;
    if (o && TypeIs(*o, "Sequence")) {
      const std::optional<json::Value> list = json::Field(*o, "pretokenizers");
      if (list && json::IsArray(*list) && json::Array(*list).size() == 1) only = AsObject(json::Array(*list).at(0).value());
    }
    if (!only || !TypeIs(*only, "BertPreTokenizer")) Fail("pre_tokenizer must be BertPreTokenizer for a WordPiece model");
    spec.pre_tokenizer = PreTokenizerKind::kBert;
    return;
  }
  spec.pre_tokenizer = PreTokenizerKind::kByteLevel;
  if (!o) Fail("pre_tokenizer must be a ByteLevel pre-tokenizer");
  if (TypeIs(*o, "ByteLevel")) {
    spec.add_prefix_space = ReadByteLevel(*o, "pre_tokenizer");
    return;
  }
  if (TypeIs(*o, "Sequence")) {
    const std::optional<json::Value> list = json::Field(*o, "pretokenizers");
    std::optional<json::Object> only;
    if (list && json::IsArray(*list) && json::Array(*list).size() == 1) only = AsObject(json::Array(*list).at(0).value());
    if (!only || !TypeIs(*only, "ByteLevel")) Fail("pre_tokenizer Sequence must hold exactly one ByteLevel pre-tokenizer");
    spec.add_prefix_space = ReadByteLevel(*only, "pre_tokenizer.pretokenizers[0]");
    return;
  }
  Fail("pre_tokenizer.type must be \"ByteLevel\" (got " + json::Render(json::Field(*o, "type")) + ")");
}

// BPE: none. WordPiece: BertNormalizer. (Unigram: unigram_json.cc.)
void ReadBertNormalizer(const std::optional<json::Value>& n, TokenizerSpec& spec) {
  if (!n) return;
  const std::optional<json::Object> o = AsObject(n);
  if (!o || !TypeIs(*o, "BertNormalizer") || spec.model != ModelKind::kWordPiece) {
    Fail("normalizer must be null (byte-level BPE) or BertNormalizer (WordPiece)");
  }
  NormalizerSpec& out = spec.normalizer;
  out.kind = NormalizerSpec::Kind::kBert;
  out.lowercase = OptBool(*o, "lowercase", "normalizer", true);
  out.clean_text = OptBool(*o, "clean_text", "normalizer", true);
  out.handle_chinese_chars = OptBool(*o, "handle_chinese_chars", "normalizer", true);
  // null means "whatever lowercase says", as in HF.
  out.strip_accents = OptBool(*o, "strip_accents", "normalizer", out.lowercase);
}

Truncation ReadTruncation(const std::optional<json::Value>& t) {
  Truncation out;
  if (!t) return out;
  const std::optional<json::Object> o = AsObject(t);
  if (!o) Fail("truncation must be an object or null");
  const std::optional<json::Value> max_length = json::Field(*o, "max_length");
  const std::optional<int32_t> n = max_length ? json::Id(*max_length) : std::nullopt;
  if (!n || *n == 0) Fail("truncation.max_length must be a positive integer");
  const std::optional<json::Value> strategy = json::Present(*o, "strategy");
  const std::optional<std::string_view> name = strategy ? json::String(*strategy) : std::string_view("LongestFirst");
  if (name == "LongestFirst") {
    out.strategy = TruncationStrategy::kLongestFirst;
  } else if (name == "OnlyFirst") {
    out.strategy = TruncationStrategy::kOnlyFirst;
  } else if (name == "OnlySecond") {
    out.strategy = TruncationStrategy::kOnlySecond;
  } else {
    Fail("truncation.strategy must be LongestFirst, OnlyFirst or OnlySecond");
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
  TokenIds ids;
  if (TypeIs(*model, "WordPiece")) {
    ids = ReadWordPiece(*model, spec);
  } else if (TypeIs(*model, "Unigram")) {
    ReadUnigram(*model, spec);
  } else {
    // Old files leave the type out; HF then infers BPE from vocab + merges.
    const std::optional<json::Value> type = json::Field(*model, "type");
    if (type && !TypeIs(*model, "BPE")) {
      Fail("model.type must be \"BPE\", \"WordPiece\" or \"Unigram\" (got " + json::Render(type) + ")");
    }
    ids = ReadBpe(*model, spec);
  }
  const bool unigram = spec.model == ModelKind::kUnigram;
  const std::string_view pad_name = spec.model == ModelKind::kWordPiece ? "[PAD]" : "<pad>";
  const std::optional<json::Value> added = json::Present(root, "added_tokens");
  if (unigram) {
    spec.normalizer = ReadSequenceNormalizer(json::Present(root, "normalizer"));
    std::vector<std::string_view> wanted{pad_name};
    if (added && json::IsArray(*added)) {
      for (const json::Value t : json::Array(*added)) {
        const std::optional<json::Object> o = AsObject(t);
        const std::optional<json::Value> content = o ? json::Field(*o, "content") : std::nullopt;
        if (content && json::IsString(*content)) wanted.push_back(std::string_view(*content));
      }
    }
    ids = IdsOf(spec, wanted);
  } else {
    ReadBertNormalizer(json::Present(root, "normalizer"), spec);
  }
  ReadAddedTokens(added, ids, spec);
  if (!unigram) ReadPreTokenizer(json::Present(root, "pre_tokenizer"), spec);
  spec.post_processor = ReadPostProcessor(json::Present(root, "post_processor"), "post_processor");
  if (unigram) ReadUnigramPreTokenizer(json::Present(root, "pre_tokenizer"), spec);

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
