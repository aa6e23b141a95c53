// Added-token matching, as HF's AddedVocabulary does it: tokens are found
// leftmost-longest on the raw text before any pre-tokenization, special
// tokens typed inside user text included, with lstrip/rstrip/single_word.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cappy/cappy.h"

namespace cappy::tok {

// A piece of the input: an added token (id >= 0) or text for the model (-1).
struct Segment {
  uint32_t begin;
  uint32_t end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  // Normalizes a normalized=true token's content, when the pipeline has a
  // normalizer (BERT); empty: the identity (byte-level BPE has none).
  using Normalize = std::function<void(std::string_view, std::string&)>;
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens, const Normalize& normalize = Normalize());

  // Splits `text` into segments covering it in order. HF matches in two
  // passes: tokens with normalized=false on the whole text, then tokens with
  // normalized=true inside the text left between matches (there is no
  // normalizer, so normalizing is the identity).
  void Split(std::string_view text, std::vector<Segment>& out) const;

  // The two passes apart, for pipelines with a normalizer: SplitRaw matches
  // normalized=false tokens on the raw text; the caller normalizes the text
  // left between them and SplitNormalized matches normalized=true tokens in it.
  void SplitRaw(std::string_view text, std::vector<Segment>& out) const;
  void SplitNormalized(std::string_view normalized_text, std::vector<Segment>& out) const;

  bool empty() const noexcept { return all_empty_; }

 private:
  struct Entry {
    std::string content;
    int32_t id;
    bool lstrip;
    bool rstrip;
    bool single_word;
  };
  // One matching set: entries plus, per first byte, the entries starting with
  // it (longest first, so the first hit at a position is the longest).
  struct Set {
    std::vector<Entry> entries;
    std::vector<std::vector<uint32_t>> by_first_byte;  // 256 lists
    bool starts[256] = {};                             // some entry starts with this byte: cheap skip
    bool empty() const { return entries.empty(); }
  };
  static void Build(Set& set);
  static void FindMatches(const Set& set, std::string_view text, uint32_t base, std::vector<Segment>& out);

  Set raw_;         // normalized == false
  Set normalized_;  // normalized == true
  bool all_empty_ = true;
};

}  // namespace cappy::tok
