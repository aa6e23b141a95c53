// cappy-engine core: the one public header.
//
// The core is plain C++17 with no Node-API dependency, so a larger native
// system can link libcappy_core.a and score pairs directly. The Node addon in
// native/node is a thin binding over exactly these classes.
//
// Pipeline: load (OpenModelFolder reads config.json and picks the ONNX file;
// Tokenizer::FromFile reads tokenizer.json) -> tokenize (Tokenizer) -> plan
// (PlanBatches) -> run (Session, behind the BatchRunner seam) -> collect
// (Scorer scatters scores back into input order).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct OrtApiBase;
struct OrtEnv;

namespace cappy {

// ---------------------------------------------------------------- errors
// Codes match the TypeScript error family (lib/errors): the binding maps each
// code to one JS error class, so messages never need parsing.
enum class ErrorCode {
  kInvalidInput,  // a caller passed something the API cannot take
  kTokenizer,     // tokenizer spec invalid, or truncation cannot fit an input
  kModelLoad,     // ORT library or model file missing/corrupt/incompatible
  kRuntime,       // ORT failed while running a batch
  kCancelled,     // a cancellation flag was raised before the work ran
  kDeviceUnavailable,  // the asked-for execution provider, its libraries or its GPU are missing
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

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
  void Encode(std::string_view first, const std::string_view* second,
              std::vector<int32_t>& out, uint32_t* second_start = nullptr) const;

