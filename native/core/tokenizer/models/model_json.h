// tokenizer.json's `model`, read by its own "type" as HF's models/ reads it:
// BPE, WordPiece and Unigram each read their own fields here, and every
// refusal names the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cappy/cappy.h"
#include "json/json.h"

namespace cappy::tok::load {

// token -> id as HF's model sees it (a repeated token keeps its last id).
using TokenIds = std::unordered_map<std::string_view, int32_t>;

// Reads `model` by its "type" (none: BPE, which HF infers for older files)
// into spec: the model kind, vocab, merges or scores, unk id and options.
// Returns every token's id where the vocab is a map (BPE, WordPiece), which
// the reader indexes anyway; nullopt where it is a list (Unigram: ids are
// positions), for which IdsOf looks up the few tokens the file names. The
// views point into the JSON document.
std::optional<TokenIds> ReadModel(json::Object model, TokenizerSpec& spec);

// The ids of `names` in spec's vocab (a repeated token's last); names not in it are left out.
TokenIds IdsOf(const TokenizerSpec& spec, const std::vector<std::string_view>& names);

// The token the vocab is searched for when `padding` sets no pad_id.
std::string_view DefaultPadToken(ModelKind model);

}  // namespace cappy::tok::load
