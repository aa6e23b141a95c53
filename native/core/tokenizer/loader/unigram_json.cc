// tokenizer.json parts of the SentencePiece family (XLM-R, T5, mMiniLM):
// the Unigram model, the Metaspace pre-tokenizer and the normalizers those
// files chain in a Sequence. Every refusal names the field.
#include <string>

#include "tokenizer/loader/checks.h"

namespace cappy::tok::load {

namespace {

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// One UTF-8 character at the start of `s` (simdjson has checked the encoding).
size_t CharLength(std::string_view s) {
  if (s.empty()) return 0;
  size_t n = 1;
  while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) n++;
  return n;
}

MetaspaceSpec ReadMetaspace(json::Object p, const std::string& where) {
  MetaspaceSpec out;
  if (const std::optional<json::Value> r = json::Present(p, "replacement")) {
    const std::optional<std::string_view> s = json::String(*r);
    if (!s || CodePoints(*s) != 1) Fail(where + ".replacement must be one character");
    out.replacement = std::string(*s);
  }
  const std::optional<json::Value> scheme = json::Present(p, "prepend_scheme");
  const std::optional<std::string_view> name = scheme ? json::String(*scheme) : std::nullopt;
  if (name == "always") {
    out.prepend_scheme = MetaspaceSpec::Prepend::kAlways;
  } else if (name == "first") {
    out.prepend_scheme = MetaspaceSpec::Prepend::kFirst;
  } else if (name == "never") {
    out.prepend_scheme = MetaspaceSpec::Prepend::kNever;
  } else if (scheme) {
    Fail(where + ".prepend_scheme must be \"always\", \"first\" or \"never\"");
  }
  // Older files say add_prefix_space; HF 0.23 reads a missing prepend_scheme
  // as "always" and rejects an add_prefix_space that contradicts it.
  if (const std::optional<json::Value> legacy = json::Present(p, "add_prefix_space")) {
    if (legacy->type() != simdjson::dom::element_type::BOOL) Fail(where + ".add_prefix_space must be a boolean");
    const bool prepends = out.prepend_scheme != MetaspaceSpec::Prepend::kNever;
    if (bool(*legacy) != prepends) {
      const char* scheme_name = out.prepend_scheme == MetaspaceSpec::Prepend::kAlways ? "\"always\""
                                : out.prepend_scheme == MetaspaceSpec::Prepend::kFirst ? "\"first\""
                                                                                       : "\"never\"";
      Fail(where + ".add_prefix_space does not match prepend_scheme " + scheme_name);
    }
  }
  out.split = OptBool(p, "split", where, true);
  return out;
}

bool TypeIs(const json::Value& v, std::string_view type) {
  if (!json::IsObject(v)) return false;
  const std::optional<json::Value> t = json::Field(json::Object(v), "type");
  return t && json::String(*t) == type;
}

constexpr std::string_view kRegexMeta = "\\^$.|?*+()[]{}";

// The regexes Replace steps use in SentencePiece-family files, without a
// regex engine: a literal (no metacharacters), or one character repeated,
// "x+" or "x{n,}" (the converter's " {2,}"), with the character possibly
// escaped ("\\.{2,}"). Greedy leftmost matching of those is exactly "each run
// of n or more x becomes one replacement". Anything else is refused by name.
void ReadReplaceRegex(std::string_view re, const std::string& where, NormalizerStep& step) {
  if (!re.empty() && re.find_first_of(kRegexMeta) == std::string_view::npos) {
    step.pattern = std::string(re);
    return;
  }
  std::string_view rest = re;
  std::string_view ch;
  if (!rest.empty() && rest[0] == '\\') {
    // An escaped character: anything but an ASCII letter or digit (those are classes such as \s).
    const std::string_view after = rest.substr(1);
    const size_t len = CharLength(after);
    const unsigned char c = len == 1 ? static_cast<unsigned char>(after[0]) : 0;
    const bool alnum = len == 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    if (len > 0 && !alnum) ch = after.substr(0, len);
    rest = len > 0 ? after.substr(len) : std::string_view();
  } else if (!rest.empty() && kRegexMeta.find(rest[0]) == std::string_view::npos) {
    ch = rest.substr(0, CharLength(rest));
    rest = rest.substr(ch.size());
  }
  uint32_t min_repeat = 0;
  if (rest == "+") {
    min_repeat = 1;
  } else if (rest.size() >= 4 && rest.size() <= 7 && rest.front() == '{' && rest.substr(rest.size() - 2) == ",}") {
    const std::string_view digits = rest.substr(1, rest.size() - 3);
    bool all_digits = !digits.empty();
    for (const char d : digits) all_digits = all_digits && d >= '0' && d <= '9';
    if (all_digits) min_repeat = static_cast<uint32_t>(std::stoul(std::string(digits)));
  }
  if (ch.empty() || min_repeat < 1) {
    Fail(where + ": Replace with the regex " + json::Quote(re) +
         " is not supported; supported are literals and one character repeated (\"x+\", \"x{n,}\")");
  }
  step.pattern = std::string(ch);
  step.min_repeat = min_repeat;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// SentencePiece's precompiled_charsmap: standard base64, decoded as strictly as HF does.
std::string DecodeCharsmap(const std::optional<json::Value>& v, const std::string& where) {
  const std::optional<std::string_view> text = v ? json::String(*v) : std::nullopt;
  if (!text) Fail(where + ".precompiled_charsmap must be a base64 string");
  size_t data = text->size();
  while (data > 0 && text->size() - data < 2 && (*text)[data - 1] == '=') data--;
  bool valid = text->size() % 4 == 0;
  for (size_t i = 0; valid && i < data; i++) valid = Base64Value((*text)[i]) >= 0;
  if (!valid) Fail(where + ".precompiled_charsmap is not valid base64");
  std::string out;
  out.reserve(data * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < data; i++) {
    acc = (acc << 6) | static_cast<uint32_t>(Base64Value((*text)[i]));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (out.size() < 4) Fail(where + ".precompiled_charsmap is shorter than its 4-byte header");
  return out;
}

void ReadStep(json::Value n, const std::string& where, std::vector<NormalizerStep>& out) {
  using Kind = NormalizerStep::Kind;
  if (!json::IsObject(n)) Fail(where + " must be an object");
  const json::Object o(n);
  const std::optional<json::Value> type_value = json::Field(o, "type");
  const std::string_view type = type_value ? json::String(*type_value).value_or("") : "";
  NormalizerStep step;
  if (type == "Sequence") {
    const std::optional<json::Value> list = json::Field(o, "normalizers");
    if (!list || !json::IsArray(*list)) Fail(where + ".normalizers must be an array");
    size_t i = 0;
    for (const json::Value m : json::Array(*list)) ReadStep(m, where + ".normalizers[" + std::to_string(i++) + "]", out);
    return;
  } else if (type == "NFC") {
    step.kind = Kind::kNfc;
  } else if (type == "NFD") {
    step.kind = Kind::kNfd;
  } else if (type == "NFKC") {
    step.kind = Kind::kNfkc;
  } else if (type == "NFKD") {
    step.kind = Kind::kNfkd;
  } else if (type == "Lowercase") {
    step.kind = Kind::kLowercase;
  } else if (type == "Strip") {
    step.kind = Kind::kStrip;
    step.strip_left = OptBool(o, "strip_left", where, true);
    step.strip_right = OptBool(o, "strip_right", where, true);
  } else if (type == "Prepend") {
    const std::optional<json::Value> prepend = json::Field(o, "prepend");
    const std::optional<std::string_view> s = prepend ? json::String(*prepend) : std::nullopt;
    if (!s) Fail(where + ".prepend must be a string");
    step.kind = Kind::kPrepend;
    step.content = std::string(*s);
  } else if (type == "Replace") {
    const std::optional<json::Value> content = json::Field(o, "content");
    const std::optional<std::string_view> s = content ? json::String(*content) : std::nullopt;
    if (!s) Fail(where + ".content must be a string");
    step.kind = Kind::kReplace;
    step.content = std::string(*s);
    const std::optional<json::Value> pattern_value = json::Field(o, "pattern");
    const bool is_object = pattern_value && json::IsObject(*pattern_value);
    const std::optional<json::Value> literal = is_object ? json::Field(json::Object(*pattern_value), "String") : std::nullopt;
    const std::optional<json::Value> regex = is_object ? json::Field(json::Object(*pattern_value), "Regex") : std::nullopt;
    if (literal && json::IsString(*literal)) {
      if (std::string_view(*literal).empty()) Fail(where + ".pattern must be {\"String\": non-empty text}");
      step.pattern = std::string(std::string_view(*literal));
    } else if (regex && json::IsString(*regex)) {
      ReadReplaceRegex(std::string_view(*regex), where, step);
    } else {
      Fail(where + ".pattern must be {\"String\": text} or {\"Regex\": text}");
    }
  } else if (type == "Nmt") {
    step.kind = Kind::kNmt;
  } else if (type == "Precompiled") {
    step.kind = Kind::kPrecompiled;
    step.charsmap = DecodeCharsmap(json::Field(o, "precompiled_charsmap"), where);
  } else {
    Fail(where + ".type " + json::Render(type_value) +
         " is not supported with a Unigram model (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, "
         "Replace, Prepend, Nmt, Precompiled)");
  }
  out.push_back(std::move(step));
}

}  // namespace

// Unigram: `vocab` is [[piece, score], ...] and a piece's id is its position.
void ReadUnigram(json::Object model, TokenizerSpec& spec) {
  spec.model = ModelKind::kUnigram;
  const std::optional<json::Value> list = json::Field(model, "vocab");
  if (!list || !json::IsArray(*list)) Fail("model.vocab must be an array of [piece, score] pairs for a Unigram model");
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
      Fail("model.unk_id must be null or an index into model.vocab (0.." + std::to_string(static_cast<int64_t>(n) - 1) + ")");
    }
    spec.unk_id = static_cast<int32_t>(*d);
  }
  spec.byte_fallback = OptBool(model, "byte_fallback", "model", false);
}

