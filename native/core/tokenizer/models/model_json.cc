// tokenizer.json's `model` by its "type": byte-level BPE (vocab + merges,
// nothing that makes encoding random or changes how pieces are spelled),
// WordPiece (vocab, unk token, continuation prefix, word length cap) and
// Unigram (a [piece, score] list whose ids are positions). Every refusal
// names the field.
#include "tokenizer/models/model_json.h"

#include <string>

#include "tokenizer/loader/checks.h"

namespace cappy::tok::load {

namespace {

// BPE and WordPiece: {"token": id, ...}. A repeated key keeps its first
// place and its last id, as JSON.parse (and HF's map) read it.
TokenIds ReadObjectVocab(json::Object model, TokenizerSpec& spec) {
  const std::optional<json::Object> vocab = AsObject(json::Field(model, "vocab"));
  if (!vocab) Fail("model.vocab must be an object mapping token to id");
  // Sized once: simdjson knows the key count (saturated past 2^24 - 1,
  // where the maps simply grow), so the maps do not rehash as they fill.
  const size_t keys = vocab->size();
  std::unordered_map<std::string_view, json::Value> last;
  last.reserve(keys);
  std::vector<std::string_view> order;
  order.reserve(keys);
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
    if (required) {
      Fail(std::string("model.unk_token must name a vocab token (") + TypeName(ModelKind::kWordPiece) +
           " maps unknown words to it)");
    }
    return -1;
  }
  const std::optional<std::string_view> name = json::String(*unk);
  if (!name) Fail("model.unk_token must be a string or null");
  const auto it = ids.find(*name);
  if (it == ids.end()) Fail("model.unk_token " + json::Quote(*name) + " is not in model.vocab");
  return it->second;
}

TokenIds ReadWordPiece(json::Object model, TokenizerSpec& spec) {
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

TokenIds ReadBpe(json::Object model, TokenizerSpec& spec) {
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

// `vocab` is [[piece, score], ...] and a piece's id is its position.
void ReadUnigram(json::Object model, TokenizerSpec& spec) {
  const std::optional<json::Value> list = json::Field(model, "vocab");
  if (!list || !json::IsArray(*list)) {
    Fail(std::string("model.vocab must be an array of [piece, score] pairs for a ") + TypeName(ModelKind::kUnigram) +
         " model");
  }
  const json::Array entries(*list);
  const size_t n = entries.size();
  spec.vocab.reserve(n);
  spec.vocab_ids.reserve(n);
  spec.scores.reserve(n);
  for (const json::Value e : entries) {
    const size_t i = spec.vocab.size();
    std::optional<std::string_view> piece;
    std::optional<double> score;
    size_t parts = 0;
    if (json::IsArray(e)) {
      for (const json::Value part : json::Array(e)) {
        if (parts == 0) piece = json::String(part);
        if (parts == 1) score = json::Number(part);
        parts++;
      }
    }
    // simdjson refuses numbers out of the double range, so every score read is finite.
    if (parts != 2 || !piece || !score) Fail("model.vocab[" + std::to_string(i) + "] must be [piece, finite score]");
    spec.vocab.emplace_back(*piece);
    spec.vocab_ids.push_back(static_cast<int32_t>(i));
    spec.scores.push_back(*score);
  }
  if (const std::optional<json::Value> unk = json::Present(model, "unk_id")) {
    const std::optional<double> d = json::Number(*unk);
    if (!d || *d < 0 || *d >= static_cast<double>(n) || static_cast<double>(static_cast<int64_t>(*d)) != *d) {
      Fail("model.unk_id must be null or an index into model.vocab (0.." + std::to_string(static_cast<int64_t>(n) - 1) +
           ")");
    }
    spec.unk_id = static_cast<int32_t>(*d);
  }
  spec.byte_fallback = OptBool(model, "byte_fallback", "model", false);
}

}  // namespace

std::optional<TokenIds> ReadModel(json::Object model, TokenizerSpec& spec) {
  // Older files leave the type out; HF then infers BPE from vocab + merges.
  spec.model = json::Field(model, "type") ? ReadType(model, "model", kModelTypes) : ModelKind::kBpe;
  switch (spec.model) {
    case ModelKind::kWordPiece:
      return ReadWordPiece(model, spec);
    case ModelKind::kUnigram:
      ReadUnigram(model, spec);
      return std::nullopt;
    case ModelKind::kBpe:
      break;
  }
  return ReadBpe(model, spec);
}

TokenIds IdsOf(const TokenizerSpec& spec, const std::vector<std::string_view>& names) {
  TokenIds ids;
  for (const std::string_view name : names) ids.emplace(name, -1);
  for (size_t i = 0; i < spec.vocab.size(); i++) {
    const auto it = ids.find(spec.vocab[i]);
    if (it != ids.end()) it->second = spec.vocab_ids[i];
  }
  for (auto it = ids.begin(); it != ids.end();) it = it->second < 0 ? ids.erase(it) : std::next(it);
  return ids;
}

std::string_view DefaultPadToken(ModelKind model) { return model == ModelKind::kWordPiece ? "[PAD]" : "<pad>"; }

}  // namespace cappy::tok::load
