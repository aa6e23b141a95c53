// SentencePiece's precompiled_charsmap, as HF's Precompiled normalizer reads
// it (XLM-R, mMiniLM, bge-reranker, T5 files). The blob is
//   [u32 LE: trie size in bytes][darts-clone double-array trie][replacements]
// where each trie key is a UTF-8 sequence and its value is a byte offset of
// a NUL-terminated replacement string in the last part.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cappy::tok {

class PrecompiledCharsmap {
 public:
  // Throws Error(kTokenizer) where HF refuses the blob: under 4 bytes, a
  // trie that runs past the end, or replacements that are not UTF-8.
  explicit PrecompiledCharsmap(std::string_view blob);

  // HF's normalization: cut the text into grapheme clusters; a cluster under
  // 6 bytes whose first bytes are a key is replaced whole by the value of the
  // SHORTEST such key (so "ﬁ" + a combining mark loses the mark, as in HF);
  // any other cluster is looked up one character at a time, and characters
  // with no key stay as they are.
  void Normalize(std::string_view in, std::string& out) const;

 private:
  // The value of the shortest key that prefixes `chunk`, if any.
  bool Lookup(std::string_view chunk, std::string_view& value) const;

  std::vector<uint32_t> units_;
  std::string replacements_;
  // What each ASCII character becomes on its own (most text is ASCII, and an
  // ASCII character followed by another is a cluster by itself).
  std::string ascii_value_[128];
  bool ascii_mapped_[128] = {};
};

}  // namespace cappy::tok
