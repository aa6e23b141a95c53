#include "tokenizer/normalizers/unicode_normalize.h"

#include <cstdint>
#include <vector>

#include "tokenizer/flat_tables.h"
#include "tokenizer/unicode/unicode.h"

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
    const uint32_t(*rows)[3] = ComposePairs(&count);
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
    if (compat ? (props & kNormHasNfkd) : (props & kNormHasNfd))
      n = compat ? NfkdMapping(cp, &map) : NfdMapping(cp, &map);
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

// The full algorithm on `in`, appended to `out`.
void NormalizeSlow(std::string_view in, NormalForm form, std::string& out) {
  thread_local std::vector<uint32_t> cps_storage;
  std::vector<uint32_t>& cps = cps_storage;
  const bool compat = form == NormalForm::kNfkc || form == NormalForm::kNfkd;
  Decompose(in, compat, cps);
  if (form == NormalForm::kNfc || form == NormalForm::kNfkc) ComposeAll(cps);
  for (const uint32_t cp : cps) AppendUtf8(cp, out);
}

// Bit per code point: "stable" in `form`, meaning the character is its own
// normal form and nothing before it can interact with it, so the text splits
// in front of it into parts that normalize independently (UAX #15's stable
// code points / safe boundaries). That holds for a starter (class 0) that
// (composing forms) no composition takes as its second character, and that
// has no decomposition, or (composing forms) one that composes back to it
// and starts with such a starter. Checked against the slow path itself, so
// the split can never disagree with it.
std::vector<uint64_t> BuildStable(NormalForm form) {
  constexpr uint32_t kEnd = 0x110000;
  const bool composing = form == NormalForm::kNfc || form == NormalForm::kNfkc;
  const bool compat = form == NormalForm::kNfkc || form == NormalForm::kNfkd;
  std::vector<uint64_t> second(kEnd / 64, 0);
  auto set = [](std::vector<uint64_t>& bits, uint32_t cp) { bits[cp >> 6] |= uint64_t{1} << (cp & 63); };
  auto has = [](const std::vector<uint64_t>& bits, uint32_t cp) { return (bits[cp >> 6] >> (cp & 63)) & 1; };
  size_t count = 0;
  const uint32_t(*rows)[3] = ComposePairs(&count);
  for (size_t i = 0; i < count; i++) set(second, rows[i][1]);
  for (uint32_t v = kVBase; v < kVBase + kVCount; v++) set(second, v);      // L + V
  for (uint32_t t = kTBase + 1; t < kTBase + kTCount; t++) set(second, t);  // LV + T
  std::vector<uint64_t> stable(kEnd / 64, 0);
  std::string one;
  std::string normalized;
  for (uint32_t cp = 0; cp < kEnd; cp++) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const uint8_t props = NormProps(cp);
    if ((props & kNormRankMask) != 0 || (composing && has(second, cp))) continue;
    if (!(props & (compat ? kNormHasNfkd : kNormHasNfd))) {
      set(stable, cp);
      continue;
    }
    if (!composing) continue;
    const uint32_t* map = nullptr;
    const size_t n = compat ? NfkdMapping(cp, &map) : NfdMapping(cp, &map);
    if (n > 0 && (Rank(map[0]) != 0 || has(second, map[0]))) continue;
    one.clear();
    AppendUtf8(cp, one);
    normalized.clear();
    NormalizeSlow(one, form, normalized);
    if (normalized == one) set(stable, cp);
  }
  return stable;
}

// Each form's set is built on first use of that form only (a few ms).
const std::vector<uint64_t>& StableBits(NormalForm form) {
  switch (form) {
    case NormalForm::kNfc: {
      static const std::vector<uint64_t> bits = BuildStable(NormalForm::kNfc);
      return bits;
    }
    case NormalForm::kNfd: {
      static const std::vector<uint64_t> bits = BuildStable(NormalForm::kNfd);
      return bits;
    }
    case NormalForm::kNfkc: {
      static const std::vector<uint64_t> bits = BuildStable(NormalForm::kNfkc);
      return bits;
    }
    case NormalForm::kNfkd:
      break;
  }
  static const std::vector<uint64_t> bits = BuildStable(NormalForm::kNfkd);
  return bits;
}

}  // namespace

void UnicodeNormalize(std::string_view in, NormalForm form, std::string& out) {
  out.clear();
  out.reserve(in.size() + in.size() / 8);
  // Most text is already normalized: copy the runs between stable characters
  // as they are, and run the full algorithm only on a part that holds some
  // other character, from the last stable character before it up to the
  // next one (ASCII is always stable: no ASCII character decomposes, has a
  // combining class or composes with what precedes it).
  const std::vector<uint64_t>& stable = StableBits(form);
  size_t copied = 0;   // in[0, copied) is in `out`
  size_t part = 0;     // where the part being scanned starts (a stable character, or 0)
  bool dirty = false;  // that part holds a character that is not stable
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    if (static_cast<unsigned char>(in[i]) < 0x80) {
      if (dirty) {
        out.append(in.data() + copied, part - copied);
        NormalizeSlow(in.substr(part, i - part), form, out);
        copied = i;
        dirty = false;
      }
      // Skip the whole ASCII run; its last character is the latest stable one.
      do {
        i++;
      } while (i < n && static_cast<unsigned char>(in[i]) < 0x80);
      part = i - 1;
      continue;
    }
    size_t len;
    const uint32_t cp = DecodeUtf8(in, i, len);
    // Invalid UTF-8 decodes as U+FFFD with length 1; the slow path writes it
    // out as U+FFFD, so it must not be copied as it stands.
    const bool ok = (stable[cp >> 6] >> (cp & 63)) & 1 && !(cp == 0xFFFD && len != 3);
    if (ok) {
      if (dirty) {
        out.append(in.data() + copied, part - copied);
        NormalizeSlow(in.substr(part, i - part), form, out);
        copied = i;
        dirty = false;
      }
      part = i;
    } else {
      dirty = true;
    }
    i += len;
  }
  if (dirty) {
    out.append(in.data() + copied, part - copied);
    NormalizeSlow(in.substr(part), form, out);
  } else {
    out.append(in.data() + copied, n - copied);
  }
}

}  // namespace cappy::tok
