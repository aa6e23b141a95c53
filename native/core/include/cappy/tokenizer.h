// cappy-engine core: tokenizer.json -> TokenizerSpec -> Tokenizer (part of cappy/cappy.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cappy/error.h"

namespace cappy {

// ---------------------------------------------------------------- tokenize
// Everything a tokenizer needs, as read from tokenizer.json by
// ParseTokenizerJson (below); tests and the fuzzer also build specs directly.
struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool lstrip = false;       // absorb whitespace to the left into the match
  bool rstrip = false;       // absorb whitespace to the right into the match
  bool single_word = false;  // only match when not inside a word
  bool normalized = false;
};

enum class TruncationStrategy { kLongestFirst, kOnlyFirst, kOnlySecond };
// "longest_first", "only_first", "only_second".
const char* TruncationStrategyName(TruncationStrategy strategy) noexcept;
// The inverse of TruncationStrategyName; nullopt for any other text.
std::optional<TruncationStrategy> ParseTruncationStrategy(std::string_view name) noexcept;

struct Truncation {
  bool enabled = false;
  uint32_t max_length = 0;  // includes the special tokens the template adds
  TruncationStrategy strategy = TruncationStrategy::kLongestFirst;
};

// RobertaProcessing: single = cls A sep; pair = cls A sep sep B sep.
// kBert (BertProcessing or BERT's template): single = cls A sep; pair =
// cls A sep B sep. kTemplate: any TemplateProcessing, as the id lists below.
// kNone adds nothing.
struct PostProcessorSpec {
  enum class Kind { kNone, kRoberta, kBert, kTemplate };
  Kind kind = Kind::kNone;
  std::string cls = "<s>";
  int32_t cls_id = 0;
  std::string sep = "</s>";
  int32_t sep_id = 2;
  // Type id of the second text and the special tokens after the first text's
  // closing separator (HF's BERT template and BertProcessing: 1). Everything
  // before is type 0; RoBERTa's files give 0, so its rows are all zeros.
  int32_t pair_type_id = 0;
  // kTemplate: the ids in order, kSequenceA / kSequenceB standing for the
  // text's own ids (type ids are not returned, so they are not kept).
  static constexpr int32_t kSequenceA = -1;
  static constexpr int32_t kSequenceB = -2;
  std::vector<int32_t> single;
  std::vector<int32_t> pair;
};

// Which model turns pre-tokens into ids.
enum class ModelKind {
  kBpe,        // byte-level BPE (GPT-2, RoBERTa): vocab + merges
  kWordPiece,  // greedy longest-match-first (BERT): vocab + unk_id
  kUnigram,    // SentencePiece Viterbi (XLM-R, T5): vocab + scores, id = index
};

// One step of a normalizer Sequence (HF's normalizers of those names).
struct NormalizerStep {
  enum class Kind { kLowercase, kStrip, kReplace, kPrepend, kNfc, kNfd, kNfkc, kNfkd, kNmt, kPrecompiled };
  Kind kind = Kind::kLowercase;
  bool strip_left = true;   // kStrip
  bool strip_right = true;  // kStrip
  std::string pattern;      // kReplace: the literal text to find (not empty)
  std::string content;      // kReplace: its replacement; kPrepend: the prefix
  // kReplace: 0 replaces each occurrence of `pattern`; n >= 1 replaces each
  // run of n or more back-to-back occurrences as one (a regex like " {2,}").
  uint32_t min_repeat = 0;
  std::string charsmap;  // kPrecompiled: SentencePiece's precompiled_charsmap bytes
};

// HF's BertNormalizer, or a sequence of steps; kNone leaves the text as it is.
struct NormalizerSpec {
  enum class Kind { kNone, kBert, kSequence };
  Kind kind = Kind::kNone;
  bool clean_text = true;            // drop controls, map White_Space to ' '
  bool handle_chinese_chars = true;  // put spaces around CJK ideographs
  bool strip_accents = true;         // NFD, then drop nonspacing marks
  bool lowercase = true;
  std::vector<NormalizerStep> steps;  // kSequence, applied in order
};

enum class PreTokenizerKind {
  kByteLevel,  // GPT-2 regex split + byte-to-stand-in map (BPE)
  kBert,       // split on whitespace, isolate punctuation (WordPiece)
  kMetaspace,  // ' ' -> '▁', optional prefix, split before each '▁' (Unigram)
  kNone,       // the whole normalized text is one piece
};

// HF's Metaspace pre-tokenizer.
struct MetaspaceSpec {
  enum class Prepend { kAlways, kFirst, kNever };
  std::string replacement = "\xE2\x96\x81";  // U+2581, one character
  Prepend prepend_scheme = Prepend::kAlways;
  bool split = true;
  // T5's [WhitespaceSplit, Metaspace]: split on White_Space first (dropping
  // it), then run Metaspace on each word.
  bool whitespace_split = false;
};

