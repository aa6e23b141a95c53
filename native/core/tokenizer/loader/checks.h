// What the tokenizer.json readers share: one error type and message prefix
// ("tokenizer.json: <field> must ..."), and the small checks they all make,
// so tokenizer_json.cc, unigram_json.cc and post_processor_json.cc refuse
// malformed files the same way.
#pragma once

#include <string>
#include <string_view>

#include "cappy/cappy.h"
#include "json/json.h"

namespace cappy::tok::load {

// Throws Error(kTokenizer, "tokenizer.json: " + message).
[[noreturn]] void Fail(const std::string& message);

// An optional boolean field: absent or null gives `dflt`; anything else but a boolean fails.
bool OptBool(json::Object o, std::string_view key, const std::string& where, bool dflt);

// The parts of tokenizer.json read by their own files.
void ReadUnigram(json::Object model, TokenizerSpec& spec);
void ReadUnigramPreTokenizer(const std::optional<json::Value>& p, TokenizerSpec& spec);
NormalizerSpec ReadSequenceNormalizer(const std::optional<json::Value>& n);
PostProcessorSpec ReadPostProcessor(const std::optional<json::Value>& p, const std::string& where);

}  // namespace cappy::tok::load
