// Extended grapheme clusters (UAX #29), as HF's Precompiled normalizer cuts
// text with the unicode-segmentation crate before it looks clusters up in a
// SentencePiece charsmap.
#pragma once

#include <cstddef>
#include <string_view>

namespace cappy::tok {

// The end (exclusive, in bytes) of the cluster that starts at `start` in
// valid UTF-8 `s` (start < s.size()). Clusters never share state, so the
// caller walks a text by feeding each end back as the next start.
size_t GraphemeEnd(std::string_view s, size_t start) noexcept;

}  // namespace cappy::tok
