// tokenizer.json's `normalizer` by its "type": HF's BertNormalizer, and the
// normalizers SentencePiece-family files chain in a Sequence. Replace takes
// what those files use without a regex engine; every refusal names the field.
#include "tokenizer/normalizers/normalizer_json.h"

#include <string>
#include <utility>
#include <vector>

#include "tokenizer/loader/checks.h"

namespace cappy::tok::load {

namespace {

// One UTF-8 character at the start of `s` (simdjson has checked the encoding).
size_t CharLength(std::string_view s) {
  if (s.empty()) return 0;
  size_t n = 1;
  while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) n++;
  return n;
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

NormalizerStep::Kind StepKind(NormalizerType type) {
  using Kind = NormalizerStep::Kind;
  switch (type) {
    case NormalizerType::kLowercase:
      return Kind::kLowercase;
    case NormalizerType::kStrip:
      return Kind::kStrip;
    case NormalizerType::kReplace:
      return Kind::kReplace;
    case NormalizerType::kPrepend:
      return Kind::kPrepend;
    case NormalizerType::kNfc:
      return Kind::kNfc;
    case NormalizerType::kNfd:
      return Kind::kNfd;
    case NormalizerType::kNfkc:
      return Kind::kNfkc;
    case NormalizerType::kNfkd:
      return Kind::kNfkd;
    case NormalizerType::kNmt:
      return Kind::kNmt;
    case NormalizerType::kPrecompiled:
      return Kind::kPrecompiled;
    case NormalizerType::kBertNormalizer:
    case NormalizerType::kSequence:
      break;
  }
  return Kind::kLowercase;  // not reached: the caller handles the two above
}

// One member of a Sequence (or the whole normalizer), appended to `out` as
// steps; a nested Sequence adds its members in order.
void ReadStep(json::Value n, const std::string& where, std::vector<NormalizerStep>& out) {
  if (!json::IsObject(n)) Fail(where + " must be an object");
  const json::Object o(n);
  const NormalizerType type = ReadType(o, where, kNormalizerTypes);
  NormalizerStep step;
  switch (type) {
    case NormalizerType::kSequence: {
      const std::optional<json::Value> list = json::Field(o, "normalizers");
      if (!list || !json::IsArray(*list)) Fail(where + ".normalizers must be an array");
      size_t i = 0;
      for (const json::Value m : json::Array(*list))
        ReadStep(m, where + ".normalizers[" + std::to_string(i++) + "]", out);
      return;
    }
    case NormalizerType::kBertNormalizer:
      // The BERT pipeline runs it whole, fused; it has no step form.
      Fail(where + ".type \"" + TypeName(type) + "\" is supported only as the whole normalizer, not inside a " +
           TypeName(NormalizerType::kSequence));
    case NormalizerType::kStrip:
      step.strip_left = OptBool(o, "strip_left", where, true);
      step.strip_right = OptBool(o, "strip_right", where, true);
      break;
    case NormalizerType::kPrepend: {
      const std::optional<json::Value> prepend = json::Field(o, "prepend");
      const std::optional<std::string_view> s = prepend ? json::String(*prepend) : std::nullopt;
      if (!s) Fail(where + ".prepend must be a string");
      step.content = std::string(*s);
      break;
    }
    case NormalizerType::kReplace: {
      const std::optional<json::Value> content = json::Field(o, "content");
      const std::optional<std::string_view> s = content ? json::String(*content) : std::nullopt;
      if (!s) Fail(where + ".content must be a string");
      step.content = std::string(*s);
      const std::optional<json::Value> pattern_value = json::Field(o, "pattern");
      const bool is_object = pattern_value && json::IsObject(*pattern_value);
      const std::optional<json::Value> literal =
          is_object ? json::Field(json::Object(*pattern_value), "String") : std::nullopt;
      const std::optional<json::Value> regex =
          is_object ? json::Field(json::Object(*pattern_value), "Regex") : std::nullopt;
      if (literal && json::IsString(*literal)) {
        if (std::string_view(*literal).empty()) Fail(where + ".pattern must be {\"String\": non-empty text}");
        step.pattern = std::string(std::string_view(*literal));
      } else if (regex && json::IsString(*regex)) {
        ReadReplaceRegex(std::string_view(*regex), where, step);
      } else {
        Fail(where + ".pattern must be {\"String\": text} or {\"Regex\": text}");
      }
      break;
    }
    case NormalizerType::kPrecompiled:
      step.charsmap = DecodeCharsmap(json::Field(o, "precompiled_charsmap"), where);
      break;
    case NormalizerType::kLowercase:
    case NormalizerType::kNfc:
    case NormalizerType::kNfd:
    case NormalizerType::kNfkc:
    case NormalizerType::kNfkd:
    case NormalizerType::kNmt:
      break;  // no options
  }
  step.kind = StepKind(type);
  out.push_back(std::move(step));
}

}  // namespace

std::optional<NormalizerType> ReadNormalizer(const std::optional<json::Value>& n, NormalizerSpec& out) {
  out = NormalizerSpec();
  if (!n) return std::nullopt;
  if (!json::IsObject(*n)) Fail("normalizer must be an object or null");
  const json::Object o(*n);
  const NormalizerType type = ReadType(o, "normalizer", kNormalizerTypes);
  if (type == NormalizerType::kBertNormalizer) {
    out.kind = NormalizerSpec::Kind::kBert;
    out.lowercase = OptBool(o, "lowercase", "normalizer", true);
    out.clean_text = OptBool(o, "clean_text", "normalizer", true);
    out.handle_chinese_chars = OptBool(o, "handle_chinese_chars", "normalizer", true);
    // null means "whatever lowercase says", as in HF.
    out.strip_accents = OptBool(o, "strip_accents", "normalizer", out.lowercase);
    return type;
  }
  ReadStep(*n, "normalizer", out.steps);
  if (!out.steps.empty()) out.kind = NormalizerSpec::Kind::kSequence;
  return type;
}

}  // namespace cappy::tok::load
