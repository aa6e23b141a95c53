// libFuzzer target for cappy::Tokenizer and its tokenizer.json loader, built
// with ASan and UBSan (scripts/fuzz.sh). Feeds arbitrary bytes, invalid UTF-8
// included, which is more than the contract asks (the binding replaces invalid
// UTF-8 first), so the scanner, the added-token matcher, BPE and truncation
// must never read out of bounds whatever arrives.
//
// The vocabulary: the full RoBERTa tokenizer.json when CAPPY_FUZZ_SPEC names
// one (native/fuzz/make-spec.ts writes it), read by the core's own loader;
// else a small built-in byte-level BPE.
//
// Eighteen configurations: eight byte-level BPE (the vocabulary above), two
// WordPiece with the BERT normalizer, six Unigram (small built-in
// vocabularies) with Metaspace, normalizer sequences (Precompiled with the
// NFKC-shaped charsmap make-spec.ts writes beside the file, Nmt, Replace
// runs), T5's whitespace split, byte fallback, no unk, templates and each
// truncation strategy; one whose Precompiled charsmap is the input's own
// first bytes, so the darts-trie reader meets arbitrary blobs; and one whose
// input is a whole tokenizer.json, so the loader meets arbitrary JSON (seeds:
// small files of each model family, written by make-spec.ts).
// Input layout: byte 0 picks the configuration and whether the rest is split
// into a pair (at the first 0xFF byte); the rest is the text.
// Checked invariants, beyond "no crash, no sanitizer report":
//   - the loader and the tokenizer fail only with kTokenizer errors;
//   - encoding is deterministic (a second call, now served by the word
//     cache, gives the same ids);
//   - truncation never exceeds max_length;
//   - EncodeBatch on two threads gives what Encode gives.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cappy/cappy.h"

