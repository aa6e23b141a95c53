// tokenizer.json's `pre_tokenizer` by its "type": HF's ByteLevel (GPT-2
// regex split, use_regex true), BertPreTokenizer, Metaspace (replacement,
// prepend_scheme, split, the older add_prefix_space), WhitespaceSplit, and a
// one-level Sequence of them.
#include "tokenizer/pre_tokenizers/pre_tokenizer_json.h"

#include <utility>

#include "tokenizer/loader/checks.h"

namespace cappy::tok::load {

namespace {

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

MetaspaceSpec ReadMetaspace(json::Object p, const std::string& where) {
  MetaspaceSpec out;
  if (const std::optional<json::Value> r = json::Present(p, "replacement")) {
    const std::optional<std::string_view> s = json::String(*r);
    if (!s || CodePoints(*s) != 1) Fail(where + ".replacement must be one character");
    out.replacement = std::string(*s);
  }
  if (const std::optional<json::Value> scheme = json::Present(p, "prepend_scheme")) {
    const std::optional<std::string_view> name = json::String(*scheme);
    const std::optional<MetaspaceSpec::Prepend> prepend = name ? FindIn(kPrependSchemes, *name) : std::nullopt;
    if (!prepend) Fail(where + ".prepend_scheme must be " + Listed(kPrependSchemes));
    out.prepend_scheme = *prepend;
  }
  // Older files say add_prefix_space; HF 0.23 reads a missing prepend_scheme
  // as "always" and rejects an add_prefix_space that contradicts it.
  if (const std::optional<json::Value> legacy = json::Present(p, "add_prefix_space")) {
    if (legacy->type() != simdjson::dom::element_type::BOOL) Fail(where + ".add_prefix_space must be a boolean");
    const bool prepends = out.prepend_scheme != MetaspaceSpec::Prepend::kNever;
    if (bool(*legacy) != prepends) {
      Fail(where + ".add_prefix_space does not match prepend_scheme \"" + NameIn(kPrependSchemes, out.prepend_scheme) +
           "\"");
    }
  }
  out.split = OptBool(p, "split", where, true);
  return out;
}

// One pre-tokenizer other than a Sequence.
PreTokenizerStep ReadStep(json::Object o, PreTokenizerType type, std::string where) {
  PreTokenizerStep step;
  step.type = type;
  switch (type) {
    case PreTokenizerType::kByteLevel:
      if (!OptBool(o, "use_regex", where, true)) Fail(where + ".use_regex must be true");
      step.add_prefix_space = OptBool(o, "add_prefix_space", where, true);
      break;
    case PreTokenizerType::kMetaspace:
      step.metaspace = ReadMetaspace(o, where);
      break;
    case PreTokenizerType::kBertPreTokenizer:
    case PreTokenizerType::kWhitespaceSplit:
      break;  // no options
    case PreTokenizerType::kSequence:
      Fail(where + ": a " + TypeName(type) + " inside a " + TypeName(type) + " is not supported");
  }
  step.where = std::move(where);
  return step;
}

}  // namespace

std::vector<PreTokenizerStep> ReadPreTokenizer(const std::optional<json::Value>& p) {
  std::vector<PreTokenizerStep> steps;
  if (!p) return steps;
  const std::string where = "pre_tokenizer";
  if (!json::IsObject(*p)) Fail(where + " must be an object or null");
  const json::Object o(*p);
  const PreTokenizerType type = ReadType(o, where, kPreTokenizerTypes);
  if (type != PreTokenizerType::kSequence) {
    steps.push_back(ReadStep(o, type, where));
    return steps;
  }
  const std::optional<json::Value> list = json::Field(o, "pretokenizers");
  if (!list || !json::IsArray(*list)) Fail(where + ".pretokenizers must be an array");
  size_t i = 0;
  for (const json::Value item : json::Array(*list)) {
    const std::string item_where = where + ".pretokenizers[" + std::to_string(i++) + "]";
    if (!json::IsObject(item)) Fail(item_where + " must be an object");
    const json::Object member(item);
    steps.push_back(ReadStep(member, ReadType(member, item_where, kPreTokenizerTypes), item_where));
  }
  return steps;
}

}  // namespace cappy::tok::load
