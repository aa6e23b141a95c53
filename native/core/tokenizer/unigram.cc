#include "tokenizer/unigram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "tokenizer/unicode.h"

namespace cappy::tok {

namespace {
// HF's K_UNK_PENALTY: an unk character scores this much below the worst piece.
constexpr double kUnkPenalty = 10.0;
}  // namespace

Unigram::Unigram(const TokenizerSpec& spec)
    : scores_(spec.scores), unk_id_(spec.unk_id), byte_fallback_(spec.byte_fallback) {
  const size_t n = spec.vocab.size();
  if (spec.vocab_ids.size() != n) throw Error(ErrorCode::kTokenizer, "vocab and vocab_ids differ in length");
  if (scores_.size() != n) throw Error(ErrorCode::kTokenizer, "Unigram needs one score per vocab entry");
  if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max())) throw Error(ErrorCode::kTokenizer, "Unigram vocab too large");
  if (unk_id_ >= 0 && static_cast<size_t>(unk_id_) >= n) {
    throw Error(ErrorCode::kTokenizer, "Unigram unk_id " + std::to_string(unk_id_) + " is outside the vocab of " + std::to_string(n));
  }
  // HF starts from +infinity, so an empty vocab has no finite unk score; it
  // can only encode empty text, which never reads the score.
  double min_score = std::numeric_limits<double>::infinity();
  std::vector<std::pair<std::string, int32_t>> entries;
  entries.reserve(n);
  // Built as lists of (byte, child) per node, then laid out breadth-first.
  std::vector<std::vector<std::pair<unsigned char, uint32_t>>> kids(1);
  std::vector<int32_t> token(1, -1);
  for (size_t i = 0; i < n; i++) {
    if (spec.vocab_ids[i] != static_cast<int32_t>(i)) {
      throw Error(ErrorCode::kTokenizer, "Unigram ids must be the vocab positions 0..n-1");
    }
    if (!std::isfinite(scores_[i])) throw Error(ErrorCode::kTokenizer, "Unigram score of '" + spec.vocab[i] + "' is not finite");
    min_score = std::min(min_score, scores_[i]);
    const std::string& t = spec.vocab[i];
    // HF's token -> id map keeps the last id of a repeated piece; so do the
    // trie (overwritten below) and the lookup map (built from the last).
    entries.emplace_back(t, static_cast<int32_t>(i));
    if (t.empty()) continue;  // an empty piece never matches in HF's trie
    uint32_t node = 0;
    for (size_t k = 0; k < t.size(); k++) {
      const auto b = static_cast<unsigned char>(t[k]);
      uint32_t next = 0;
      for (const auto& [label, child] : kids[node]) {
        if (label == b) next = child;
      }
      if (next == 0) {
        next = static_cast<uint32_t>(token.size());
        token.push_back(-1);
        kids.emplace_back();
        kids[node].emplace_back(b, next);
      }
      node = next;
    }
    token[node] = static_cast<int32_t>(i);
  }
  // Breadth-first layout: the short prefixes every walk goes through sit
  // together at the front, so the hot part of the trie stays in cache.
  std::vector<uint32_t> order(1, 0);
  std::vector<uint32_t> index(token.size(), 0);
  nodes_.reserve(token.size());
  for (size_t q = 0; q < order.size(); q++) {
    const uint32_t old_node = order[q];
    auto& list = kids[old_node];
    std::sort(list.begin(), list.end());
    const int32_t id = token[old_node];
    nodes_.push_back({id >= 0 ? scores_[static_cast<size_t>(id)] : 0.0, id, static_cast<uint32_t>(labels_.size()),
                      static_cast<uint32_t>(list.size())});
    for (const auto& [label, child] : list) {
      index[child] = static_cast<uint32_t>(order.size());
      order.push_back(child);
      labels_.push_back(label);
      targets_.push_back(index[child]);
      if (old_node == 0) root_[label] = index[child];
    }
  }
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

uint32_t Unigram::Child(uint32_t node, unsigned char byte) const noexcept {
  if (node == 0) return root_[byte];
  const Node& nd = nodes_[node];
  const unsigned char* begin = labels_.data() + nd.first;
  const unsigned char* end = begin + nd.count;
  // Labels are sorted: scan short lists, bisect long ones.
  const unsigned char* it = begin;
  if (nd.count > 8) {
    it = std::lower_bound(begin, end, byte);
  } else {
    while (it != end && *it < byte) ++it;
  }
  return it != end && *it == byte ? targets_[nd.first + static_cast<uint32_t>(it - begin)] : 0;
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
  if (unk_id_ < 0) throw Error(ErrorCode::kTokenizer, "Unigram met an unknown token but the model has no unk_id");
  out.push_back(unk_id_);
}

void Unigram::Encode(std::string_view piece, std::vector<int32_t>& out) const {
  const size_t n = piece.size();
  if (n == 0) return;
  // best[i]: score of the best path over piece[0, i); from[i]: where its last
  // token starts (-1: none yet); id[i]: that token. Filled left to right, a
  // candidate replacing the current best only when strictly better, so ties
  // keep the first found: the earliest start, then the shortest piece.
  thread_local std::vector<double> best;
  thread_local std::vector<int64_t> from;
  thread_local std::vector<int32_t> ids;
  best.assign(n + 1, 0.0);
  from.assign(n + 1, -1);
  ids.assign(n + 1, -1);
  auto offer = [&](size_t start, size_t end, double score, int32_t id) {
    const double candidate = score + best[start];
    if (from[end] < 0 || candidate > best[end]) {
      if (id < 0) throw Error(ErrorCode::kTokenizer, "Unigram met a character no piece covers, and the model has no unk_id");
      best[end] = candidate;
      from[end] = static_cast<int64_t>(start);
      ids[end] = id;
    }
  };
  size_t pos = 0;
  while (pos < n) {
    size_t mblen;
    DecodeUtf8(piece, pos, mblen);
    bool single = false;
    uint32_t node = 0;
    for (size_t k = pos; k < n; k++) {
      node = Child(node, static_cast<unsigned char>(piece[k]));
      if (node == 0) break;
      const Node& nd = nodes_[node];
      if (nd.token < 0) continue;
      offer(pos, k + 1, nd.score, nd.token);
      single = single || k + 1 - pos == mblen;
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
  thread_local std::vector<Step> path;  // backwards
  path.clear();
  size_t end = n;
  size_t fused_end = 0;
  bool fusing = false;
  while (end > 0) {
    const auto start = static_cast<size_t>(from[end]);
    const bool unk = unk_id_ >= 0 && ids[end] == unk_id_;
    if (unk) {
      if (!fusing) fused_end = end;
      fusing = true;
    } else {
      if (fusing) path.push_back({end, fused_end, -1});
      fusing = false;
      path.push_back({start, end, ids[end]});
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
