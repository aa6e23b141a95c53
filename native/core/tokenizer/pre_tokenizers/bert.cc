#include "tokenizer/pre_tokenizers/bert.h"

#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {

void BertPreTokenize(std::string_view s, std::vector<Span>& out) {
  out.clear();
  size_t start = 0;
  bool in_word = false;
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 1;
    const auto b = static_cast<unsigned char>(s[i]);
    uint8_t f;
    if (b < 0x80) {
      // ASCII: the same classes the tables give, without the lookup.
      const bool space = b == ' ' || (b >= 0x09 && b <= 0x0D);
      const bool punct =
          (b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) || (b >= 0x7B && b <= 0x7E);
      f = space ? kSpace : punct ? kBertPunct : 0;
    } else {
      f = Flags(DecodeUtf8(s, i, len));
    }
    if (f & (kSpace | kBertPunct)) {
      if (in_word) out.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(i)});
      in_word = false;
      if (f & kBertPunct) out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(i + len)});
    } else if (!in_word) {
      in_word = true;
      start = i;
    }
    i += len;
  }
  if (in_word) out.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(s.size())});
}

}  // namespace cappy::tok
