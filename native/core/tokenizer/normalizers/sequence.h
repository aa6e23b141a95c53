// HF's normalizers that SentencePiece-family files chain in a Sequence:
// Lowercase, Strip, Replace (a literal, or a run of one literal such as the
// regex " {2,}"), Prepend, the Unicode forms NFC/NFD/NFKC/NFKD, Nmt, and
// Precompiled (a SentencePiece charsmap). Each step rewrites the whole text,
// as HF's do, one after the other.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cappy/cappy.h"
#include "tokenizer/normalizers/precompiled.h"

namespace cappy::tok {

class SequenceNormalizer {
 public:
  // Throws Error(kTokenizer) for a Replace with an empty pattern or a
  // charsmap HF would refuse.
  explicit SequenceNormalizer(std::vector<NormalizerStep> steps);

  // Writes the normalized text to `out`. Returns whether the first character
  // of `out` still stems from the first character of `in`: false when a step
  // dropped the text's start (Strip, or Replace with nothing). Metaspace's
  // prepend_scheme "first" reads it, because HF decides "first" by the
  // original offset of the normalized text's first character.
  bool Normalize(std::string_view in, std::string& out) const;

 private:
  std::vector<NormalizerStep> steps_;
  // One parsed charsmap per kPrecompiled step, at the same index (else null).
  std::vector<std::unique_ptr<PrecompiledCharsmap>> charsmaps_;
};

}  // namespace cappy::tok
