// Byte-level BPE over raw bytes: vocab and merges are converted from stand-in
// characters to raw bytes at load time, so a pre-token's bytes are looked up
// and merged directly.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cappy/cappy.h"
#include "tokenizer/flat_tables.h"

namespace cappy::tok {

class WordCache;

class Bpe {
 public:
  // Throws Error(kTokenizer) for a merge whose parts or result are not in the
  // vocab, duplicate ids, or mismatched vocab/id arrays.
  explicit Bpe(const TokenizerSpec& spec);
  ~Bpe();
  Bpe(const Bpe&) = delete;
  Bpe& operator=(const Bpe&) = delete;

  // Appends the ids of one pre-token (raw bytes). Thread-safe.
  void Encode(std::string_view piece, std::vector<int32_t>& out) const;

  // Merges `symbols` in place by rank, lowest first (leftmost on ties), the
  // result HF's heap gives. Exposed for tests.
  void Merge(std::vector<int32_t>& symbols) const;

  int32_t max_id() const noexcept { return max_id_; }

 private:
  struct MergeInfo {
    uint32_t rank = 0;
    int32_t id = -1;
  };
  static uint64_t PairKey(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  const MergeInfo* FindMerge(int32_t a, int32_t b) const { return merges_.Find(PairKey(a, b)); }
  static constexpr size_t kShortWord = 96;  // longer words use the heap
  void MergeShort(std::vector<int32_t>& symbols) const;
  void MergeLong(std::vector<int32_t>& symbols) const;

  // Raw-byte token -> id, only for tokens BPE itself would produce whole, so
  // a hit skips merging with the same result.
  StringIdMap whole_;
  U64Map<MergeInfo> merges_;
  std::array<int32_t, 256> byte_ids_{};  // -1: byte not in vocab
  int32_t unk_id_ = -1;
  int32_t max_id_ = -1;
  std::unique_ptr<WordCache> cache_;
};

}  // namespace cappy::tok
