#include "tokenizer/models/bpe.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "tokenizer/pre_tokenizers/byte_level.h"

namespace cappy::tok {

// Thread-safe word cache: sharded so threads rarely wait on one lock. A full
// shard is simply cleared; words repeat so much that it refills at once.
class WordCache {
 public:
  static constexpr size_t kShards = 64;
  static constexpr size_t kShardCapacity = 4096;
  static constexpr size_t kMaxWordBytes = 64;

  // Keyed by the word's hash; the stored word is compared too, so a hash
  // collision is only a miss.
  bool Get(std::string_view word, uint64_t hash, std::vector<int32_t>& out) const {
    Shard& sh = shards_[hash % kShards];
    std::lock_guard<std::mutex> lock(sh.mu);
    auto it = sh.map.find(hash);
    if (it == sh.map.end() || it->second.word != word) return false;
    out.insert(out.end(), it->second.ids.begin(), it->second.ids.end());
    return true;
  }
  void Put(std::string_view word, uint64_t hash, const int32_t* ids, size_t n) const {
    Shard& sh = shards_[hash % kShards];
    std::lock_guard<std::mutex> lock(sh.mu);
    if (sh.map.size() >= kShardCapacity) sh.map.clear();
    Entry& e = sh.map[hash];
    e.word.assign(word);
    e.ids.assign(ids, ids + n);
  }

