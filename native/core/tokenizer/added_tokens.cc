#include "tokenizer/added_tokens.h"

#include <algorithm>

#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {
namespace {

bool IsSpace(uint32_t cp) { return (Flags(cp) & kSpace) != 0; }

// Rust regex `\w` is alphanumeric plus marks, connector punctuation and join
// controls; letters, numbers and '_' cover it for every token seen in
// practice (single_word is off in RoBERTa files).
bool IsWordChar(uint32_t cp) { return (Flags(cp) & (kLetter | kNumber)) != 0 || cp == '_'; }

// Start of the character that ends at byte `end` (end > 0).
size_t PrevCharStart(std::string_view s, size_t end) {
  size_t p = end - 1;
  size_t steps = 0;
  while (p > 0 && steps < 3 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) {
    p--;
    steps++;
  }
  size_t len = 0;
  DecodeUtf8(s, p, len);
  // Invalid bytes decode as single characters; then the last byte stands alone.
  return p + len == end ? p : end - 1;
}

uint32_t CharBefore(std::string_view s, size_t end) {
  size_t len = 0;
  return DecodeUtf8(s, PrevCharStart(s, end), len);
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens, const Normalize& normalize) {
  std::string normalized;
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;  // HF ignores empty tokens
    Set& set = t.normalized ? normalized_ : raw_;
    // HF matches normalized tokens on normalized text, so it normalizes their
    // content too (a lowercasing BERT finds "Hello" as "hello").
    if (t.normalized && normalize) {
      normalize(t.content, normalized);
      if (normalized.empty()) continue;
      set.entries.push_back({normalized, t.id, t.lstrip, t.rstrip, t.single_word});
    } else {
      set.entries.push_back({t.content, t.id, t.lstrip, t.rstrip, t.single_word});
    }
  }
  Build(raw_);
  Build(normalized_);
  all_empty_ = raw_.empty() && normalized_.empty();
}

void AddedTokenMatcher::Build(Set& set) {
  set.by_first_byte.assign(256, {});
  for (uint32_t k = 0; k < set.entries.size(); k++) {
    const auto first = static_cast<unsigned char>(set.entries[k].content[0]);
    set.by_first_byte[first].push_back(k);
    set.starts[first] = true;
  }
  // Longest first; equal contents keep their given order, so the first one
  // declared wins, as with aho-corasick's lowest pattern id.
  for (auto& list : set.by_first_byte) {
    std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
      return set.entries[a].content.size() > set.entries[b].content.size();
    });
  }
}

// HF find_matches on one piece: non-overlapping leftmost-longest matches,
// then per match the single_word filter and lstrip/rstrip widening.
void AddedTokenMatcher::FindMatches(const Set& set, std::string_view text, uint32_t base, std::vector<Segment>& out) {
  const size_t n = text.size();
  size_t start_offset = 0;
  size_t pos = 0;
  while (pos < n) {
    if (!set.starts[static_cast<unsigned char>(text[pos])]) {
      pos++;
      continue;
    }
    const auto& list = set.by_first_byte[static_cast<unsigned char>(text[pos])];
    const Entry* hit = nullptr;
    for (uint32_t k : list) {
      const Entry& e = set.entries[k];
      if (e.content.size() <= n - pos && text.compare(pos, e.content.size(), e.content) == 0) {
        hit = &e;
        break;
      }
    }
    if (!hit) {
      pos++;
      continue;
    }
    size_t start = pos;
    size_t stop = pos + hit->content.size();
    pos = stop;  // the match iterator resumes after the raw match
    if (hit->single_word) {
      size_t len = 0;
      const bool start_space = start == 0 || !IsWordChar(CharBefore(text, start));
      const bool stop_space = stop == n || !IsWordChar(DecodeUtf8(text, stop, len));
      if (!start_space || !stop_space) continue;
    }
    if (hit->lstrip) {
      size_t s = start;
      while (s > 0) {
        const size_t p = PrevCharStart(text, s);
        size_t len = 0;
        if (!IsSpace(DecodeUtf8(text, p, len))) break;
        s = p;
      }
      // Spaces a previous match already took stay with it.
      start = std::max(s, start_offset);
    }
    if (hit->rstrip) {
      while (stop < n) {
        size_t len = 0;
        if (!IsSpace(DecodeUtf8(text, stop, len))) break;
        stop += len;
      }
    }
    if (start_offset < start) {
      out.push_back({base + static_cast<uint32_t>(start_offset), base + static_cast<uint32_t>(start), -1});
    }
    out.push_back({base + static_cast<uint32_t>(start), base + static_cast<uint32_t>(stop), hit->id});
    start_offset = stop;
  }
  if (start_offset < n) {
    out.push_back({base + static_cast<uint32_t>(start_offset), base + static_cast<uint32_t>(n), -1});
  }
}

void AddedTokenMatcher::Split(std::string_view text, std::vector<Segment>& out) const {
  out.clear();
  if (text.empty()) return;
  if (raw_.empty()) {
    out.push_back({0, static_cast<uint32_t>(text.size()), -1});
  } else {
    FindMatches(raw_, text, 0, out);
  }
  if (normalized_.empty()) return;
  std::vector<Segment> second;
  second.reserve(out.size());
  for (const Segment& seg : out) {
    if (seg.id >= 0) {
      second.push_back(seg);
    } else {
      FindMatches(normalized_, text.substr(seg.begin, seg.end - seg.begin), seg.begin, second);
    }
  }
  out.swap(second);
}

void AddedTokenMatcher::SplitRaw(std::string_view text, std::vector<Segment>& out) const {
  out.clear();
  if (text.empty()) return;
  if (raw_.empty()) {
    out.push_back({0, static_cast<uint32_t>(text.size()), -1});
  } else {
    FindMatches(raw_, text, 0, out);
  }
}

void AddedTokenMatcher::SplitNormalized(std::string_view normalized_text, std::vector<Segment>& out) const {
  out.clear();
  if (normalized_text.empty()) return;
  if (normalized_.empty()) {
    out.push_back({0, static_cast<uint32_t>(normalized_text.size()), -1});
  } else {
    FindMatches(normalized_, normalized_text, 0, out);
  }
}

}  // namespace cappy::tok
