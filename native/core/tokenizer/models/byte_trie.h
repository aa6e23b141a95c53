// A read-only byte trie over a vocabulary, for the models that look pieces up
// by prefix (WordPiece's longest match, Unigram's lattice). One walk from a
// start position visits every vocab piece beginning there in one pass over
// the bytes, where a hash table would hash every candidate length anew.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cappy::tok {

class ByteTrie {
 public:
  // Builds from (piece, value) pairs; values must be >= 0. A repeated piece
  // keeps the value given last. Empty pieces are skipped (no walk ends at the
  // root). Blocks are laid out breadth-first, so the short prefixes every walk
  // goes through sit together at the front and stay in cache.
  void Build(const std::vector<std::pair<std::string, int32_t>>& entries) {
    std::vector<std::vector<std::pair<unsigned char, uint32_t>>> kids(1);
    std::vector<int32_t> value(1, -1);
    for (const auto& [piece, v] : entries) {
      if (piece.empty()) continue;
      uint32_t node = 0;
      for (const char c : piece) {
        const auto b = static_cast<unsigned char>(c);
        uint32_t next = 0;
        for (const auto& [label, child] : kids[node]) {
          if (label == b) next = child;
        }
        if (next == 0) {
          next = static_cast<uint32_t>(value.size());
          value.push_back(-1);
          kids.emplace_back();
          kids[node].emplace_back(b, next);
        }
        node = next;
      }
      value[node] = v;
    }
    // Each node's children form one block of edges, and an edge carries
    // everything a walk needs about its child (value, and where the child's
    // own block is), so a step reads one block: one cache miss, not two. The
    // root's block is the 256 edges at the front, indexed by byte (dense).
    edges_.assign(256, Edge{});
    std::vector<std::pair<uint32_t, uint32_t>> queue;  // (old node, its edge; root: none)
    queue.emplace_back(0, kRootEdge);
    for (size_t q = 0; q < queue.size(); q++) {
      const auto [old_node, edge] = queue[q];
      auto& list = kids[old_node];
      std::sort(list.begin(), list.end());
      uint32_t first = 0;
      const bool dense = edge == kRootEdge || list.size() >= kDenseMin;
      if (edge != kRootEdge) {
        first = static_cast<uint32_t>(edges_.size());
        edges_[edge].first = first;
        edges_[edge].count = dense ? kDense : static_cast<uint16_t>(list.size());
        edges_.resize(edges_.size() + (dense ? 256 : list.size()));
      }
      for (size_t k = 0; k < list.size(); k++) {
        const auto [label, child] = list[k];
        const uint32_t at = first + (dense ? label : static_cast<uint32_t>(k));
        edges_[at] = Edge{0, 0, label, 1, value[child]};
        queue.emplace_back(child, at);
      }
    }
  }

  // One edge into a node: its byte, the value of the piece ending at the
  // node it leads to (-1: none), and that node's children.
  struct Edge {
    uint32_t first = 0;  // children: edges_[first, first + count), or 256 if kDense
    uint16_t count = 0;
    unsigned char label = 0;
    unsigned char present = 0;  // only read in dense blocks
    int32_t value = -1;
  };

  // The edge from the root along `byte`, or nullptr.
  const Edge* Start(unsigned char byte) const noexcept {
    const Edge* e = &edges_[byte];
    return e->present ? e : nullptr;
  }
  // The edge from the node `e` leads to along `byte`, or nullptr. Inline: it
  // runs once per byte of every walk.
  const Edge* Next(const Edge* e, unsigned char byte) const noexcept {
    const Edge* it = edges_.data() + e->first;
    if (e->count == kDense) {
      it += byte;
      return it->present ? it : nullptr;
    }
    const Edge* end = it + e->count;
    // Labels are sorted: scan short blocks, bisect longer ones.
    if (e->count > 8) {
      it = std::lower_bound(it, end, byte, [](const Edge& x, unsigned char b) { return x.label < b; });
    } else {
      while (it != end && it->label < byte) ++it;
    }
    return it != end && it->label == byte ? it : nullptr;
  }

 private:
  static constexpr uint32_t kRootEdge = ~0U;
  // A node with at least this many children keeps them as 256 edges indexed
  // by byte: one load instead of a binary search's chain of dependent loads
  // and mispredicted branches (cachegrind: the bisection was a quarter of
  // the Unigram lattice's instructions, from the wide nodes that non-Latin
  // text's UTF-8 lead bytes walk through). Few nodes are this wide.
  static constexpr size_t kDenseMin = 12;
  static constexpr uint16_t kDense = 0xFFFF;
  std::vector<Edge> edges_;
};

}  // namespace cappy::tok
