// Unicode normalization forms (UAX #15) over the generated tables: the NFC,
// NFD, NFKC and NFKD normalizers of HF tokenizers. Decompose (canonical or
// compatibility), put each run of non-starters in canonical order, and for
// the C forms compose canonically again.
#pragma once

#include <string>
#include <string_view>

namespace cappy::tok {

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };

// Writes the normalized form of `in` (UTF-8) to `out` (cleared first).
void UnicodeNormalize(std::string_view in, NormalForm form, std::string& out);

}  // namespace cappy::tok