namespace {

// A small byte-level vocabulary: the GPT-2 stand-ins for all 256 bytes, plus
// a few merges, so merging paths (short and long words) are exercised.
void BuiltinSpec(cappy::TokenizerSpec& spec) {
  auto stand_in = [](int b) -> std::string {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    static int next_map[256];
    static bool init = false;
    if (!init) {
      int n = 0x100;
      for (int k = 0; k < 256; k++) {
        const bool p = (k >= 0x21 && k <= 0x7E) || (k >= 0xA1 && k <= 0xAC) || (k >= 0xAE && k <= 0xFF);
        next_map[k] = p ? k : n++;
      }
      init = true;
    }
    const uint32_t cp = printable ? static_cast<uint32_t>(b) : static_cast<uint32_t>(next_map[b]);
    std::string s;
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return s;
  };
  int32_t id = 0;
  for (int b = 0; b < 256; b++) {
    spec.vocab.push_back(stand_in(b));
    spec.vocab_ids.push_back(id++);
  }
  const char* merges[][2] = {{"a", "a"},        {"aa", "aa"},        {"t", "h"}, {"th", "e"},
                             {"\xC4\xA0", "t"}, {"\xC4\xA0t", "he"}, {"h", "e"}, {"e", "r"}};
  for (auto& m : merges) {
    spec.merges_left.push_back(m[0]);
    spec.merges_right.push_back(m[1]);
    const std::string merged = std::string(m[0]) + m[1];
    bool have = false;
    for (const auto& v : spec.vocab) have = have || v == merged;
    if (!have) {
      spec.vocab.push_back(merged);
      spec.vocab_ids.push_back(id++);
    }
  }
  spec.added_tokens.push_back({"<s>", id++, true, false, false, false, true});
  spec.added_tokens.push_back({"</s>", id++, true, false, false, false, true});
  spec.added_tokens.push_back({"<mask>", id++, true, true, false, false, false});
  spec.added_tokens.push_back({"word", id++, false, false, true, true, true});
}

// A small BERT WordPiece vocabulary: letters alone and as "##" pieces, a few
// words and pieces, CJK and accented characters, and the BERT specials.
void WordPieceSpec(cappy::TokenizerSpec& spec, bool lowercase) {
  spec.model = cappy::ModelKind::kWordPiece;
  spec.pre_tokenizer = cappy::PreTokenizerKind::kBert;
  spec.normalizer.kind = cappy::NormalizerSpec::Kind::kBert;
  spec.normalizer.lowercase = lowercase;
  spec.normalizer.strip_accents = lowercase;
  spec.max_input_chars_per_word = 20;
  std::vector<std::string> tokens = {"[PAD]",      "[UNK]", "[CLS]", "[SEP]", "[MASK]",       "the",
                                     "##ing",      "hello", "##ll",  "##lo",  "\xE4\xB8\xAD", "\xC3\xA9",
                                     "##\xC3\xA9", "!",     ".",     "'",     "un",           "##able"};
  for (char c = 'a'; c <= 'z'; c++) {
    tokens.push_back(std::string(1, c));
    tokens.push_back("##" + std::string(1, c));
    if (!lowercase) tokens.push_back(std::string(1, static_cast<char>(c - 32)));
  }
  for (size_t i = 0; i < tokens.size(); i++) {
    spec.vocab.push_back(tokens[i]);
    spec.vocab_ids.push_back(static_cast<int32_t>(i));
  }
  spec.unk_id = 1;
  spec.pad_id = 0;
  spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kBert;
  spec.post_processor.cls_id = 2;
  spec.post_processor.sep_id = 3;
  spec.added_tokens.push_back({"[CLS]", 2, true, false, false, false, false});
  spec.added_tokens.push_back({"[SEP]", 3, true, false, false, false, false});
  spec.added_tokens.push_back({"[MASK]", 4, true, true, false, false, false});
  spec.added_tokens.push_back({"HeLLo", static_cast<int32_t>(tokens.size()), false, false, false, true, true});
}

// A small Unigram vocabulary: specials, letters, SentencePiece-style words
// with '\u2581', CJK and accented pieces, a repeated piece, equal scores
// (ties) and optionally the 256 <0xNN> byte pieces.
void UnigramSpec(cappy::TokenizerSpec& spec, int variant, const std::string& charsmap) {
  using Step = cappy::NormalizerStep;
  spec.model = cappy::ModelKind::kUnigram;
  const std::string ms = "\xE2\x96\x81";
  std::vector<std::pair<std::string, double>> pieces = {{"<s>", 0},
                                                        {"<pad>", 0},
                                                        {"</s>", 0},
                                                        {"<unk>", 0},
                                                        {ms, -2},
                                                        {ms + "the", -3},
                                                        {ms + "a", -3},
                                                        {"the", -4},
                                                        {"ing", -4},
                                                        {ms + "hello", -5},
                                                        {"ll", -4},
                                                        {"he", -4},
                                                        {"\xE4\xB8\xAD", -6},
                                                        {"\xC3\xA9", -6},
                                                        {"e\xCC\x81", -5},
                                                        {ms + "\xE4\xB8\xAD\xE6\x96\x87", -7},
                                                        {"ab", -4},
                                                        {"abc", -8},
                                                        {"bc", -4},
                                                        {ms + "the", -2.5}};
  for (char c = 'a'; c <= 'z'; c++) pieces.push_back({std::string(1, c), -5 - (c % 3)});
  for (char c = '0'; c <= '9'; c++) pieces.push_back({std::string(1, c), -6});
  const bool byte_fallback = variant == 1 || variant == 2;
  if (byte_fallback) {
    for (int b = 0; b < 256; b++) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      pieces.push_back({name, 0});
    }
  }
  for (size_t i = 0; i < pieces.size(); i++) {
    spec.vocab.push_back(pieces[i].first);
    spec.vocab_ids.push_back(static_cast<int32_t>(i));
    spec.scores.push_back(pieces[i].second);
  }
  spec.byte_fallback = byte_fallback;
  spec.unk_id = variant == 2 ? -1 : 3;  // no unk: uncovered characters are an error, as in HF
  spec.pad_id = 1;
  spec.added_tokens.push_back({"<s>", 0, true, false, false, false, false});
  spec.added_tokens.push_back({"</s>", 2, true, false, false, false, false});
  spec.added_tokens.push_back({"<mask>", static_cast<int32_t>(pieces.size()), true, true, false, false, false});
  spec.added_tokens.push_back({"HeLLo", static_cast<int32_t>(pieces.size()) + 1, false, false, false, false, true});
  spec.normalizer.kind = cappy::NormalizerSpec::Kind::kSequence;
  Step strip;
  strip.kind = Step::Kind::kStrip;
  Step replace;
  replace.kind = Step::Kind::kReplace;
  replace.pattern = "ab";
  replace.content = ms;
  Step prepend;
  prepend.kind = Step::Kind::kPrepend;
  prepend.content = ms;
  Step s;
  spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kTemplate;
  const int32_t A = cappy::PostProcessorSpec::kSequenceA, B = cappy::PostProcessorSpec::kSequenceB;
  switch (variant) {
    case 0:  // XLM-R: NFKC, Metaspace(always), <s> A </s></s> B </s>
      s.kind = Step::Kind::kNfkc;
      spec.normalizer.steps = {s};
      spec.pre_tokenizer = cappy::PreTokenizerKind::kMetaspace;
      spec.post_processor.single = {0, A, 2};
      spec.post_processor.pair = {0, A, 2, 2, B, 2};
      break;
    case 1:  // T5-like with more normalizers, Metaspace(first, no split), longest_first
      s.kind = Step::Kind::kLowercase;
      spec.normalizer.steps = {strip, s, replace};
      s.kind = Step::Kind::kNfd;
      spec.normalizer.steps.push_back(s);
      spec.pre_tokenizer = cappy::PreTokenizerKind::kMetaspace;
      spec.metaspace.prepend_scheme = cappy::MetaspaceSpec::Prepend::kFirst;
      spec.metaspace.split = false;
      spec.post_processor.single = {A, 2};
      spec.post_processor.pair = {A, 2, B, 2};
      spec.truncation = {true, 9, cappy::TruncationStrategy::kLongestFirst};
      break;
    case 2:  // no pre-tokenizer, no unk, NFC then NFKD, only_second
      s.kind = Step::Kind::kNfc;
      spec.normalizer.steps = {prepend, s};
      s.kind = Step::Kind::kNfkd;
      spec.normalizer.steps.push_back(s);
      spec.pre_tokenizer = cappy::PreTokenizerKind::kNone;
      spec.post_processor.single = {0, 3, A};
      spec.post_processor.pair = {0, 3, A, 2, 0, 3, B};
      spec.truncation = {true, 11, cappy::TruncationStrategy::kOnlySecond};
      break;
    case 4:  // XLM-R as real files have it: Precompiled, then " {2,}" -> " "
      s.kind = Step::Kind::kPrecompiled;
      s.charsmap = charsmap;
      spec.normalizer.steps = {s};
      s = Step();
      s.kind = Step::Kind::kReplace;
      s.pattern = " ";
      s.content = " ";
      s.min_repeat = 2;
      spec.normalizer.steps.push_back(s);
      spec.pre_tokenizer = cappy::PreTokenizerKind::kMetaspace;
      spec.post_processor.single = {0, A, 2};
      spec.post_processor.pair = {0, A, 2, 2, B, 2};
      spec.truncation = {true, 10, cappy::TruncationStrategy::kLongestFirst};
      break;
    case 5:  // Nmt + NFKC, T5's [WhitespaceSplit, Metaspace(first)]
      s.kind = Step::Kind::kNmt;
      spec.normalizer.steps = {s};
      s.kind = Step::Kind::kNfkc;
      spec.normalizer.steps.push_back(s);
      spec.pre_tokenizer = cappy::PreTokenizerKind::kMetaspace;
      spec.metaspace.whitespace_split = true;
      spec.metaspace.prepend_scheme = cappy::MetaspaceSpec::Prepend::kFirst;
      spec.post_processor.single = {A, 2};
      spec.post_processor.pair = {A, 2, B, 2};
      break;
    default:  // Metaspace(never), NFKC, no post-processor, only_first
      s.kind = Step::Kind::kNfkc;
      spec.normalizer.steps = {s, strip};
      spec.pre_tokenizer = cappy::PreTokenizerKind::kMetaspace;
      spec.metaspace.prepend_scheme = cappy::MetaspaceSpec::Prepend::kNever;
      spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kNone;
      spec.truncation = {true, 7, cappy::TruncationStrategy::kOnlyFirst};
      break;
  }
}

