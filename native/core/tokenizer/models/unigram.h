// Unigram (SentencePiece) as HF tokenizers' model does it: the best-scoring
// segmentation of each pre-token by Viterbi over the vocab's log-probabilities,
// characters no piece covers as unk (scored min score - 10, runs of unk fused
// into one token), and optional byte fallback to <0xNN> pieces.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "cappy/cappy.h"
#include "tokenizer/flat_tables.h"
#include "tokenizer/models/byte_trie.h"

namespace cappy::tok {

class Unigram {
 public:
  // Throws Error(kTokenizer) when ids are not 0..n-1 in order, scores are
  // missing or not finite, or unk_id is outside the vocab.
  explicit Unigram(const TokenizerSpec& spec);

  // Appends the ids of one pre-token (UTF-8). Thread-safe. Throws
  // Error(kTokenizer) where HF fails: a character no piece covers, and no unk.
  void Encode(std::string_view piece, std::vector<int32_t>& out) const;

  int32_t max_id() const noexcept { return static_cast<int32_t>(scores_.size()) - 1; }

 private:
  void FlushFused(std::string_view piece, size_t begin, size_t end, std::vector<int32_t>& out) const;
  void Viterbi(std::string_view piece, std::vector<int32_t>& out) const;

  // Byte trie over the vocab (value: piece id). A walk from a start position
  // stops at the first byte no piece continues with, so the work per position
  // is bounded by the longest piece, never by the input length.
  ByteTrie trie_;
  StringIdMap token_to_id_;  // fused unk runs may spell a real piece
  std::vector<double> scores_;
  int32_t byte_ids_[256];  // <0xNN> ids, -1 where missing
  double unk_score_ = 0;
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
  uint64_t cache_owner_;  // this instance's key in PieceCache
};

}  // namespace cappy::tok
