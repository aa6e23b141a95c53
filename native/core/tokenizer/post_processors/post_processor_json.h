// tokenizer.json's `post_processor`, read by its own "type" as HF's
// processors/ reads it. Every refusal names the field.
#pragma once

#include <optional>
#include <string>

#include "cappy/cappy.h"
#include "json/json.h"

namespace cappy::tok::load {

// RobertaProcessing, BertProcessing, TemplateProcessing, ByteLevel (adds
// nothing), a Sequence in which at most one member adds tokens, or null.
// `where` names the field ("post_processor", or a Sequence's member).
PostProcessorSpec ReadPostProcessor(const std::optional<json::Value>& p, const std::string& where);

}  // namespace cappy::tok::load
