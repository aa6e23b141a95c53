// WordPiece as HF's model does it: greedy longest-match-first over each
// pre-token, continuation pieces carrying a prefix ("##"), and the whole word
// as unk when some part cannot be matched or it has too many characters.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "cappy/cappy.h"
#include "tokenizer/models/byte_trie.h"

namespace cappy::tok {

class WordPiece {
 public:
  // Throws Error(kTokenizer) for duplicate tokens or ids, or no unk token.
  explicit WordPiece(const TokenizerSpec& spec);

  // Appends the ids of one pre-token (UTF-8). Thread-safe.
  void Encode(std::string_view word, std::vector<int32_t>& out) const;

  int32_t max_id() const noexcept { return max_id_; }

 private:
  // Longest match found by walking a trie from the piece's start: one pass
  // over the bytes, instead of hashing every shorter candidate in turn.
  ByteTrie first_;  // every token, for a word's first piece
  ByteTrie cont_;   // tokens with the prefix, keyed without it
  int32_t unk_id_ = -1;
  int32_t max_id_ = -1;
  uint32_t max_chars_ = 100;
};

}  // namespace cappy::tok