 private:
  struct Entry {
    std::string word;
    std::vector<int32_t> ids;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, Entry> map;
  };
  mutable std::array<Shard, kShards> shards_;
};

Bpe::Bpe(const TokenizerSpec& spec) : unk_id_(spec.unk_id), cache_(std::make_unique<WordCache>()) {
  if (spec.vocab.size() != spec.vocab_ids.size()) {
    throw Error(ErrorCode::kTokenizer, "vocab and vocab_ids differ in length");
  }
  if (spec.merges_left.size() != spec.merges_right.size()) {
    throw Error(ErrorCode::kTokenizer, "merges_left and merges_right differ in length");
  }
  std::unordered_map<std::string_view, int32_t> by_text;
  std::unordered_set<int32_t> seen_ids;
  by_text.reserve(spec.vocab.size());
  for (size_t i = 0; i < spec.vocab.size(); i++) {
    const int32_t id = spec.vocab_ids[i];
    if (id < 0) throw Error(ErrorCode::kTokenizer, "negative id for vocab token '" + spec.vocab[i] + "'");
    if (!seen_ids.insert(id).second) {
      throw Error(ErrorCode::kTokenizer, "duplicate vocab id " + std::to_string(id));
    }
    if (!by_text.emplace(spec.vocab[i], id).second) {
      throw Error(ErrorCode::kTokenizer, "duplicate vocab token '" + spec.vocab[i] + "'");
    }
    max_id_ = std::max(max_id_, id);
  }
  merges_.Reserve(spec.merges_left.size());
  std::string merged;
  for (size_t k = 0; k < spec.merges_left.size(); k++) {
    const std::string& l = spec.merges_left[k];
    const std::string& r = spec.merges_right[k];
    auto il = by_text.find(l);
    auto ir = by_text.find(r);
    merged = l + r;
    auto im = by_text.find(merged);
    if (il == by_text.end() || ir == by_text.end() || im == by_text.end()) {
      const std::string& missing = il == by_text.end() ? l : ir == by_text.end() ? r : merged;
      throw Error(ErrorCode::kTokenizer, "merge " + std::to_string(k) + " ('" + l + "' '" + r + "') uses '" + missing +
                                             "', which is not in the vocab");
    }
    // A repeated pair keeps its last rank, as HF's map building does.
    merges_.Put(PairKey(il->second, ir->second), {static_cast<uint32_t>(k), im->second});
  }
  byte_ids_.fill(-1);
  std::string bytes;
  for (const auto& [text, id] : by_text) {
    if (!StandInsToBytes(text, bytes) || bytes.empty()) continue;
    if (bytes.size() == 1) byte_ids_[static_cast<unsigned char>(bytes[0])] = id;
  }
  // Whole-token shortcut: only where merging the token's own bytes gives the
  // token back, since a vocab entry need not be what BPE reaches.
  std::vector<int32_t> symbols;
  std::vector<std::pair<std::string, int32_t>> whole;
  for (const auto& [text, id] : by_text) {
    if (!StandInsToBytes(text, bytes) || bytes.empty()) continue;
    symbols.clear();
    bool ok = true;
    for (char c : bytes) {
      const int32_t b = byte_ids_[static_cast<unsigned char>(c)];
      if (b < 0) {
        ok = false;
        break;
      }
      symbols.push_back(b);
    }
    if (!ok) continue;
    Merge(symbols);
    if (symbols.size() == 1 && symbols[0] == id) whole.emplace_back(bytes, id);
  }
  whole_.Build(whole);
}

Bpe::~Bpe() = default;

void Bpe::Encode(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  const int32_t whole = whole_.Find(piece);
  if (whole >= 0) {
    out.push_back(whole);
    return;
  }
  const bool cacheable = piece.size() <= WordCache::kMaxWordBytes;
  const uint64_t hash = cacheable ? HashBytes(piece) : 0;
  if (cacheable && cache_->Get(piece, hash, out)) return;
  std::vector<int32_t> symbols;
  symbols.reserve(piece.size());
  for (char c : piece) {
    const int32_t id = byte_ids_[static_cast<unsigned char>(c)];
    // HF's BPE drops a character missing from the vocab unless there is an
    // unk token; byte-level vocabs hold all 256 bytes, so this is rare.
    if (id >= 0) {
      symbols.push_back(id);
    } else if (unk_id_ >= 0) {
      symbols.push_back(unk_id_);
    }
  }
  Merge(symbols);
  if (cacheable) cache_->Put(piece, hash, symbols.data(), symbols.size());
  out.insert(out.end(), symbols.begin(), symbols.end());
}

void Bpe::Merge(std::vector<int32_t>& symbols) const {
  if (symbols.size() < 2) return;
  if (symbols.size() <= kShortWord) {
    MergeShort(symbols);
  } else {
    MergeLong(symbols);
  }
}

// Short words: keep each adjacent pair's rank in a stack array and scan it
// for the minimum; after a merge only the two neighbouring pairs change.
void Bpe::MergeShort(std::vector<int32_t>& sym) const {
  constexpr uint32_t kNone = UINT32_MAX;
  uint32_t rank[kShortWord];
  int32_t result[kShortWord];
  size_t n = sym.size();  // symbols left; pairs = n - 1
  auto fill = [&](size_t k) {
    const MergeInfo* m = FindMerge(sym[k], sym[k + 1]);
    rank[k] = m ? m->rank : kNone;
    result[k] = m ? m->id : -1;
  };
  for (size_t k = 0; k + 1 < n; k++) fill(k);
  while (n > 1) {
    size_t best = 0;
    for (size_t k = 1; k + 1 < n; k++) {
      if (rank[k] < rank[best]) best = k;  // strict: leftmost wins ties
    }
    if (rank[best] == kNone) break;
    sym[best] = result[best];
    // Close the gap left by symbol best + 1 and by pair best.
    for (size_t k = best + 1; k + 1 < n; k++) sym[k] = sym[k + 1];
    for (size_t k = best; k + 2 < n; k++) {
      rank[k] = rank[k + 1];
      result[k] = result[k + 1];
    }
    n--;
    if (best > 0) fill(best - 1);
    if (best + 1 < n) fill(best);
  }
  sym.resize(n);
}

// Long words: a min-heap of (rank, position) over a linked list of symbols,
// skipping stale entries, as HF does; O(n log n) where the scan is O(n^2).
void Bpe::MergeLong(std::vector<int32_t>& sym) const {
  const int32_t n = static_cast<int32_t>(sym.size());
  std::vector<int32_t> prev(n), next(n);
  std::vector<char> alive(n, 1);
  for (int32_t k = 0; k < n; k++) {
    prev[k] = k - 1;
    next[k] = k + 1 < n ? k + 1 : -1;
  }
  struct Cand {
    uint32_t rank;
    int32_t pos;
    int32_t id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](int32_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    if (const MergeInfo* m = FindMerge(sym[pos], sym[next[pos]])) heap.push({m->rank, pos, m->id});
  };
  for (int32_t k = 0; k + 1 < n; k++) push(k);
  while (!heap.empty()) {
    const Cand top = heap.top();
    heap.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int32_t right = next[top.pos];
    const MergeInfo* m = FindMerge(sym[top.pos], sym[right]);
    if (!m || m->id != top.id || m->rank != top.rank) continue;  // stale entry
    sym[top.pos] = top.id;
    alive[right] = 0;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    push(prev[top.pos]);
    push(top.pos);
  }
  size_t w = 0;
  for (int32_t k = 0; k < n; k++) {
    if (alive[k]) sym[w++] = sym[k];
  }
  sym.resize(w);
}

}  // namespace cappy::tok
