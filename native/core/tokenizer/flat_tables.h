// Small open-addressing hash tables for the BPE hot path. std::unordered_map
// chases a pointer per lookup and C++17 cannot look a std::string key up by
// string_view without building a string; these do neither.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace cappy::tok {

// A fast 64-bit hash of bytes (8 at a time, multiply-xorshift mixing).
inline uint64_t HashBytes(std::string_view s) noexcept {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (s.size() * 0xFF51AFD7ED558CCDULL);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 29;
  }
  return h ^ (h >> 32);
}

inline uint64_t MixU64(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  return x;
}

inline size_t TableSizeFor(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;  // load factor <= 0.5 keeps probes short
  return cap;
}

// uint64 key -> V. Keys must never equal kEmpty (all ones).
template <typename V>
class U64Map {
 public:
  static constexpr uint64_t kEmpty = ~0ULL;
  void Reserve(size_t n) {
    keys_.assign(TableSizeFor(n), kEmpty);
    values_.assign(keys_.size(), V{});
    mask_ = keys_.size() - 1;
  }
  // Inserts or overwrites.
  void Put(uint64_t key, const V& value) {
    if ((size_ + 1) * 2 > keys_.size()) Grow();
    size_t i = MixU64(key) & mask_;
    while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask_;
    if (keys_[i] == kEmpty) size_++;
    keys_[i] = key;
    values_[i] = value;
  }
  const V* Find(uint64_t key) const noexcept {
    if (keys_.empty()) return nullptr;
    size_t i = MixU64(key) & mask_;
    for (;;) {
      if (keys_[i] == key) return &values_[i];
      if (keys_[i] == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }

 private:
  void Grow() {
    std::vector<uint64_t> old_keys = std::move(keys_);
    std::vector<V> old_values = std::move(values_);
    Reserve(old_keys.empty() ? 8 : old_keys.size());
    size_ = 0;
    for (size_t i = 0; i < old_keys.size(); i++) {
      if (old_keys[i] != kEmpty) Put(old_keys[i], old_values[i]);
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<V> values_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Read-only byte string -> int32, keys stored back to back in one arena.
class StringIdMap {
 public:
  void Build(const std::vector<std::pair<std::string, int32_t>>& entries) {
    arena_.clear();
    slots_.assign(TableSizeFor(entries.size()), Slot{});
    mask_ = slots_.size() - 1;
    for (const auto& [key, id] : entries) {
      const uint64_t h = HashBytes(key);
      size_t i = h & mask_;
      while (slots_[i].len != kNoSlot) i = (i + 1) & mask_;
      slots_[i] = {h, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id};
      arena_.append(key);
    }
  }
  // Returns the id or -1.
  int32_t Find(std::string_view key) const noexcept {
    if (slots_.empty()) return -1;
    const uint64_t h = HashBytes(key);
    size_t i = h & mask_;
    for (;;) {
      const Slot& s = slots_[i];
      if (s.len == kNoSlot) return -1;
      if (s.hash == h && s.len == key.size() && std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
        return s.id;
      }
      i = (i + 1) & mask_;
    }
  }

 private:
  static constexpr uint32_t kNoSlot = ~0U;
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;
    uint32_t len = kNoSlot;
    int32_t id = -1;
  };
  std::string arena_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace cappy::tok
