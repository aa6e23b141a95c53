// HF's BertPreTokenizer, over the generated Unicode tables (which carry the
// few code points where HF's own Rust crates disagree with today's Unicode).
#pragma once

#include <string_view>
#include <vector>

#include "tokenizer/pre_tokenizers/pre_tokenizer.h"

namespace cappy::tok {

// BertPreTokenizer: splits on White_Space (dropped) and isolates each
// punctuation character. Appends pieces of `text` to `out` (cleared first).
void BertPreTokenize(std::string_view text, std::vector<Span>& out);

}  // namespace cappy::tok
