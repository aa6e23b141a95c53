#include "tokenizer/unicode/grapheme.h"

#include <cstdint>

#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {
namespace {
// Generated at build time (CMakeLists.txt runs scripts/gen-grapheme-tables.mjs).
#include "cappy_grapheme_tables.inc"

uint8_t Props(uint32_t cp) noexcept { return kGraphemeStage2[kGraphemeStage1[cp >> 8]][cp & 0xFF]; }

bool IsControlLike(uint8_t gcb) { return gcb == kGcbControl || gcb == kGcbCR || gcb == kGcbLF; }

// UAX #29's rules GB3..GB999 for the boundary between prev and cur. The
// three states carry what the rules look back for: regional indicators in a
// row (GB12/13), pictograph Extend* ZWJ (GB11), and an Indic conjunct with a
// linker seen (GB9c).
bool Breaks(uint8_t prev, uint8_t cur, int ri_run, bool after_pict_zwj, bool after_linker) {
  const uint8_t p = prev & 15;
  const uint8_t c = cur & 15;
  if (p == kGcbCR && c == kGcbLF) return false;                                                   // GB3
  if (IsControlLike(p) || IsControlLike(c)) return true;                                          // GB4, GB5
  if (p == kGcbL && (c == kGcbL || c == kGcbV || c == kGcbLV || c == kGcbLVT)) return false;      // GB6
  if ((p == kGcbLV || p == kGcbV) && (c == kGcbV || c == kGcbT)) return false;                    // GB7
  if ((p == kGcbLVT || p == kGcbT) && c == kGcbT) return false;                                   // GB8
  if (c == kGcbExtend || c == kGcbZWJ || c == kGcbSpacingMark) return false;                      // GB9, GB9a
  if (p == kGcbPrepend) return false;                                                             // GB9b
  if ((cur & kIncbMask) == kIncbConsonant && after_linker) return false;                          // GB9c
  if ((cur & kGraphemeExtPict) && after_pict_zwj) return false;                                   // GB11
  if (p == kGcbRegionalIndicator && c == kGcbRegionalIndicator && ri_run % 2 == 1) return false;  // GB12/13
  return true;                                                                                    // GB999
}
}  // namespace

size_t GraphemeEnd(std::string_view s, size_t start) noexcept {
  size_t len;
  uint32_t cp = DecodeUtf8(s, start, len);
  uint8_t prev = Props(cp);
  size_t i = start + len;
  int ri_run = 0;
  int pict = 0;  // 1: pictograph Extend*, 2: then ZWJ
  int incb = 0;  // 1: consonant [extend|linker]*, 2: a linker among them
  auto advance = [&](uint8_t f) {
    ri_run = (f & 15) == kGcbRegionalIndicator ? ri_run + 1 : 0;
    if (f & kGraphemeExtPict) {
      pict = 1;
    } else if (pict == 1 && (f & 15) == kGcbZWJ) {
      pict = 2;
    } else if (!(pict == 1 && (f & 15) == kGcbExtend)) {
      pict = 0;
    }
    const uint8_t in = f & kIncbMask;
    if (in == kIncbConsonant) {
      incb = 1;
    } else if (incb > 0 && in == kIncbLinker) {
      incb = 2;
    } else if (!(incb > 0 && in == kIncbExtend)) {
      incb = 0;
    }
  };
  advance(prev);
  while (i < s.size()) {
    cp = DecodeUtf8(s, i, len);
    const uint8_t cur = Props(cp);
    if (Breaks(prev, cur, ri_run, pict == 2, incb == 2)) break;
    advance(cur);
    prev = cur;
    i += len;
  }
  return i;
}

}  // namespace cappy::tok
