// Truncation exactly as HF tokenizers' truncate_encodings, with the budget
// already reduced by the special tokens the post-processor will add.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cappy/cappy.h"

namespace cappy::tok {

// Truncates `first` (and `second`, when non-null) to fit `budget` tokens.
// Throws Error(kTokenizer) where HF errors: only_first/only_second when that
// side cannot absorb the cut, only_second without a pair.
// `max_length` is the limit before the special tokens are taken off (it
// breaks longest_first's ties the way HF does).
void Truncate(TruncationStrategy strategy, uint32_t budget, std::vector<int32_t>& first,
              std::vector<int32_t>* second, size_t max_length = SIZE_MAX);

// Where HF's tokenizer (0.23) stops reading a text when truncation is on: at
// the first word end at or past max_length tokens, or the text's end. Which
// side of a pair longest_first treats as the longer one follows these
// lengths, not the full ones: it decides where an odd budget's extra token
// goes (BERT: 512 - 3). `word_ends` are token counts after each word.
size_t WordCut(const std::vector<uint32_t>& word_ends, size_t length, size_t max_length);

// longest_first on a pair, given the lengths WordCut reports for each side.
void TruncateLongestFirstPair(size_t budget, std::vector<int32_t>& first, std::vector<int32_t>& second,
                              size_t first_cut, size_t second_cut);

// The lengths longest_first keeps for a pair of lengths (n1, n2). Exposed so
// tests can check the numbers without building token vectors.
void LongestFirstLengths(size_t budget, size_t& n1, size_t& n2);

}  // namespace cappy::tok
