#include "tokenizer/unicode_normalize.h"

#include <cstdint>
#include <vector>

#include "tokenizer/flat_tables.h"
#include "tokenizer/unicode.h"

namespace cappy::tok {

namespace {

// Hangul syllables decompose and compose by arithmetic (Unicode ch. 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

uint32_t Rank(uint32_t cp) { return NormProps(cp) & kNormRankMask; }

// (first, second) -> composite, built once from the generated rows.
const U64Map<uint32_t>& PairMap() {
  static const U64Map<uint32_t> map = [] {
    U64Map<uint32_t> m;
    size_t count = 0;
    const uint32_t (*rows)[3] = ComposePairs(&count);
    m.Reserve(count);
    for (size_t i = 0; i < count; i++) m.Put((static_cast<uint64_t>(rows[i][0]) << 21) | rows[i][1], rows[i][2]);
    return m;
  }();
  return map;
}

uint32_t Compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const uint32_t* c = PairMap().Find((static_cast<uint64_t>(a) << 21) | b);
  return c ? *c : 0;
}

// Decomposes `in` into code points (the maps are already full, recursive
// decompositions) and sorts each run of non-starters by class, stably.
void Decompose(std::string_view in, bool compat, std::vector<uint32_t>& cps) {
  cps.clear();
  for (size_t i = 0; i < in.size();) {
    size_t len;
    const uint32_t cp = DecodeUtf8(in, i, len);
    i += len;
    const uint8_t props = NormProps(cp);
    const uint32_t* map = nullptr;
    size_t n = 0;
    if (compat ? (props & kNormHasNfkd) : (props & kNormHasNfd)) n = compat ? NfkdMapping(cp, &map) : NfdMapping(cp, &map);
    if (n == 0) {
      cps.push_back(cp);
    } else {
      cps.insert(cps.end(), map, map + n);
    }
  }
  // Canonical ordering: insertion sort inside runs of non-starters (runs are
  // short; a long run of marks costs its length squared, bounded by the run).
  for (size_t i = 1; i < cps.size(); i++) {
    const uint32_t r = Rank(cps[i]);
    if (r == 0) continue;
    size_t j = i;
    const uint32_t cp = cps[i];
    while (j > 0) {
      const uint32_t rp = Rank(cps[j - 1]);
      if (rp == 0 || rp <= r) break;
      cps[j] = cps[j - 1];
      j--;
    }
    cps[j] = cp;
  }
}

// Canonical composition, in place (UAX #15's algorithm: a character joins
// the last starter unless a character of equal or higher class, or a
// starter, stands between them).
void ComposeAll(std::vector<uint32_t>& cps) {
  if (cps.empty()) return;
  size_t starter = 0;
  uint32_t last_class = Rank(cps[0]) == 0 ? 0 : 256;
  size_t w = 1;
  for (size_t i = 1; i < cps.size(); i++) {
    const uint32_t ch = cps[i];
    const uint32_t cls = Rank(ch);
    const uint32_t composite = last_class == 256 ? 0 : Compose(cps[starter], ch);
    if (composite != 0 && (last_class < cls || last_class == 0)) {
      cps[starter] = composite;
      continue;
    }
    if (cls == 0) starter = w;
    last_class = cls;
    cps[w++] = ch;
  }
  cps.resize(w);
}

}  // namespace

void UnicodeNormalize(std::string_view in, NormalForm form, std::string& out) {
  out.clear();
  // ASCII is its own normal form in all four (no ASCII character composes
  // with another ASCII character).
  bool ascii = true;
  for (char c : in) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    out.assign(in);
    return;
  }
  thread_local std::vector<uint32_t> cps;
  const bool compat = form == NormalForm::kNfkc || form == NormalForm::kNfkd;
  Decompose(in, compat, cps);
  if (form == NormalForm::kNfc || form == NormalForm::kNfkc) ComposeAll(cps);
  out.reserve(in.size() + in.size() / 2);
  for (const uint32_t cp : cps) AppendUtf8(cp, out);
}

}  // namespace cappy::tok
