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
  // Node 0 is the root; 0 as a child means "no such child".
  static constexpr uint32_t kNone = 0;

  // Builds from (piece, value) pairs; values must be >= 0. A repeated piece
  // keeps the value given last. Empty pieces are skipped (no walk ends at the
  // root). Nodes are numbered breadth-first, so the short prefixes every walk
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
    nodes_.clear();
    labels_.clear();
    targets_.clear();
    std::fill(std::begin(root_), std::end(root_), kNone);
    std::vector<uint32_t> order(1, 0);
    std::vector<uint32_t> index(value.size(), 0);
    nodes_.reserve(value.size());
    for (size_t q = 0; q < order.size(); q++) {
      const uint32_t old_node = order[q];
      auto& list = kids[old_node];
      std::sort(list.begin(), list.end());
      nodes_.push_back({value[old_node], static_cast<uint32_t>(labels_.size()), static_cast<uint32_t>(list.size())});
      for (const auto& [label, child] : list) {
        index[child] = static_cast<uint32_t>(order.size());
        order.push_back(child);
        labels_.push_back(label);
        targets_.push_back(index[child]);
        if (old_node == 0) root_[label] = index[child];
      }
    }
  }

  // The child of `node` along `byte`, or kNone. Inline: it runs once per byte
  // of every walk.
  uint32_t Child(uint32_t node, unsigned char byte) const noexcept {
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
    return it != end && *it == byte ? targets_[nd.first + static_cast<uint32_t>(it - begin)] : kNone;
  }

  // The value of the piece ending at `node`, or -1 when no piece ends there.
  int32_t Value(uint32_t node) const noexcept { return nodes_[node].value; }
  size_t size() const noexcept { return nodes_.size(); }

 private:
  struct Node {
    int32_t value;   // piece ending here, or -1
    uint32_t first;  // its children: labels_/targets_[first, first + count)
    uint32_t count;
  };
  std::vector<Node> nodes_;
  std::vector<unsigned char> labels_;
  std::vector<uint32_t> targets_;
  uint32_t root_[256] = {};  // the root's children as a plain array
};

}  // namespace cappy::tok
