#include "tokenizer/pre_tokenizers/pre_tokenizer.h"

#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {
namespace {

// The class a regex alternative is built on. Exactly one per character.
enum Cls : uint8_t { kClsOther = 0, kClsLetter = 1, kClsNumber = 2, kClsSpace = 3 };

inline Cls ClassOf(uint32_t cp) {
  const uint8_t f = Flags(cp);
  // L, N and White_Space are disjoint in Unicode; test L first regardless.
  if (f & kLetter) return kClsLetter;
  if (f & kNumber) return kClsNumber;
  if (f & kSpace) return kClsSpace;
  return kClsOther;
}

// ASCII classes, fixed by Unicode itself (the tests check them against the
// generated tables): letters, digits, and \t \n \v \f \r and space as
// White_Space; U+001C..U+001F are not.
inline Cls AsciiClass(unsigned char b) {
  if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') return kClsLetter;
  if (b >= '0' && b <= '9') return kClsNumber;
  if (b == ' ' || (b >= 0x09 && b <= 0x0D)) return kClsSpace;
  return kClsOther;
}

// Class of the character at byte i and its length. ASCII, the common case,
// skips the UTF-8 decoder and the table lookup.
inline Cls ClassAt(std::string_view s, size_t i, size_t& len) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    len = 1;
    return AsciiClass(b);
  }
  return ClassOf(DecodeUtf8(s, i, len));
}

// End of the run of characters of class `cls` starting at i.
inline size_t RunEnd(std::string_view s, size_t i, Cls cls) {
  size_t len = 0;
  while (i < s.size() && ClassAt(s, i, len) == cls) i += len;
  return i;
}

// Length of a contraction ('s 't 'm 'd 're 've 'll) at s[i] == '\'', or 0.
// Case-sensitive, as in the regex.
inline size_t ContractionLength(std::string_view s, size_t i) {
  if (i + 1 >= s.size()) return 0;
  const char c1 = s[i + 1];
  if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
  if (i + 2 >= s.size()) return 0;
  const char c2 = s[i + 2];
  if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
  return 0;
}

}  // namespace

void PreTokenize(std::string_view s, std::vector<Span>& out) {
  out.clear();
  const size_t n = s.size();
  size_t i = 0;
  auto emit = [&](size_t end) {
    out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(end)});
    i = end;
  };
  while (i < n) {
    // Alternatives 1-7 contractions: tried first at every position.
    if (s[i] == '\'') {
      const size_t k = ContractionLength(s, i);
      if (k) {
        emit(i + k);
        continue;
      }
    }
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: only U+0020 may lead, and
    // only when a non-space follows; otherwise the space is plain whitespace.
    if (s[i] == ' ' && i + 1 < n) {
      size_t len = 0;
      const Cls next = ClassAt(s, i + 1, len);
      if (next != kClsSpace) {
        emit(RunEnd(s, i + 1 + len, next));
        continue;
      }
    }
    size_t len = 0;
    const Cls cls = ClassAt(s, i, len);
    if (cls != kClsSpace) {
      emit(RunEnd(s, i + len, cls));
      continue;
    }
    // Whitespace run [i, j). `\s+(?!\S)` backtracks one character when a
    // non-space follows, leaving the last space to lead the next word; a run
    // of one before a non-space falls through to plain `\s+`, itself alone.
    size_t last = i;  // start of the run's last character
    size_t j = i;
    size_t count = 0;
    while (j < n) {
      size_t l = 0;
      if (ClassAt(s, j, l) != kClsSpace) break;
      last = j;
      j += l;
      count++;
    }
    if (j == n || count == 1) {
      emit(j);
    } else {
      emit(last);
    }
  }
}

}  // namespace cappy::tok
