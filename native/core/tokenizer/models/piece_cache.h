// A per-thread cache of pre-token -> ids for the WordPiece and Unigram
// models. Natural text repeats the same pieces all the time, so most pieces
// skip the model. Per thread, so threads never share a lock or a cache line
// (BPE's shared, locked cache would serialize two fast threads).
//
// Direct-mapped, one 64-byte line per entry: a lookup is one hash and one
// line; a new entry simply replaces whatever shared its slot, so the memory
// is fixed and nothing ever needs clearing. Each entry records which model
// instance wrote it (an id never reused in the process), so several
// tokenizers on one thread share the table without mixing answers. Pieces
// too long, or with too many ids, to fit a line are not cached.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "tokenizer/flat_tables.h"

namespace cappy::tok {

class PieceCache {
 public:
  static constexpr size_t kMaxKey = 26;
  static constexpr size_t kMaxIds = 7;

  // A fresh owner id for a model instance.
  static uint64_t NewOwner() noexcept {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  // The calling thread's cache (allocated on first use).
  static PieceCache& ForThread() {
    thread_local PieceCache cache;
    return cache;
  }

  // Appends the cached ids of `piece` to `out` and returns true, or returns
  // false. `hash` is HashBytes(piece).
  bool Get(uint64_t owner, std::string_view piece, uint64_t hash, std::vector<int32_t>& out) const noexcept {
    const Slot& s = slots_[hash & kMask];
    if (s.owner != owner || s.key_len != piece.size() || std::memcmp(s.key, piece.data(), piece.size()) != 0) {
      return false;
    }
    out.insert(out.end(), s.ids, s.ids + s.n_ids);
    return true;
  }

  // Stores ids[0, n) for `piece` when both fit.
  void Put(uint64_t owner, std::string_view piece, uint64_t hash, const int32_t* ids, size_t n) noexcept {
    if (piece.size() > kMaxKey || n > kMaxIds) return;
    Slot& s = slots_[hash & kMask];
    s.owner = owner;
    s.key_len = static_cast<uint8_t>(piece.size());
    s.n_ids = static_cast<uint8_t>(n);
    std::memcpy(s.key, piece.data(), piece.size());
    std::memcpy(s.ids, ids, n * sizeof(int32_t));
  }

  static bool Fits(std::string_view piece) noexcept { return piece.size() <= kMaxKey; }

 private:
  static constexpr size_t kSlots = 4096;  // 256 KB per thread
  static constexpr size_t kMask = kSlots - 1;
  struct alignas(64) Slot {
    uint64_t owner = 0;  // 0: empty
    uint8_t key_len = 0;
    uint8_t n_ids = 0;
    char key[kMaxKey];
    int32_t ids[kMaxIds];
  };
  static_assert(sizeof(Slot) == 64, "one cache line per entry");
  PieceCache() : slots_(kSlots) {}
  std::vector<Slot> slots_;
};

}  // namespace cappy::tok
