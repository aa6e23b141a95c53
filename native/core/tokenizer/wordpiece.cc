#include "tokenizer/wordpiece.h"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace cappy::tok {

WordPiece::WordPiece(const TokenizerSpec& spec) : unk_id_(spec.unk_id), max_chars_(spec.max_input_chars_per_word) {
  if (spec.vocab.size() != spec.vocab_ids.size()) throw Error(ErrorCode::kTokenizer, "vocab and vocab_ids differ in length");
  if (unk_id_ < 0) throw Error(ErrorCode::kTokenizer, "WordPiece needs an unk token in the vocab");
  const std::string& prefix = spec.continuing_subword_prefix;
  std::vector<std::pair<std::string, int32_t>> first, cont;
  std::unordered_set<std::string_view> seen_tokens;
  std::unordered_set<int32_t> seen_ids;
  for (size_t i = 0; i < spec.vocab.size(); i++) {
    const std::string& t = spec.vocab[i];
    const int32_t id = spec.vocab_ids[i];
    if (id < 0) throw Error(ErrorCode::kTokenizer, "negative id for vocab token '" + t + "'");
    if (!seen_ids.insert(id).second) throw Error(ErrorCode::kTokenizer, "duplicate vocab id " + std::to_string(id));
    if (!seen_tokens.insert(t).second) throw Error(ErrorCode::kTokenizer, "duplicate vocab token '" + t + "'");
    max_id_ = std::max(max_id_, id);
    first.emplace_back(t, id);
    max_first_ = std::max(max_first_, t.size());
    if (!prefix.empty() && t.size() >= prefix.size() && t.compare(0, prefix.size(), prefix) == 0) {
      cont.emplace_back(t.substr(prefix.size()), id);
      max_cont_ = std::max(max_cont_, t.size() - prefix.size());
    }
  }
  if (prefix.empty()) {
    cont = first;
    max_cont_ = max_first_;
  }
  first_.Build(first);
  cont_.Build(cont);
}

void WordPiece::Encode(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  size_t chars = 0;
  for (char c : word) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars > max_chars_) {
    out.push_back(unk_id_);
    return;
  }
  const size_t mark = out.size();
  size_t start = 0;
  while (start < word.size()) {
    const StringIdMap& map = start == 0 ? first_ : cont_;
    const size_t longest = start == 0 ? max_first_ : max_cont_;
    size_t end = std::min(word.size(), start + longest);
    // Never split a UTF-8 character: back end off continuation bytes.
    while (end > start && end < word.size() && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) end--;
    int32_t hit = -1;
    while (end > start) {
      hit = map.Find(word.substr(start, end - start));
      if (hit >= 0) break;
      do {
        end--;
      } while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (hit < 0) {
      out.resize(mark);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(hit);
    start = end;
  }
}

}  // namespace cappy::tok
