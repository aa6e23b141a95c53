// UTF-8 validation for the C ABI's text arguments (HF tokenizers refuses
// invalid UTF-8 too; Node replaces it before it reaches the core).
#pragma once

#include <cstddef>

namespace cappy {
namespace capi {

// Byte offset of the first invalid UTF-8 sequence (RFC 3629: no overlongs, no
// surrogates, nothing past U+10FFFF), or `len` when the text is valid.
inline size_t FirstInvalidUtf8(const unsigned char* s, size_t len) {
  size_t i = 0;
  while (i < len) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (len - i <= n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k <= n; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += n + 1;
  }
  return len;
}

}  // namespace capi
}  // namespace cappy
