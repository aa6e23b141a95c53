#include "tokenizer/normalizers/bert.h"

#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {

BertNormalizer::BertNormalizer(const NormalizerSpec& spec)
    : clean_text_(spec.clean_text),
      chinese_(spec.handle_chinese_chars),
      strip_accents_(spec.strip_accents),
      lowercase_(spec.lowercase) {}

void BertNormalizer::Emit(uint32_t cp, std::string& out) const {
  auto lower_one = [&](uint32_t c) {
    const uint32_t* to = nullptr;
    size_t n = 0;
    if (lowercase_ && (Flags(c) & kMapped)) n = LowerMapping(c, &to);
    if (n == 0) {
      AppendUtf8(c, out);
    } else {
      for (size_t k = 0; k < n; k++) AppendUtf8(to[k], out);
    }
  };
  if (!strip_accents_) {
    lower_one(cp);
    return;
  }
  const uint32_t* parts = nullptr;
  size_t n = (Flags(cp) & kMapped) ? NfdMapping(cp, &parts) : 0;
  if (n == 0) {
    parts = &cp;
    n = 1;
  }
  for (size_t k = 0; k < n; k++) {
    if (!(Flags(parts[k]) & kMn)) lower_one(parts[k]);
  }
}

void BertNormalizer::Normalize(std::string_view in, std::string& out) const {
  out.clear();
  out.reserve(in.size() + in.size() / 8);
  size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    // ASCII fast path: letters only lowercase, and most bytes pass as they are.
    if (b < 0x80) {
      i++;
      if (clean_text_) {
        if (b == 0 || (b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F) continue;
        if (b == '\t' || b == '\n' || b == '\r' || b == 0x0B || b == 0x0C) {
          out.push_back(' ');
          continue;
        }
      }
      out.push_back(static_cast<char>(lowercase_ && b >= 'A' && b <= 'Z' ? b + 32 : b));
      continue;
    }
    size_t len = 0;
    const uint32_t cp = DecodeUtf8(in, i, len);
    i += len;
    const uint8_t f = Flags(cp);
    if (clean_text_) {
      if (f & kBertControl) continue;
      if (f & kSpace) {
        out.push_back(' ');
        continue;
      }
    }
    if (chinese_ && (f & kChinese)) {
      out.push_back(' ');
      Emit(cp, out);
      out.push_back(' ');
      continue;
    }
    Emit(cp, out);
  }
}

}  // namespace cappy::tok