struct TokenizerSpec {
  ModelKind model = ModelKind::kBpe;
  NormalizerSpec normalizer;
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::kByteLevel;
  // WordPiece: prefix of tokens that continue a word, and the longest word
  // (in characters) encoded before the whole word becomes unk.
  std::string continuing_subword_prefix = "##";
  uint32_t max_input_chars_per_word = 100;
  // Unigram: scores[i] is vocab[i]'s log-probability (vocab_ids[i] must be
  // i); byte_fallback spells pieces missing from the vocab as <0xNN> tokens.
  std::vector<double> scores;
  bool byte_fallback = false;
  MetaspaceSpec metaspace;
  // vocab[i] has id vocab_ids[i]. Ids need not be dense or ordered.
  std::vector<std::string> vocab;
  std::vector<int32_t> vocab_ids;
  // merges[k] = (left, right) has rank k: lower rank merges first.
  std::vector<std::string> merges_left;
  std::vector<std::string> merges_right;
  std::vector<AddedToken> added_tokens;
  bool add_prefix_space = false;  // ByteLevel pre-tokenizer option
  int32_t unk_id = -1;            // -1: no unk token (byte-level never needs it; WordPiece must have one;
                                  // Unigram without one fails on a character no piece covers, as HF does)
  int32_t pad_id = 1;
  PostProcessorSpec post_processor;
  Truncation truncation;
};

// One input to encode: a single text, or a pair when has_second is set.
struct TextInput {
  std::string first;
  std::string second;
  bool has_second = false;
};

// ---------------------------------------------------------------- load: tokenizer.json
// tokenizer.json -> spec: every model, normalizer, pre-tokenizer and
// post-processor the tokenizer reproduces exactly (docs/tokenizer.md), and a
// refusal naming the field for anything else. The file's own `truncation`
// lands in spec.truncation. Throws Error(kTokenizer) with
// "tokenizer.json: <field> must ..." or "tokenizer.json is not valid JSON: ...".
TokenizerSpec ParseTokenizerJson(std::string_view json);
// The same from a file; Error(kTokenizer, "cannot read <path>: <reason>") when it cannot be read.
TokenizerSpec ReadTokenizerJson(const std::string& path);

// A caller's truncation over the file's.
struct TokenizerOptions {
  // Longest encoding, special tokens included. 0: the file's truncation
  // max_length, or no truncation when the file sets none.
  uint32_t max_length = 0;
  // Unset: the file's strategy, else longest_first.
  std::optional<TruncationStrategy> strategy;
};

// Applies `options` to spec.truncation. Throws Error(kInvalidInput) when a
// strategy is asked for and neither the options nor the file give a length.
void ApplyTokenizerOptions(const TokenizerOptions& options, TokenizerSpec& spec);

// What a loaded tokenizer is, for `info` surfaces and tests.
struct TokenizerInfo {
  ModelKind model = ModelKind::kBpe;
  NormalizerSpec::Kind normalizer = NormalizerSpec::Kind::kNone;
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::kByteLevel;
  PostProcessorSpec::Kind post_processor = PostProcessorSpec::Kind::kNone;
  int32_t pair_type_id = 0;
  int32_t pad_id = 1;
  size_t vocab_size = 0;  // max id + 1 over vocab, added tokens and template ids
  Truncation truncation;  // in force
};

// The names `info` surfaces give each kind: "bpe", "wordpiece", "unigram";
// "none", "bert", "sequence"; "byte_level", "bert", "metaspace", "none";
// "none", "roberta", "bert", "template". One table in the core holds them
// beside tokenizer.json's own spellings (tokenizer/stage_names.h).
const char* ModelKindName(ModelKind kind) noexcept;
const char* NormalizerKindName(NormalizerSpec::Kind kind) noexcept;
const char* PreTokenizerKindName(PreTokenizerKind kind) noexcept;
const char* PostProcessorKindName(PostProcessorSpec::Kind kind) noexcept;

class Tokenizer {
 public:
  // tokenizer.json text or file -> Tokenizer (ParseTokenizerJson or
  // ReadTokenizerJson, ApplyTokenizerOptions, then the constructor).
  static std::unique_ptr<Tokenizer> FromJson(std::string_view json, const TokenizerOptions& options = {});
  static std::unique_ptr<Tokenizer> FromFile(const std::string& path, const TokenizerOptions& options = {});

  // Throws Error(kTokenizer) when the spec is inconsistent (a merge whose
  // parts or result are not in the vocab, duplicate ids, ...).
  explicit Tokenizer(const TokenizerSpec& spec);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Encodes UTF-8 text (invalid UTF-8 must already be replaced by U+FFFD;
  // the binding guarantees it). `second` may be null for a single input.
  // Appends ids, post-processed and truncated per the spec, to `out`.
  // Throws Error(kTokenizer) when only_first/only_second cannot fit.
  // Thread-safe: many threads may encode with one Tokenizer at once.
  // `second_start`, when non-null, receives the index in `out` (counted from
  // its size on entry) where pair_type_id begins: the type ids are 0 before
  // it and pair_type_id from it on (the length of the encoding when there is
  // no pair).
  void Encode(std::string_view first, const std::string_view* second, std::vector<int32_t>& out,
              uint32_t* second_start = nullptr) const;

  // Encodes every input on up to `threads` threads (0 = hardware count).
  // out[i] holds the ids of inputs[i]. On failure throws the error of the
  // lowest failing index, with the index in the message. `second_starts`,
  // when non-null, gets each input's second_start (see Encode).
  void EncodeBatch(const std::vector<TextInput>& inputs, unsigned threads, std::vector<std::vector<int32_t>>& out,
                   std::vector<uint32_t>* second_starts = nullptr) const;

  int32_t pad_id() const noexcept;
  int32_t pair_type_id() const noexcept;
  const Truncation& truncation() const noexcept;
  size_t vocab_size() const noexcept;  // max id + 1 over vocab and added tokens
  TokenizerInfo info() const;
  // The normalizer alone on the whole text (added tokens are not split out),
  // as HF's normalizer.normalize_str: for inspecting what the model sees.
  std::string Normalize(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cappy