// A Unigram model's pre-tokenizer: Metaspace (alone or as a one-member
// Sequence), T5's [WhitespaceSplit, Metaspace], or none.
void ReadUnigramPreTokenizer(const std::optional<json::Value>& p, TokenizerSpec& spec) {
  spec.pre_tokenizer = PreTokenizerKind::kNone;
  if (!p) return;
  if (!json::IsObject(*p)) Fail("pre_tokenizer must be an object or null");
  const json::Object o(*p);
  if (TypeIs(*p, "Metaspace")) {
    spec.pre_tokenizer = PreTokenizerKind::kMetaspace;
    spec.metaspace = ReadMetaspace(o, "pre_tokenizer");
    return;
  }
  const std::optional<json::Value> list = json::Field(o, "pretokenizers");
  if (TypeIs(*p, "Sequence") && list && json::IsArray(*list)) {
    std::vector<json::Value> items;
    for (const json::Value item : json::Array(*list)) items.push_back(item);
    if (items.empty()) return;
    if (items.size() == 1 && TypeIs(items[0], "Metaspace")) {
      spec.pre_tokenizer = PreTokenizerKind::kMetaspace;
      spec.metaspace = ReadMetaspace(json::Object(items[0]), "pre_tokenizer.pretokenizers[0]");
      return;
    }
    // T5's files: split on whitespace, then Metaspace each word.
    if (items.size() == 2 && TypeIs(items[0], "WhitespaceSplit") && TypeIs(items[1], "Metaspace")) {
      spec.pre_tokenizer = PreTokenizerKind::kMetaspace;
      spec.metaspace = ReadMetaspace(json::Object(items[1]), "pre_tokenizer.pretokenizers[1]");
      spec.metaspace.whitespace_split = true;
      return;
    }
  }
  const std::string kind = TypeIs(*p, "Sequence") ? "a Sequence other than [Metaspace] or [WhitespaceSplit, Metaspace]"
                                                  : json::Render(json::Field(o, "type"));
  Fail("pre_tokenizer of a Unigram model must be Metaspace, [WhitespaceSplit, Metaspace] or null (got " + kind + ")");
}

// A Unigram model's normalizer, flattened to one list of steps.
NormalizerSpec ReadSequenceNormalizer(const std::optional<json::Value>& n) {
  NormalizerSpec out;
  if (!n) return out;
  ReadStep(*n, "normalizer", out.steps);
  if (!out.steps.empty()) out.kind = NormalizerSpec::Kind::kSequence;
  return out;
}

}  // namespace cappy::tok::load