struct Tokenizers {
  std::vector<std::unique_ptr<cappy::Tokenizer>> all;
  std::vector<uint32_t> max_length;  // 0: no truncation
};

Tokenizers* g = nullptr;
// The configurations built per input (nullptr in g->all).
constexpr size_t kCharsmapConfig = 16;
constexpr size_t kJsonConfig = 17;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cappy::TokenizerSpec base;
  const char* path = std::getenv("CAPPY_FUZZ_SPEC");
  if (path) {
    base = cappy::ReadTokenizerJson(path);  // a bad file is a setup error: let it throw
  } else {
    BuiltinSpec(base);
  }
  base.post_processor.kind = cappy::PostProcessorSpec::Kind::kRoberta;
  g = new Tokenizers();
  const cappy::TruncationStrategy strategies[] = {cappy::TruncationStrategy::kLongestFirst,
                                                  cappy::TruncationStrategy::kOnlyFirst,
                                                  cappy::TruncationStrategy::kOnlySecond};
  for (int k = 0; k < 8; k++) {
    cappy::TokenizerSpec spec = base;
    spec.add_prefix_space = (k & 1) != 0;
    if (k >= 2) {
      spec.truncation.enabled = true;
      spec.truncation.max_length = k == 7 ? 3 : 4 + 3 * static_cast<uint32_t>(k);
      spec.truncation.strategy = strategies[k % 3];
    }
    g->all.push_back(std::make_unique<cappy::Tokenizer>(spec));
    g->max_length.push_back(spec.truncation.enabled ? spec.truncation.max_length : 0);
  }
  // WordPiece: uncased without truncation, cased with an odd budget.
  for (int k = 0; k < 2; k++) {
    cappy::TokenizerSpec spec;
    WordPieceSpec(spec, k == 0);
    if (k == 1) {
      spec.truncation.enabled = true;
      spec.truncation.max_length = 12;
    }
    g->all.push_back(std::make_unique<cappy::Tokenizer>(spec));
    g->max_length.push_back(spec.truncation.enabled ? spec.truncation.max_length : 0);
  }
  // The NFKC-shaped charsmap from make-spec.ts; a blob of one empty trie unit
  // (no keys) when the run has none.
  std::string charsmap(std::string("\x04\0\0\0\0\0\0\0", 8));
  if (path) {
    std::ifstream in(std::string(path) + ".charsmap", std::ios::binary);
    if (in) charsmap.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (int k = 0; k < 6; k++) {
    cappy::TokenizerSpec spec;
    UnigramSpec(spec, k, charsmap);
    g->all.push_back(std::make_unique<cappy::Tokenizer>(spec));
    g->max_length.push_back(spec.truncation.enabled ? spec.truncation.max_length : 0);
  }
  g->all.push_back(nullptr);  // kCharsmapConfig: the charsmap comes from the input
  g->max_length.push_back(10);
  g->all.push_back(nullptr);  // kJsonConfig: the whole tokenizer.json comes from the input
  g->max_length.push_back(0);
  if (g->all.size() != kJsonConfig + 1 || g->all[kCharsmapConfig] != nullptr) abort();
  return 0;
}

