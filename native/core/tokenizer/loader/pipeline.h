// Which stages the engine runs together. HF tokenizers runs any combination;
// the engine reproduces these, per model (docs/tokenizer.md):
//   BPE (byte-level)  no normalizer               ByteLevel
//   WordPiece         none or BertNormalizer      BertPreTokenizer
//   Unigram           none or the Sequence kinds  none, Metaspace, [WhitespaceSplit, Metaspace]
// Each stage's reader reads its own JSON by its own type; these checks then
// refuse, naming the field, a stage the model's pipeline does not run.
#pragma once

#include <optional>
#include <vector>

#include "cappy/cappy.h"
#include "tokenizer/pre_tokenizers/pre_tokenizer_json.h"
#include "tokenizer/stage_names.h"

namespace cappy::tok::load {

// Refuses a normalizer (its type as the file wrote it; nullopt: none) the model's pipeline does not run.
void CheckNormalizer(ModelKind model, std::optional<NormalizerType> normalizer);

// Sets spec.pre_tokenizer and its options (add_prefix_space, metaspace) from
// the pre-tokenizer steps read, or refuses steps the model's pipeline does not run.
void SetPreTokenizer(const std::vector<PreTokenizerStep>& steps, TokenizerSpec& spec);

}  // namespace cappy::tok::load
