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
// longest_first uses the lengths as given: the caller must have stopped
// encoding where HF does (see Tokenizer::Encode), or ties differ.
void Truncate(TruncationStrategy strategy, uint32_t budget, std::vector<int32_t>& first, std::vector<int32_t>* second);

// The lengths longest_first keeps for a pair of lengths (n1, n2). Exposed so
// tests can check the numbers without building token vectors.
void LongestFirstLengths(size_t budget, size_t& n1, size_t& n2);

}  // namespace cappy::tok
