#include "tokenizer/normalizer.h"

#include <utility>

#include "tokenizer/unicode.h"
#include "tokenizer/unicode_normalize.h"

namespace cappy::tok {

namespace {

void Lowercase(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    size_t len;
    const uint32_t cp = DecodeUtf8(in, i, len);
    const uint32_t* map = nullptr;
    const size_t n = (Flags(cp) & kMapped) ? LowerMapping(cp, &map) : 0;
    if (n == 0) {
      out.append(in.data() + i, len);
    } else {
      for (size_t k = 0; k < n; k++) AppendUtf8(map[k], out);
    }
    i += len;
  }
}

// Rust's str::trim_start/trim_end: White_Space characters.
void Strip(std::string_view in, bool left, bool right, std::string& out, bool& start_kept) {
  size_t begin = 0;
  size_t end = in.size();
  if (left) {
    while (begin < end) {
      size_t len;
      const uint32_t cp = DecodeUtf8(in, begin, len);
      if (!(Flags(cp) & kSpace)) break;
      begin += len;
    }
  }
  if (right) {
    while (end > begin) {
      size_t k = end - 1;
      while (k > begin && (static_cast<unsigned char>(in[k]) & 0xC0) == 0x80) k--;
      size_t len;
      const uint32_t cp = DecodeUtf8(in, k, len);
      if (!(Flags(cp) & kSpace) || k + len != end) break;
      end = k;
    }
  }
  if (begin > 0 && begin < end) start_kept = false;
  out.assign(in.substr(begin, end - begin));
}

// Every non-overlapping occurrence, leftmost first (HF escapes a string
// pattern into a regex and replaces all matches: the same thing).
void Replace(std::string_view in, const std::string& pattern, const std::string& content, std::string& out,
             bool& start_kept) {
  out.clear();
  out.reserve(in.size());
  size_t i = 0;
  for (;;) {
    const size_t hit = in.find(pattern, i);
    if (hit == std::string_view::npos) break;
    if (hit == 0 && content.empty() && pattern.size() < in.size()) start_kept = false;
    out.append(in.data() + i, hit - i);
    out.append(content);
    i = hit + pattern.size();
  }
  out.append(in.data() + i, in.size() - i);
}

}  // namespace

SequenceNormalizer::SequenceNormalizer(std::vector<NormalizerStep> steps) : steps_(std::move(steps)) {
  for (const NormalizerStep& s : steps_) {
    if (s.kind == NormalizerStep::Kind::kReplace && s.pattern.empty()) {
      throw Error(ErrorCode::kTokenizer, "Replace normalizer needs a non-empty pattern");
    }
  }
}

bool SequenceNormalizer::Normalize(std::string_view in, std::string& out) const {
  thread_local std::string a;
  thread_local std::string b;
  bool start_kept = true;
  a.assign(in);
  for (const NormalizerStep& s : steps_) {
    b.clear();
    switch (s.kind) {
      case NormalizerStep::Kind::kLowercase:
        Lowercase(a, b);
        break;
      case NormalizerStep::Kind::kStrip:
        Strip(a, s.strip_left, s.strip_right, b, start_kept);
        break;
      case NormalizerStep::Kind::kReplace:
        Replace(a, s.pattern, s.content, b, start_kept);
        break;
      case NormalizerStep::Kind::kPrepend:
        // HF prepends only to non-empty text.
        if (!a.empty()) b.assign(s.content);
        b.append(a);
        break;
      case NormalizerStep::Kind::kNfc:
        UnicodeNormalize(a, NormalForm::kNfc, b);
        break;
      case NormalizerStep::Kind::kNfd:
        UnicodeNormalize(a, NormalForm::kNfd, b);
        break;
      case NormalizerStep::Kind::kNfkc:
        UnicodeNormalize(a, NormalForm::kNfkc, b);
        break;
      case NormalizerStep::Kind::kNfkd:
        UnicodeNormalize(a, NormalForm::kNfkd, b);
        break;
    }
    a.swap(b);
  }
  out.assign(a);
  return start_kept;
}

}  // namespace cappy::tok
