// tokenizer.json's `normalizer`, read by its own "type" as HF's normalizers/
// reads it. Every refusal names the field.
#pragma once

#include <optional>

#include "cappy/cappy.h"
#include "json/json.h"
#include "tokenizer/stage_names.h"

namespace cappy::tok::load {

// Reads the normalizer into `out`: BertNormalizer, or any nesting of Sequence
// over Lowercase, Strip, Replace, Prepend, NFC, NFD, NFKC, NFKD, Nmt and
// Precompiled, flattened into one list of steps (an empty Sequence is no
// normalizer). Returns the type the file wrote, nullopt for none or null:
// which normalizer runs with which model is the pipeline's rule
// (loader/pipeline.h), not this reader's.
std::optional<NormalizerType> ReadNormalizer(const std::optional<json::Value>& n, NormalizerSpec& out);

}  // namespace cappy::tok::load
