// Every name a tokenizer stage goes by, written once: the `type` strings
// tokenizer.json uses (HF tokenizers' names, which the stage readers look up
// and their refusals quote), and the engine's own names for the pipeline's
// kinds (TokenizerInfo, the bindings). The stage readers, the pipeline check
// and every message naming a type take their names from here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cappy/cappy.h"

namespace cappy::tok {

// What a normalizer object's "type" may say (HF's normalizers).
enum class NormalizerType {
  kBertNormalizer,
  kSequence,
  kLowercase,
  kStrip,
  kReplace,
  kPrepend,
  kNfc,
  kNfd,
  kNfkc,
  kNfkd,
  kNmt,
  kPrecompiled
};
// What a pre-tokenizer object's "type" may say (HF's pre_tokenizers).
enum class PreTokenizerType { kByteLevel, kBertPreTokenizer, kMetaspace, kWhitespaceSplit, kSequence };
// What a post-processor object's "type" may say (HF's processors).
enum class PostProcessorType { kRobertaProcessing, kBertProcessing, kTemplateProcessing, kByteLevel, kSequence };
// A model object's "type" names a cappy::ModelKind directly.

// One row of a name table. Rows are in the enum's order, so a name is found
// by index (checked at compile time below).
template <class E>
struct Named {
  E value;
  const char* name;
};

// ---- tokenizer.json's spellings
inline constexpr Named<ModelKind> kModelTypes[] = {
    {ModelKind::kBpe, "BPE"}, {ModelKind::kWordPiece, "WordPiece"}, {ModelKind::kUnigram, "Unigram"}};
inline constexpr Named<NormalizerType> kNormalizerTypes[] = {{NormalizerType::kBertNormalizer, "BertNormalizer"},
                                                             {NormalizerType::kSequence, "Sequence"},
                                                             {NormalizerType::kLowercase, "Lowercase"},
                                                             {NormalizerType::kStrip, "Strip"},
                                                             {NormalizerType::kReplace, "Replace"},
                                                             {NormalizerType::kPrepend, "Prepend"},
                                                             {NormalizerType::kNfc, "NFC"},
                                                             {NormalizerType::kNfd, "NFD"},
                                                             {NormalizerType::kNfkc, "NFKC"},
                                                             {NormalizerType::kNfkd, "NFKD"},
                                                             {NormalizerType::kNmt, "Nmt"},
                                                             {NormalizerType::kPrecompiled, "Precompiled"}};
inline constexpr Named<PreTokenizerType> kPreTokenizerTypes[] = {
    {PreTokenizerType::kByteLevel, "ByteLevel"},
    {PreTokenizerType::kBertPreTokenizer, "BertPreTokenizer"},
    {PreTokenizerType::kMetaspace, "Metaspace"},
    {PreTokenizerType::kWhitespaceSplit, "WhitespaceSplit"},
    {PreTokenizerType::kSequence, "Sequence"}};
inline constexpr Named<PostProcessorType> kPostProcessorTypes[] = {
    {PostProcessorType::kRobertaProcessing, "RobertaProcessing"},
    {PostProcessorType::kBertProcessing, "BertProcessing"},
    {PostProcessorType::kTemplateProcessing, "TemplateProcessing"},
    {PostProcessorType::kByteLevel, "ByteLevel"},
    {PostProcessorType::kSequence, "Sequence"}};
inline constexpr Named<MetaspaceSpec::Prepend> kPrependSchemes[] = {{MetaspaceSpec::Prepend::kAlways, "always"},
                                                                    {MetaspaceSpec::Prepend::kFirst, "first"},
                                                                    {MetaspaceSpec::Prepend::kNever, "never"}};
inline constexpr Named<TruncationStrategy> kTruncationStrategyTypes[] = {
    {TruncationStrategy::kLongestFirst, "LongestFirst"},
    {TruncationStrategy::kOnlyFirst, "OnlyFirst"},
    {TruncationStrategy::kOnlySecond, "OnlySecond"}};

// ---- the engine's names (ModelKindName and the others in cappy/tokenizer.h)
inline constexpr Named<ModelKind> kModelNames[] = {
    {ModelKind::kBpe, "bpe"}, {ModelKind::kWordPiece, "wordpiece"}, {ModelKind::kUnigram, "unigram"}};
inline constexpr Named<NormalizerSpec::Kind> kNormalizerNames[] = {{NormalizerSpec::Kind::kNone, "none"},
                                                                   {NormalizerSpec::Kind::kBert, "bert"},
                                                                   {NormalizerSpec::Kind::kSequence, "sequence"}};
inline constexpr Named<PreTokenizerKind> kPreTokenizerNames[] = {{PreTokenizerKind::kByteLevel, "byte_level"},
                                                                 {PreTokenizerKind::kBert, "bert"},
                                                                 {PreTokenizerKind::kMetaspace, "metaspace"},
                                                                 {PreTokenizerKind::kNone, "none"}};
inline constexpr Named<PostProcessorSpec::Kind> kPostProcessorNames[] = {
    {PostProcessorSpec::Kind::kNone, "none"},
    {PostProcessorSpec::Kind::kRoberta, "roberta"},
    {PostProcessorSpec::Kind::kBert, "bert"},
    {PostProcessorSpec::Kind::kTemplate, "template"}};
inline constexpr Named<TruncationStrategy> kTruncationStrategyNames[] = {
    {TruncationStrategy::kLongestFirst, "longest_first"},
    {TruncationStrategy::kOnlyFirst, "only_first"},
    {TruncationStrategy::kOnlySecond, "only_second"}};

template <class E, size_t N>
constexpr bool InEnumOrder(const Named<E> (&table)[N]) {
  for (size_t i = 0; i < N; i++) {
    if (static_cast<size_t>(table[i].value) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(kModelTypes) && InEnumOrder(kNormalizerTypes) && InEnumOrder(kPreTokenizerTypes) &&
                  InEnumOrder(kPostProcessorTypes) && InEnumOrder(kPrependSchemes) &&
                  InEnumOrder(kTruncationStrategyTypes),
              "tokenizer.json name tables must list their enum's values in order");
static_assert(InEnumOrder(kModelNames) && InEnumOrder(kNormalizerNames) && InEnumOrder(kPreTokenizerNames) &&
                  InEnumOrder(kPostProcessorNames) && InEnumOrder(kTruncationStrategyNames),
              "engine name tables must list their enum's values in order");

// The name of `value` in `table` ("?" for a value past its end, which a cast from a bad integer gives).
template <class E, size_t N>
constexpr const char* NameIn(const Named<E> (&table)[N], E value) noexcept {
  const size_t i = static_cast<size_t>(value);
  return i < N ? table[i].name : "?";
}

// The value named `name` in `table`, if any (names are case-sensitive, as in HF).
template <class E, size_t N>
std::optional<E> FindIn(const Named<E> (&table)[N], std::string_view name) noexcept {
  for (const Named<E>& row : table) {
    if (name == row.name) return row.value;
  }
  return std::nullopt;
}

// Every name of `table` quoted, for refusals: "\"A\", \"B\" or \"C\"".
template <class E, size_t N>
std::string Listed(const Named<E> (&table)[N]) {
  std::string out;
  for (size_t i = 0; i < N; i++) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += '"';
    out += table[i].name;
    out += '"';
  }
  return out;
}

// tokenizer.json's name of a type, for messages: TypeName(ModelKind::kUnigram) is "Unigram".
constexpr const char* TypeName(ModelKind v) noexcept { return NameIn(kModelTypes, v); }
constexpr const char* TypeName(NormalizerType v) noexcept { return NameIn(kNormalizerTypes, v); }
constexpr const char* TypeName(PreTokenizerType v) noexcept { return NameIn(kPreTokenizerTypes, v); }
constexpr const char* TypeName(PostProcessorType v) noexcept { return NameIn(kPostProcessorTypes, v); }

}  // namespace cappy::tok
