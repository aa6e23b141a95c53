// HF's simple normalizers, run as a Sequence: Lowercase, Strip, Replace (a
// literal pattern), Prepend and the Unicode forms NFC/NFD/NFKC/NFKD. Each
// step rewrites the whole text, as HF's do, one after the other.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cappy/cappy.h"

namespace cappy::tok {

class SequenceNormalizer {
 public:
  // Throws Error(kTokenizer) for a Replace with an empty pattern.
  explicit SequenceNormalizer(std::vector<NormalizerStep> steps);

  // Writes the normalized text to `out`. Returns whether the first character
  // of `out` still stems from the first character of `in`: false when a step
  // dropped the text's start (Strip, or Replace with nothing). Metaspace's
  // prepend_scheme "first" reads it, because HF decides "first" by the
  // original offset of the normalized text's first character.
  bool Normalize(std::string_view in, std::string& out) const;

 private:
  std::vector<NormalizerStep> steps_;
};

}  // namespace cappy::tok
