#include "tokenizer/models/wordpiece.h"

#include <algorithm>
#include <string>
#include <unordered_set>

#include "tokenizer/stage_names.h"

namespace cappy::tok {

WordPiece::WordPiece(const TokenizerSpec& spec) : unk_id_(spec.unk_id), max_chars_(spec.max_input_chars_per_word) {
  if (spec.vocab.size() != spec.vocab_ids.size())
    throw Error(ErrorCode::kTokenizer, "vocab and vocab_ids differ in length");
  if (unk_id_ < 0)
    throw Error(ErrorCode::kTokenizer,
                std::string(TypeName(ModelKind::kWordPiece)) + " needs an unk token in the vocab");
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
    if (!prefix.empty() && t.size() >= prefix.size() && t.compare(0, prefix.size(), prefix) == 0) {
      cont.emplace_back(t.substr(prefix.size()), id);
    }
  }
  if (prefix.empty()) cont = first;
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
  const size_t n = word.size();
  size_t start = 0;
  while (start < n) {
    const ByteTrie& trie = start == 0 ? first_ : cont_;
    // The longest token that is a prefix of word[start..) and ends on a
    // character boundary (a match never splits a UTF-8 character, as HF
    // slices by chars). Empty tokens never match, as in HF.
    int32_t hit = -1;
    size_t end = start;
    const ByteTrie::Edge* e = trie.Start(static_cast<unsigned char>(word[start]));
    for (size_t k = start; e != nullptr;) {
      k++;
      if (e->value >= 0 && (k == n || (static_cast<unsigned char>(word[k]) & 0xC0) != 0x80)) {
        hit = e->value;
        end = k;
      }
      if (k == n) break;
      e = trie.Next(e, static_cast<unsigned char>(word[k]));
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
