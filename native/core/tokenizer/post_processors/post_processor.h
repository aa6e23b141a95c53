// RobertaProcessing: `<s> A </s>` and `<s> A </s></s> B </s>`; BERT:
// `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`; TemplateProcessing: any
// order of special ids around $A (and $B), e.g. XLM-R's and T5's.
#pragma once

#include <cstdint>
#include <vector>

#include "cappy/cappy.h"

namespace cappy::tok {

// Throws Error(kTokenizer) unless the single template holds $A once and no
// $B, and the pair template (when there is one) $A and $B once each.
void CheckTemplate(const PostProcessorSpec& spec);

// How many special tokens the processor adds (truncation leaves room for them).
uint32_t AddedTokenCount(const PostProcessorSpec& spec, bool pair);

// Appends the processed ids of one encoding (and its pair, when non-null).
void ApplyPostProcessor(const PostProcessorSpec& spec, const std::vector<int32_t>& first,
                        const std::vector<int32_t>* second, std::vector<int32_t>& out);

}  // namespace cappy::tok
