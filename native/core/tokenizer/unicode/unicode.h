// Unicode property lookup and UTF-8 decoding for the pre-tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cappy::tok {

// Character classes of the GPT-2 pre-tokenizer regex.
enum CharFlags : uint8_t {
  kLetter = 1,  // \p{L}
  kNumber = 2,  // \p{N}
  kSpace = 4,   // \p{White_Space}
  // BERT pipeline, as HF's BertNormalizer / BertPreTokenizer classify.
  kBertPunct = 8,     // isolated by the BERT pre-tokenizer
  kBertControl = 16,  // removed by clean_text
  kChinese = 32,      // spaced by handle_chinese_chars
  kMn = 64,           // removed by strip_accents (after NFD)
  kMapped = 128,      // has a lowercase or NFD mapping
};

// Lowercase (one character, no context, as Rust's char::to_lowercase) and
// canonical decomposition of cp. Return the mapping's length and point `out`
// at it, or return 0 when cp maps to itself. Only call for kMapped code points
// (others are a cheap 0 too, after a binary search).
size_t LowerMapping(uint32_t cp, const uint32_t** out) noexcept;
size_t NfdMapping(uint32_t cp, const uint32_t** out) noexcept;
// Full compatibility decomposition (NFKD of one code point), as above.
size_t NfkdMapping(uint32_t cp, const uint32_t** out) noexcept;

// Normalization properties of one code point (two loads): the low 6 bits are
// an order-preserving rank of its canonical combining class (0: a starter);
// kNormHasNfd / kNormHasNfkd say a decomposition mapping exists.
enum NormFlags : uint8_t { kNormRankMask = 0x3F, kNormHasNfd = 0x40, kNormHasNfkd = 0x80 };
uint8_t NormProps(uint32_t cp) noexcept;

// The primary composites as {first, second, composite} rows (Hangul excluded).
const uint32_t (*ComposePairs(size_t* count) noexcept)[3];

// Appends the UTF-8 encoding of cp (a valid scalar value).
inline void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Flags of one code point (0 for anything above U+10FFFF). O(1): two loads.
uint8_t Flags(uint32_t cp) noexcept;

// Unicode version the tables were generated from (Node's ICU at build time).
const char* UnicodeVersion() noexcept;

// Range-table lookups (binary search); slower than Flags, kept so tests can
// check that the two table forms agree.
bool InRangesLetter(uint32_t cp) noexcept;
bool InRangesNumber(uint32_t cp) noexcept;
bool InRangesSpace(uint32_t cp) noexcept;

// Decodes one UTF-8 character at s[i]. Sets `len` to its byte length (>= 1).
// Invalid or truncated sequences decode as U+FFFD with len 1, so a caller
// that skips `len` bytes always makes progress and never reads past the end.
inline uint32_t DecodeUtf8(std::string_view s, size_t i, size_t& len) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    len = 1;
    return b0;
  }
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF && left >= 2 && cont(1)) {
    len = 2;
    return ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
  }
  if (b0 >= 0xE0 && b0 <= 0xEF && left >= 3 && cont(1) && cont(2)) {
    const uint32_t cp = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                        (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
      len = 3;
      return cp;
    }
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && left >= 4 && cont(1) && cont(2) && cont(3)) {
    const uint32_t cp = ((b0 & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
                        ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) |
                        (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      len = 4;
      return cp;
    }
  }
  len = 1;
  return 0xFFFD;
}

}  // namespace cappy::tok