  // Encodes every input on up to `threads` threads (0 = hardware count).
  // out[i] holds the ids of inputs[i]. On failure throws the error of the
  // lowest failing index, with the index in the message. `second_starts`,
  // when non-null, gets each input's second_start (see Encode).
  void EncodeBatch(const std::vector<TextInput>& inputs, unsigned threads,
                   std::vector<std::vector<int32_t>>& out,
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

// ---------------------------------------------------------------- load: model folder
// A model folder is the HF layout transformers.js also reads: config.json,
// tokenizer.json, onnx/model.onnx, and onnx/model_fp16.onnx,
// onnx/model_int8.onnx (or transformers.js's onnx/model_quantized.onnx) when
// made. Finding a folder from a hub id, and the cache, stay with the caller.
enum class ModelDType { kFp32, kFp16, kInt8 };
const char* ModelDTypeName(ModelDType dtype) noexcept;  // "fp32", "fp16", "int8"
// "fp32", "fp16" or "int8" -> the dtype; nullopt for anything else.
std::optional<ModelDType> ParseModelDType(std::string_view name) noexcept;

// What the engine reads from config.json.
struct ModelConfig {
  std::string model_type;  // "" when the file has none
  std::vector<std::string> architectures;
  uint32_t max_position_embeddings = 0;  // 0 when the file has none
  std::optional<int64_t> pad_token_id;
  // The longest encoding, special tokens included, the position table takes:
  // RoBERTa-family positions (roberta, xlm-roberta, camembert) start after
  // pad_token_id (514 rows: 512 tokens); BERT's at 0. 0 when unknown.
  uint32_t position_limit = 0;
  // `cappy_forged`: the weights are random (made by `cappy forge`), and every
  // surface that reports scores must say so.
  bool forged = false;
  std::string forged_preset;  // "unknown" when the label has none
  int64_t forged_seed = 0;
  std::string forged_note;    // "random weights, not Cappy" when the label has none
};

// config.json text -> ModelConfig. Throws Error(kModelLoad) "<what> is not
// valid JSON: ..." or "<what> must be a JSON object".
ModelConfig ParseConfigJson(std::string_view json, const std::string& what = "config.json");

// Which graph to load.
struct ModelSelection {
  // A file by name, relative to the folder (or absolute); wins over dtype.
  std::string onnx_file;
  // Unset: fp32.
  std::optional<ModelDType> dtype;
  // The best graph the folder has: int8, fp32, fp16 on the CPU (int8 runs on
  // integer units; ORT's x86 fp16 MatMul goes through casts); fp16, fp32,
  // int8 with `gpu` (tensor cores; int8 has no CUDA kernel). Wins over dtype.
  bool auto_dtype = false;
  bool gpu = false;
};

struct ModelFolder {
  std::string dir;  // absolute
  std::string onnx_path;
  std::string tokenizer_path;
  std::optional<ModelConfig> config;  // config.json is optional
  // The chosen graph's number format; unset for an onnx_file whose name does not say.
  std::optional<ModelDType> dtype;
  std::string dtype_choice;  // why this file, e.g. "auto on cpu: int8 (also here: fp32)"
  std::vector<ModelDType> dtypes_present;
};

// Reads a folder: which ONNX file, config.json, tokenizer.json's path.
// Throws Error(kModelLoad) naming what is missing: the folder, tokenizer.json,
// a graph for the dtype (listing those present), or a readable config.json.
ModelFolder OpenModelFolder(const std::string& dir, const ModelSelection& selection = {});

// ---------------------------------------------------------------- plan
struct PlanOptions {
  uint32_t max_batch_tokens = 16384;  // padded length x rows, per batch
  uint32_t max_batch_size = 64;       // rows per batch
  uint32_t pad_multiple = 8;          // padded length rounds up to this
  uint32_t sort_window = 0;           // 0: sort the whole call by length
};

struct Batch {
  std::vector<uint32_t> rows;  // indices into the caller's items
  uint32_t padded_length = 0;
};

// Groups items of similar length so little compute is spent on padding.
// Every index 0..lengths.size()-1 appears in exactly one batch.
std::vector<Batch> PlanBatches(const std::vector<uint32_t>& lengths,
                               const PlanOptions& options);

// ---------------------------------------------------------------- run
// How a session runs: which execution provider, and how batches reach it.
// TypeScript (lib/scorer/options.ts, lib/runtime/) resolves every field, so
// the core only checks what needs ORT to check.
struct SessionOptions {
  std::string ort_library_path;  // libonnxruntime.so to dlopen
  // How: "path" (dlopen that file) or "reuse" (an ORT already loaded, if new
  // enough). See native/core/session/ort_runtime.h.
  std::string ort_link = "path";
  // A host's own ORT (its OrtGetApiBase(), and its OrtEnv or null): wins over
  // ort_library_path; ort_link becomes "host". See ort::AdoptRuntime.
  const OrtApiBase* ort_api_base = nullptr;
  OrtEnv* ort_env = nullptr;
  std::string model_path;        // model.onnx (external data beside it)
  int intra_op_threads = 0;      // 0: ORT's default
  // "cpu", "cuda" (plugin EP from ep_library_path, registered on the shared
  // env) or "tensorrt" (ORT's provider bridge: libonnxruntime_providers_tensorrt.so
  // beside the ORT library, with CUDA as its fallback for unsupported nodes).
  std::string execution_provider = "cpu";
  int device_id = 0;             // CUDA ordinal
  std::string ep_library_path;   // cuda: libonnxruntime_providers_cuda.so
  // Extra options handed to the GPU provider as given (e.g. use_tf32=0 for
  // exact fp32 on CUDA); they win over cappy's own TensorRT settings.
  std::vector<std::pair<std::string, std::string>> provider_options;
  // Bind inputs and outputs with an OrtIoBinding. Input buffers come from the
  // EP's pinned host allocator when it has one (CPU memory otherwise) and are
  // reused across batches.
  bool io_binding = false;
  // Stage inputs in the EP's pinned host memory when it has some; off keeps
  // them in plain host memory (to rule pinned memory out when debugging).
  bool pinned_buffers = true;
  // Batches run at once by one Score call. 2 on a GPU: one batch's copies and
  // host-side filling overlap the other's compute. 1 on CPU, where ORT's
  // intra-op pool already uses every core.
  unsigned batches_in_flight = 1;
  // TensorRT: engine cache folder and the one optimization profile, as
  // [rows, tokens] for input_ids and attention_mask, so engines are built once
  // for the whole shape range instead of per new shape.
  std::string trt_cache_dir;
  bool trt_fp16 = false;
  uint32_t trt_min_shape[2] = {1, 8};
  uint32_t trt_opt_shape[2] = {16, 128};
  uint32_t trt_max_shape[2] = {64, 512};
};

struct TensorInfo {
  std::string name;
  std::string element_type;  // "int64", "int32", "float32", "float16"
  std::vector<int64_t> shape;  // -1 for dynamic axes
};

struct SessionInfo {
  std::string ort_version;
  std::string ort_library_path;
  std::string ort_loaded_path;  // the file whose code runs
  std::string ort_link;         // "path", "reuse" or "host"
  std::string execution_provider;  // "cpu", "cuda", "tensorrt"
  int device_id = 0;
  bool io_binding = false;
  bool pinned_buffers = false;  // inputs staged in the EP's pinned host memory
  unsigned batches_in_flight = 1;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
};

// What the engine runs batches through: the ORT Session, or a fake in the
// core's tests (native/test/scorer_test.cc), so the collect stage is tested
// without ORT.
class BatchRunner {
 public:
  virtual ~BatchRunner() = default;
  // One batch of unpadded token rows -> one score per row (see Session::RunRows).
  // Must be thread-safe when batches_in_flight() > 1.
  virtual std::vector<float> RunRows(const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len,
                                     int32_t pad_id, const std::vector<uint32_t>* second_starts,
                                     int32_t pair_type) const = 0;
  // Whether rows need second_starts (the graph takes token_type_ids).
  virtual bool takes_type_ids() const noexcept = 0;
  // Batches one Score call runs at once.
  virtual unsigned batches_in_flight() const noexcept = 0;
};

class Session : public BatchRunner {
 public:
  // Loads ORT from options.ort_library_path (once per path per process) and
  // opens the model. Throws Error(kModelLoad) with a message naming what is
  // missing or wrong (no such file, not ONNX, wrong input names, ...).
  explicit Session(const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one padded batch: ids and mask are row-major [rows, seq_len].
  // Returns logits[:, 0] for every row. Thread-safe.
  std::vector<float> Run(const std::vector<int64_t>& ids,
                         const std::vector<int64_t>& mask, uint32_t rows,
                         uint32_t seq_len) const;
  // The same, with segment ids for a graph that takes token_type_ids (BERT).
  // `type_ids` null or a graph without that input: zeros / nothing is fed.
  std::vector<float> Run(const std::vector<int64_t>& ids,
                         const std::vector<int64_t>& mask,
                         const std::vector<int64_t>* type_ids, uint32_t rows,
                         uint32_t seq_len) const;

  // Whether the graph has a token_type_ids input (callers skip building it otherwise).
  bool takes_type_ids() const noexcept override;
  unsigned batches_in_flight() const noexcept override { return info().batches_in_flight; }

  // Runs one batch given as unpadded token rows: ids and mask are written
  // straight into the session's reusable input buffers (pinned on a GPU), in
  // the element type the model takes, padded to seq_len with pad_id.
  // `second_starts` (one per row, or null) marks where each row's second
  // segment begins: token_type_ids are 0 before it and on padding, and
  // `pair_type` from it to the row's end. Null, or a graph without
  // token_type_ids: zeros / nothing. Thread-safe; concurrent calls use
  // separate buffers.
  std::vector<float> RunRows(const std::vector<const std::vector<int32_t>*>& rows,
                             uint32_t seq_len, int32_t pad_id,
                             const std::vector<uint32_t>* second_starts = nullptr,
                             int32_t pair_type = 0) const override;

  const SessionInfo& info() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Loads a shared library by soname or path and keeps it loaded; returns ""
// or the loader's error. Used to check an EP library's dependencies (and to
// load them from folders not on LD_LIBRARY_PATH) before ORT dlopens the EP.
std::string LoadSharedLibrary(const std::string& name_or_path);

// ---------------------------------------------------------------- collect
struct ScoreStats {
  uint64_t real_tokens = 0;      // tokens the inputs really have
  uint64_t computed_tokens = 0;  // padded tokens the model ran over
  uint64_t batches = 0;
  double tokenize_ms = 0;
  double run_ms = 0;
};

struct ScorerOptions {
  PlanOptions plan;
  unsigned tokenizer_threads = 0;  // 0: hardware count
};

// Tokenize -> plan -> run -> collect for one call.
class Scorer {
 public:
  // `runner` is the Session in production.
  Scorer(std::shared_ptr<const Tokenizer> tokenizer,
         std::shared_ptr<const BatchRunner> runner, ScorerOptions options);

  // Scores every (first, second) pair and returns scores in input order.
  // `cancelled`, when non-null, is polled between batches: once set, the
  // call throws Error(kCancelled) without running the batches left.
  std::vector<float> Score(const std::vector<TextInput>& inputs,
                           const std::atomic<bool>* cancelled,
                           ScoreStats* stats) const;

  const Tokenizer& tokenizer() const noexcept { return *tokenizer_; }

 private:
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::shared_ptr<const BatchRunner> runner_;
  ScorerOptions options_;
};

}  // namespace cappy
