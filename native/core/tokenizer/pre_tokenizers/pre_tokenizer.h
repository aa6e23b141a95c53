// The ByteLevel pre-tokenizer's split, as a hand-written scanner that gives
// exactly the pieces of the GPT-2 regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// with no regex engine and no backtracking.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace cappy::tok {

struct Span {
  uint32_t begin;
  uint32_t end;  // exclusive byte offsets into the scanned text
};

// Appends the pieces of `text` to `out` (cleared first). Pieces cover the text
// without gaps. Invalid UTF-8 bytes scan as single "other" characters.
void PreTokenize(std::string_view text, std::vector<Span>& out);

}  // namespace cappy::tok
