#include "tokenizer/normalizers/sequence.h"

#include <utility>

#include "tokenizer/normalizers/unicode_normalize.h"
#include "tokenizer/stage_names.h"
#include "tokenizer/unicode/unicode.h"

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

// Each run of `min` or more back-to-back copies of `pattern`, leftmost
// first, becomes one `content`: what a greedy regex such as " {2,}" does.
void ReplaceRuns(std::string_view in, const std::string& pattern, uint32_t min, const std::string& content,
                 std::string& out, bool& start_kept) {
  out.clear();
  out.reserve(in.size());
  size_t i = 0;
  for (;;) {
    size_t hit = in.find(pattern, i);
    if (hit == std::string_view::npos) break;
    size_t end = hit;
    uint32_t count = 0;
    while (in.compare(end, pattern.size(), pattern) == 0) {
      end += pattern.size();
      count++;
    }
    if (count < min) {
      out.append(in.data() + i, end - i);
      i = end;
      continue;
    }
    if (hit == 0 && content.empty() && end < in.size()) start_kept = false;
    out.append(in.data() + i, hit - i);
    out.append(content);
    i = end;
  }
  out.append(in.data() + i, in.size() - i);
}

// HF's Nmt: drop some C0/C1 controls, turn other breaks and format
// characters (and U+2581 itself) into a space.
void Nmt(std::string_view in, std::string& out, bool& start_kept) {
  out.clear();
  out.reserve(in.size());
  bool first = true;
  for (size_t i = 0; i < in.size();) {
    size_t len;
    const uint32_t cp = DecodeUtf8(in, i, len);
    const bool drop = (cp >= 0x01 && cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F ||
                      cp == 0x8F || cp == 0x9F;
    const bool space = cp == 0x09 || cp == 0x0A || cp == 0x0C || cp == 0x0D || cp == 0x1680 ||
                       (cp >= 0x200B && cp <= 0x200F) || cp == 0x2028 || cp == 0x2029 || cp == 0x2581 || cp == 0xFEFF ||
                       cp == 0xFFFD;
    if (drop) {
      if (first && i + len < in.size()) start_kept = false;
    } else if (space) {
      out.push_back(' ');
    } else {
      out.append(in.data() + i, len);
    }
    if (!drop) first = false;
    i += len;
  }
}

}  // namespace

SequenceNormalizer::SequenceNormalizer(std::vector<NormalizerStep> steps) : steps_(std::move(steps)) {
  for (const NormalizerStep& s : steps_) {
    if (s.kind == NormalizerStep::Kind::kReplace && s.pattern.empty()) {
      throw Error(ErrorCode::kTokenizer,
                  std::string(TypeName(NormalizerType::kReplace)) + " normalizer needs a non-empty pattern");
    }
    charsmaps_.push_back(
        s.kind == NormalizerStep::Kind::kPrecompiled ? std::make_unique<PrecompiledCharsmap>(s.charsmap) : nullptr);
  }
}

bool SequenceNormalizer::Normalize(std::string_view in, std::string& out) const {
  // Each step reads the previous step's text and writes a fresh buffer; the
  // first reads `in` itself and the last writes `out`, so the text is not
  // copied in or out (`in` must not alias `out`).
  thread_local std::string a;
  thread_local std::string b;
  bool start_kept = true;
  if (steps_.empty()) {
    out.assign(in);
    return true;
  }
  std::string_view cur = in;
  for (size_t k = 0; k < steps_.size(); k++) {
    const NormalizerStep& s = steps_[k];
    std::string& dst = k + 1 == steps_.size() ? out : (k % 2 == 0 ? a : b);
    dst.clear();
    switch (s.kind) {
      case NormalizerStep::Kind::kLowercase:
        Lowercase(cur, dst);
        break;
      case NormalizerStep::Kind::kStrip:
        Strip(cur, s.strip_left, s.strip_right, dst, start_kept);
        break;
      case NormalizerStep::Kind::kReplace:
        if (s.min_repeat == 0) {
          Replace(cur, s.pattern, s.content, dst, start_kept);
        } else {
          ReplaceRuns(cur, s.pattern, s.min_repeat, s.content, dst, start_kept);
        }
        break;
      case NormalizerStep::Kind::kNmt:
        Nmt(cur, dst, start_kept);
        break;
      case NormalizerStep::Kind::kPrecompiled:
        charsmaps_[k]->Normalize(cur, dst);
        break;
      case NormalizerStep::Kind::kPrepend:
        // HF prepends only to non-empty text.
        if (!cur.empty()) dst.assign(s.content);
        dst.append(cur);
        break;
      case NormalizerStep::Kind::kNfc:
        UnicodeNormalize(cur, NormalForm::kNfc, dst);
        break;
      case NormalizerStep::Kind::kNfd:
        UnicodeNormalize(cur, NormalForm::kNfd, dst);
        break;
      case NormalizerStep::Kind::kNfkc:
        UnicodeNormalize(cur, NormalForm::kNfkc, dst);
        break;
      case NormalizerStep::Kind::kNfkd:
        UnicodeNormalize(cur, NormalForm::kNfkd, dst);
        break;
    }
    cur = dst;
  }
  return start_kept;
}

}  // namespace cappy::tok
