// RobertaProcessing: `<s> A </s>` and `<s> A </s></s> B </s>`; BERT:
// `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`.
#pragma once

#include <cstdint>
#include <vector>

#include "cappy/cappy.h"

namespace cappy::tok {

// How many special tokens the processor adds (truncation leaves room for them).
uint32_t AddedTokenCount(const PostProcessorSpec& spec, bool pair);

// Appends the processed ids of one encoding (and its pair, when non-null).
void ApplyPostProcessor(const PostProcessorSpec& spec, const std::vector<int32_t>& first,
                        const std::vector<int32_t>* second, std::vector<int32_t>& out);

}  // namespace cappy::tok
