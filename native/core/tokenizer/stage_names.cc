// The public name functions of cappy/tokenizer.h, over the one name table.
#include "tokenizer/stage_names.h"

namespace cappy {

const char* ModelKindName(ModelKind kind) noexcept { return tok::NameIn(tok::kModelNames, kind); }
const char* NormalizerKindName(NormalizerSpec::Kind kind) noexcept { return tok::NameIn(tok::kNormalizerNames, kind); }
const char* PreTokenizerKindName(PreTokenizerKind kind) noexcept { return tok::NameIn(tok::kPreTokenizerNames, kind); }
const char* PostProcessorKindName(PostProcessorSpec::Kind kind) noexcept {
  return tok::NameIn(tok::kPostProcessorNames, kind);
}

const char* TruncationStrategyName(TruncationStrategy strategy) noexcept {
  return tok::NameIn(tok::kTruncationStrategyNames, strategy);
}

std::optional<TruncationStrategy> ParseTruncationStrategy(std::string_view name) noexcept {
  return tok::FindIn(tok::kTruncationStrategyNames, name);
}

}  // namespace cappy