namespace {
// Bytes 1..2 give the charsmap's length n; the next n bytes are the charsmap
// and the rest is the text. A blob HF would refuse must be a kTokenizer
// error, and one it would accept must never crash, whatever its trie says.
std::unique_ptr<cappy::Tokenizer> TokenizerWithInputCharsmap(std::string_view& text) {
  if (text.size() < 2) return nullptr;
  const size_t n = std::min(text.size() - 2, (static_cast<size_t>(static_cast<unsigned char>(text[0])) << 8) |
                                                 static_cast<unsigned char>(text[1]));
  cappy::TokenizerSpec spec;
  UnigramSpec(spec, 4, std::string(text.substr(2, n)));
  text = text.substr(2 + n);
  try {
    return std::make_unique<cappy::Tokenizer>(spec);
  } catch (const cappy::Error& e) {
    if (e.code() != cappy::ErrorCode::kTokenizer) abort();
    return nullptr;
  }
}

// The input is tokenizer.json: refusals must be kTokenizer errors, and a file
// the loader accepts must build a tokenizer (or be refused the same way) that
// then encodes a fixed text within the invariants below.
std::unique_ptr<cappy::Tokenizer> TokenizerFromInputJson(std::string_view& text) {
  try {
    auto tok = cappy::Tokenizer::FromJson(text);
    text = "Hello <s> w\xC3\xB6rld  \xEF\xAC\x81ne caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xFF tail";
    return tok;
  } catch (const cappy::Error& e) {
    if (e.code() != cappy::ErrorCode::kTokenizer) abort();
    return nullptr;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t which = data[0] % g->all.size();
  const bool pair = (data[0] & 0x80) != 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::unique_ptr<cappy::Tokenizer> own;
  if (!g->all[which]) {
    own = which == kJsonConfig ? TokenizerFromInputJson(text) : TokenizerWithInputCharsmap(text);
    if (!own) return 0;
  }
  std::string_view first = text;
  std::string_view second;
  if (pair) {
    const size_t cut = text.find('\xFF');
    first = text.substr(0, cut == std::string_view::npos ? text.size() : cut);
    second = cut == std::string_view::npos ? std::string_view() : text.substr(cut + 1);
  }
  const cappy::Tokenizer& tok = own ? *own : *g->all[which];
  const uint32_t max_length = own ? (tok.truncation().enabled ? tok.truncation().max_length : 0) : g->max_length[which];
  std::vector<int32_t> a, b;
  bool failed = false;
  try {
    tok.Encode(first, pair ? &second : nullptr, a);
  } catch (const cappy::Error& e) {
    if (e.code() != cappy::ErrorCode::kTokenizer) abort();
    failed = true;
  }
  if (failed) return 0;
  tok.Encode(first, pair ? &second : nullptr, b);
  if (a != b) abort();
  if (max_length != 0 && a.size() > max_length) abort();
  for (int32_t id : a) {
    if (id < 0 || static_cast<size_t>(id) >= tok.vocab_size()) abort();
  }
  if (size % 7 == 0) {  // threads are slow to start: check the batch path on a sample
    std::vector<cappy::TextInput> in(3);
    for (auto& x : in) {
      x.first.assign(first);
      x.second.assign(second);
      x.has_second = pair;
    }
    std::vector<std::vector<int32_t>> out;
    tok.EncodeBatch(in, 2, out);
    for (const auto& o : out) {
      if (o != a) abort();
    }
  }
  return 0;
}
