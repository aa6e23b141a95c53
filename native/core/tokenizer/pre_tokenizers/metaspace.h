// HF's Metaspace pre-tokenizer (SentencePiece's view of spaces): every ' '
// becomes the replacement character ('\u2581'), a replacement is put in front
// per prepend_scheme, and with split the text breaks before each replacement.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cappy/cappy.h"
#include "tokenizer/pre_tokenizers/pre_tokenizer.h"

namespace cappy::tok {

// Writes the rewritten text to `text_out` and its pieces (offsets into it) to
// `out` (both cleared first). `at_origin`: this text starts at offset 0 of
// the input (prepend_scheme "first" prepends only there).
void MetaspacePreTokenize(std::string_view text, const MetaspaceSpec& spec, bool at_origin, std::string& text_out,
                          std::vector<Span>& out);

}  // namespace cappy::tok
