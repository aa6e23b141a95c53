// tokenizer.json's `pre_tokenizer`, read by its own "type" as HF's
// pre_tokenizers/ reads it. Every refusal names the field.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cappy/cappy.h"
#include "json/json.h"
#include "tokenizer/stage_names.h"

namespace cappy::tok::load {

// One pre-tokenizer as the file writes it, with its own options.
struct PreTokenizerStep {
  PreTokenizerType type = PreTokenizerType::kByteLevel;
  std::string where;              // its field, for refusals: "pre_tokenizer.pretokenizers[1]"
  bool add_prefix_space = false;  // kByteLevel
  MetaspaceSpec metaspace;        // kMetaspace
};

// Reads the pre-tokenizer: ByteLevel, BertPreTokenizer, Metaspace,
// WhitespaceSplit, or a Sequence of those. Returns the steps in order (one,
// a Sequence's members, none for null or an empty Sequence); a Sequence
// inside a Sequence is refused. Which steps run with which model is the
// pipeline's rule (loader/pipeline.h), not this reader's.
std::vector<PreTokenizerStep> ReadPreTokenizer(const std::optional<json::Value>& p);

}  // namespace cappy::tok::load
