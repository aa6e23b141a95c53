#include "tokenizer/normalizers/precompiled.h"

#include "cappy/cappy.h"
#include "tokenizer/stage_names.h"
#include "tokenizer/unicode/grapheme.h"
#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {
namespace {

constexpr const char* kName = TypeName(NormalizerType::kPrecompiled);

// darts-clone's unit layout (the one SentencePiece writes).
bool HasLeaf(uint32_t u) { return (u >> 8) & 1; }
uint32_t Value(uint32_t u) { return u & ((1u << 31) - 1); }
uint32_t Label(uint32_t u) { return u & ((1u << 31) | 0xFF); }
uint32_t Offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

// DecodeUtf8 answers U+FFFD with length 1 exactly where the bytes are not
// UTF-8 (a real U+FFFD is 3 bytes long).
bool IsUtf8(std::string_view s) {
  size_t len = 0;
  for (size_t i = 0; i < s.size(); i += len) {
    if (DecodeUtf8(s, i, len) == 0xFFFD && len == 1) return false;
  }
  return true;
}

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view blob) {
  if (blob.size() < 4)
    throw Error(ErrorCode::kTokenizer, std::string(kName) + " charsmap is shorter than its 4-byte header");
  uint32_t trie_bytes = 0;
  for (int k = 3; k >= 0; k--) trie_bytes = (trie_bytes << 8) | static_cast<unsigned char>(blob[k]);
  // HF reads trie_bytes / 4 whole units; any odd bytes left belong to the
  // replacement strings, as they do there.
  const size_t units = trie_bytes / 4;
  if (units > (blob.size() - 4) / 4) {
    throw Error(ErrorCode::kTokenizer, std::string(kName) + " charsmap: the trie runs past the end of the blob");
  }
  units_.resize(units);
  for (size_t u = 0; u < units; u++) {
    const auto* p = reinterpret_cast<const unsigned char*>(blob.data() + 4 + 4 * u);
    units_[u] = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
                (static_cast<uint32_t>(p[3]) << 24);
  }
  replacements_.assign(blob.substr(4 + 4 * units));
  if (!IsUtf8(replacements_))
    throw Error(ErrorCode::kTokenizer, std::string(kName) + " charsmap: replacement strings are not UTF-8");
  for (int c = 1; c < 128; c++) {
    std::string_view value;
    const char ch = static_cast<char>(c);
    ascii_mapped_[c] = Lookup(std::string_view(&ch, 1), value);
    if (ascii_mapped_[c]) ascii_value_[c].assign(value);
  }
}

// A corrupt trie (an index past the end, a value that is not the start of a
// character) would make HF panic; here it is simply no match.
bool PrecompiledCharsmap::Lookup(std::string_view chunk, std::string_view& value) const {
  if (units_.empty()) return false;
  size_t pos = Offset(units_[0]);
  for (const char ch : chunk) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return false;  // darts keys end at NUL
    pos ^= c;
    if (pos >= units_.size()) return false;
    const uint32_t unit = units_[pos];
    if (Label(unit) != c) return false;
    pos ^= Offset(unit);
    if (HasLeaf(unit)) {
      if (pos >= units_.size()) return false;
      const size_t at = Value(units_[pos]);
      if (at > replacements_.size()) return false;
      if (at < replacements_.size() && (static_cast<unsigned char>(replacements_[at]) & 0xC0) == 0x80) return false;
      const size_t nul = replacements_.find('\0', at);
      value = std::string_view(replacements_).substr(at, (nul == std::string::npos ? replacements_.size() : nul) - at);
      return true;
    }
  }
  return false;
}

void PrecompiledCharsmap::Normalize(std::string_view in, std::string& out) const {
  out.clear();
  out.reserve(in.size());
  std::string_view value;
  for (size_t start = 0; start < in.size();) {
    // An ASCII character followed by ASCII (or the end) is a cluster of its
    // own, CR LF aside: no ASCII character extends or prepends another.
    // A run of such characters that the map leaves alone is copied whole.
    size_t run = start;
    while (run < in.size()) {
      const auto b = static_cast<unsigned char>(in[run]);
      if (b == 0 || b >= 0x80 || b == '\r' || (run + 1 < in.size() && static_cast<unsigned char>(in[run + 1]) >= 0x80))
        break;
      if (ascii_mapped_[b]) {
        out.append(in.data() + start, run - start);
        out.append(ascii_value_[b]);
        start = run + 1;
      }
      run++;
    }
    out.append(in.data() + start, run - start);
    start = run;
    if (start == in.size()) break;
    const size_t end = GraphemeEnd(in, start);
    const std::string_view cluster = in.substr(start, end - start);
    size_t first_len;
    DecodeUtf8(cluster, 0, first_len);
    if (cluster.size() < 6 && Lookup(cluster, value)) {
      out.append(value);
    } else if (first_len == cluster.size()) {
      // A one-character cluster (at most 4 bytes) was just looked up whole
      // with no match; looking it up again per character would be the same.
      out.append(cluster);
    } else {
      for (size_t i = 0; i < cluster.size();) {
        size_t len;
        DecodeUtf8(cluster, i, len);
        const std::string_view ch = cluster.substr(i, len);
        if (Lookup(ch, value)) {
          out.append(value);
        } else {
          out.append(ch);
        }
        i += len;
      }
    }
    start = end;
  }
}

}  // namespace cappy::tok
