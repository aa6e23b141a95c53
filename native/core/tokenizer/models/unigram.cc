#include "tokenizer/models/unigram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "tokenizer/models/piece_cache.h"
#include "tokenizer/stage_names.h"
#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {

namespace {
constexpr const char* kName = TypeName(ModelKind::kUnigram);
// HF's K_UNK_PENALTY: an unk character scores this much below the worst piece.
constexpr double kUnkPenalty = 10.0;
}  // namespace

Unigram::Unigram(const TokenizerSpec& spec)
    : scores_(spec.scores),
      unk_id_(spec.unk_id),
      byte_fallback_(spec.byte_fallback),
      cache_owner_(PieceCache::NewOwner()) {
  const size_t n = spec.vocab.size();
  if (spec.vocab_ids.size() != n) throw Error(ErrorCode::kTokenizer, "vocab and vocab_ids differ in length");
  if (scores_.size() != n) throw Error(ErrorCode::kTokenizer, std::string(kName) + " needs one score per vocab entry");
  if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw Error(ErrorCode::kTokenizer, std::string(kName) + " vocab too large");
  if (unk_id_ >= 0 && static_cast<size_t>(unk_id_) >= n) {
    throw Error(ErrorCode::kTokenizer, std::string(kName) + " unk_id " + std::to_string(unk_id_) +
                                           " is outside the vocab of " + std::to_string(n));
  }
  // HF starts from +infinity, so an empty vocab has no finite unk score; it
  // can only encode empty text, which never reads the score.
  double min_score = std::numeric_limits<double>::infinity();
  std::vector<std::pair<std::string, int32_t>> entries;
  entries.reserve(n);
  for (size_t i = 0; i < n; i++) {
    if (spec.vocab_ids[i] != static_cast<int32_t>(i)) {
      throw Error(ErrorCode::kTokenizer, std::string(kName) + " ids must be the vocab positions 0..n-1");
    }
    if (!std::isfinite(scores_[i]))
      throw Error(ErrorCode::kTokenizer, std::string(kName) + " score of '" + spec.vocab[i] + "' is not finite");
    min_score = std::min(min_score, scores_[i]);
    const std::string& t = spec.vocab[i];
    entries.emplace_back(t, static_cast<int32_t>(i));
  }
  // HF's token -> id map keeps the last id of a repeated piece; so do the
  // trie (ByteTrie keeps the last value) and the lookup map (see below). An
  // empty piece never matches in HF's trie; ByteTrie skips it too.
  trie_.Build(entries);
  // Linear probing finds the first inserted of equal keys, so inserting in
  // reverse makes a repeated piece resolve to its last id, as in HF.
  std::reverse(entries.begin(), entries.end());
  token_to_id_.Build(entries);
  unk_score_ = min_score - kUnkPenalty;
  for (int b = 0; b < 256; b++) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[b] = token_to_id_.Find(name);
  }
}

// One output token for piece[begin, end): its own id when the text is a
// piece, else <0xNN> per byte when byte fallback has them all, else unk.
void Unigram::FlushFused(std::string_view piece, size_t begin, size_t end, std::vector<int32_t>& out) const {
  const std::string_view text = piece.substr(begin, end - begin);
  const int32_t id = token_to_id_.Find(text);
  if (id >= 0) {
    out.push_back(id);
    return;
  }
  if (byte_fallback_) {
    bool all = true;
    for (char c : text) all = all && byte_ids_[static_cast<unsigned char>(c)] >= 0;
    if (all) {
      for (char c : text) out.push_back(byte_ids_[static_cast<unsigned char>(c)]);
      return;
    }
  }
  if (unk_id_ < 0)
    throw Error(ErrorCode::kTokenizer, std::string(kName) + " met an unknown token but the model has no unk_id");
  out.push_back(unk_id_);
}

void Unigram::Encode(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  // The ids depend on the piece alone, so a cached answer is exact.
  PieceCache& cache = PieceCache::ForThread();
  const bool cacheable = PieceCache::Fits(piece);
  const uint64_t hash = cacheable ? HashBytes(piece) : 0;
  if (cacheable && cache.Get(cache_owner_, piece, hash, out)) return;
  const size_t mark = out.size();
  Viterbi(piece, out);
  if (cacheable) cache.Put(cache_owner_, piece, hash, out.data() + mark, out.size() - mark);
}

void Unigram::Viterbi(std::string_view piece, std::vector<int32_t>& out) const {
  const size_t n = piece.size();
  // lattice[i]: the best path over piece[0, i): its score, where its last
  // token starts (-1: none yet) and that token. Filled left to right, a
  // candidate replacing the current best only when strictly better, so ties
  // keep the first found: the earliest start, then the shortest piece. One
  // array of one struct per position (not three vectors), and the
  // thread_local fetched once: each access to one from a shared library
  // costs a __tls_get_addr call.
  struct Cell {
    double best;
    int64_t from;
    int32_t id;
  };
  thread_local std::vector<Cell> lattice_storage;
  std::vector<Cell>& lattice = lattice_storage;
  lattice.assign(n + 1, Cell{0.0, -1, -1});
  Cell* const cell = lattice.data();
  auto offer = [&](size_t start, size_t end, double score, int32_t id) {
    const double candidate = score + cell[start].best;
    Cell& c = cell[end];
    if (c.from < 0 || candidate > c.best) {
      if (id < 0)
        throw Error(ErrorCode::kTokenizer,
                    std::string(kName) + " met a character no piece covers, and the model has no unk_id");
      c = Cell{candidate, static_cast<int64_t>(start), id};
    }
  };
  const double* const scores = scores_.data();
  size_t pos = 0;
  while (pos < n) {
    size_t mblen;
    DecodeUtf8(piece, pos, mblen);
    bool single = false;
    const ByteTrie::Edge* e = trie_.Start(static_cast<unsigned char>(piece[pos]));
    for (size_t k = pos + 1; e != nullptr; k++) {
      if (e->value >= 0) {
        offer(pos, k, scores[e->value], e->value);
        single = single || k - pos == mblen;
      }
      if (k == n) break;
      e = trie_.Next(e, static_cast<unsigned char>(piece[k]));
    }
    if (!single) offer(pos, pos + mblen, unk_score_, unk_id_);
    pos += mblen;
  }
  // Walk back from the end; consecutive unk tokens fuse into one text.
  struct Step {
    size_t begin;
    size_t end;
    int32_t id;  // -1: a fused unk run, resolved by FlushFused
  };
  thread_local std::vector<Step> path_storage;  // backwards
  std::vector<Step>& path = path_storage;
  path.clear();
  size_t end = n;
  size_t fused_end = 0;
  bool fusing = false;
  while (end > 0) {
    const auto start = static_cast<size_t>(cell[end].from);
    const int32_t id = cell[end].id;
    const bool unk = unk_id_ >= 0 && id == unk_id_;
    if (unk) {
      if (!fusing) fused_end = end;
      fusing = true;
    } else {
      if (fusing) path.push_back({end, fused_end, -1});
      fusing = false;
      path.push_back({start, end, id});
    }
    end = start;
  }
  if (fusing) path.push_back({0, fused_end, -1});
  for (size_t i = path.size(); i-- > 0;) {
    if (path[i].id >= 0) {
      out.push_back(path[i].id);
    } else {
      FlushFused(piece, path[i].begin, path[i].end, out);
    }
  }
}

}  // namespace cappy::tok
