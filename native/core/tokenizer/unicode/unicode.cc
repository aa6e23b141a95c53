#include "tokenizer/unicode/unicode.h"

#include <algorithm>

namespace cappy::tok {
namespace {
// Generated at build time (CMakeLists.txt runs scripts/gen-unicode-tables.mjs).
#include "cappy_unicode_tables.inc"

bool InRanges(const uint32_t (*ranges)[2], size_t count, uint32_t cp) {
  size_t lo = 0;
  size_t hi = count;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (ranges[mid][1] < cp) {
      lo = mid + 1;
    } else if (ranges[mid][0] > cp) {
      hi = mid;
    } else {
      return true;
    }
  }
  return false;
}

size_t FindMapping(const MapEntry* entries, size_t count, const uint32_t* pool, uint32_t cp, const uint32_t** out) {
  const MapEntry* end = entries + count;
  const MapEntry* it = std::lower_bound(entries, end, cp, [](const MapEntry& e, uint32_t c) { return e.cp < c; });
  if (it == end || it->cp != cp) return 0;
  *out = pool + it->offset;
  return it->length;
}

static_assert(kFlagBertPunct == kBertPunct && kFlagBertControl == kBertControl && kFlagChinese == kChinese &&
                  kFlagMn == kMn && kFlagMapped == kMapped,
              "generated BERT flag bits must match CharFlags");
static_assert(kFlagLetter == kLetter && kFlagNumber == kNumber && kFlagSpace == kSpace,
              "generated flag bits must match CharFlags");
}  // namespace

uint8_t Flags(uint32_t cp) noexcept {
  if (cp > 0x10FFFF) return 0;
  return kStage2[kStage1[cp >> 8]][cp & 0xFF];
}

size_t LowerMapping(uint32_t cp, const uint32_t** out) noexcept {
  return FindMapping(kLowerMap, kLowerMapCount, kLowerMapPool, cp, out);
}
size_t NfdMapping(uint32_t cp, const uint32_t** out) noexcept {
  return FindMapping(kNfdMap, kNfdMapCount, kNfdMapPool, cp, out);
}

size_t NfkdMapping(uint32_t cp, const uint32_t** out) noexcept {
  return FindMapping(kNfkdMap, kNfkdMapCount, kNfkdMapPool, cp, out);
}

uint8_t NormProps(uint32_t cp) noexcept {
  if (cp > 0x10FFFF) return 0;
  return kNormStage2[kNormStage1[cp >> 8]][cp & 0xFF];
}

const uint32_t (*ComposePairs(size_t* count) noexcept)[3] {
  *count = kComposePairsCount;
  return kComposePairs;
}

const char* UnicodeVersion() noexcept { return CAPPY_UNICODE_VERSION; }

bool InRangesLetter(uint32_t cp) noexcept { return InRanges(kLetterRanges, kLetterRangesCount, cp); }
bool InRangesNumber(uint32_t cp) noexcept { return InRanges(kNumberRanges, kNumberRangesCount, cp); }
bool InRangesSpace(uint32_t cp) noexcept { return InRanges(kWhiteSpaceRanges, kWhiteSpaceRangesCount, cp); }

}  // namespace cappy::tok
