// HF's BertNormalizer, over the generated Unicode tables
// (which carry the few code points where HF's own Rust crates disagree with
// today's Unicode; see scripts/gen-unicode-tables.mjs).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cappy/cappy.h"

namespace cappy::tok {

class BertNormalizer {
 public:
  explicit BertNormalizer(const NormalizerSpec& spec);

  // Writes the normalized text to `out` (cleared first). HF runs four passes
  // (clean, chinese, strip accents, lowercase); each maps one character to
  // characters independently, so one fused pass per character is the same.
  // One difference is deliberate: NFD's canonical reordering is skipped, as
  // every reorderable mark that survives to matter is removed with the Mn.
  void Normalize(std::string_view in, std::string& out) const;

 private:
  void Emit(uint32_t cp, std::string& out) const;  // strip + lowercase one char
  bool clean_text_;
  bool chinese_;
  bool strip_accents_;
  bool lowercase_;
};

}  // namespace cappy::tok
