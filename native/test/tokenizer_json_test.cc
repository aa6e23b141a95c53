// The tokenizer.json loader's own rules (the parity suites in test/standalone
// compare whole files against HF tokenizers): JSON.parse's reading of
// duplicate keys and integral numbers, HF's numbering of added tokens, the
// pad id, truncation from the file and from the caller, and refusals that
// name the field.
#include <cstdio>
#include <string>

#include "cappy/cappy.h"
#include "check.h"

namespace {

using Ids = std::vector<int32_t>;

// A byte-level BPE file in the shape RoBERTa's has, small enough to read.
std::string Bpe(const std::string& vocab, const std::string& extra = "") {
  return R"({"model": {"type": "BPE", "vocab": )" + vocab + R"(, "merges": ["h i"]},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
    "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0]})" +
         extra + "}";
}
const std::string kVocab = R"({"<s>": 0, "<pad>": 1, "</s>": 2, "h": 3, "i": 4, "hi": 5})";

Ids Encode(const cappy::Tokenizer& t, const std::string& text) {
  Ids out;
  t.Encode(text, nullptr, out);
  return out;
}

// The message of the Error(kTokenizer) that loading `json` throws, or "" when it loads.
std::string Refusal(const std::string& json) {
  try {
    cappy::Tokenizer::FromJson(json);
  } catch (const cappy::Error& e) {
    if (e.code() != cappy::ErrorCode::kTokenizer) return "wrong code: " + std::string(e.what());
    return e.what();
  }
  return "";
}

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

CAPPY_TEST(tokenizer_json_loads_a_bpe_file) {
  const auto t = cappy::Tokenizer::FromJson(Bpe(kVocab));
  CHECK((Encode(*t, "hi") == Ids{0, 5, 2}));
  const cappy::TokenizerInfo info = t->info();
  CHECK(info.model == cappy::ModelKind::kBpe);
  CHECK(info.post_processor == cappy::PostProcessorSpec::Kind::kRoberta);
  CHECK_EQ(info.pad_id, 1);  // "<pad>" in the vocab
  CHECK_EQ(info.vocab_size, size_t(6));
  CHECK(!info.truncation.enabled);
}

CAPPY_TEST(tokenizer_json_reads_numbers_and_keys_as_json_parse_does) {
  // A repeated key keeps its last id; 5.0 and 5e0 are the integer 5.
  const auto t =
      cappy::Tokenizer::FromJson(Bpe(R"({"<s>": 0, "<pad>": 1, "</s>": 2, "h": 9, "h": 3, "i": 4e0, "hi": 5.0})"));
  CHECK((Encode(*t, "hi") == Ids{0, 5, 2}));
  CHECK((Encode(*t, "ih") == Ids{0, 4, 3, 2}));
  CHECK(Has(Refusal(Bpe(R"({"h": 1.5})")), "model.vocab[\"h\"] must be a non-negative integer id"));
}

CAPPY_TEST(tokenizer_json_numbers_added_tokens_as_hf_does) {
  // Not in the vocab: numbered from the vocab's entry count in file order,
  // whatever id the file writes; in the vocab: the vocab id.
  const auto t = cappy::Tokenizer::FromJson(Bpe(kVocab, R"(, "added_tokens": [
    {"id": 77, "content": "<mask>", "special": true},
    {"id": 1, "content": "hi", "special": true},
    {"id": 50, "content": "<extra>", "special": true}])"));
  CHECK((Encode(*t, "<mask><extra>hi") == Ids{0, 6, 7, 5, 2}));
  CHECK_EQ(t->vocab_size(), size_t(8));
}

CAPPY_TEST(tokenizer_json_pad_id_and_truncation) {
  const auto padded = cappy::Tokenizer::FromJson(Bpe(kVocab, R"(, "padding": {"pad_id": 4})"));
  CHECK_EQ(padded->pad_id(), 4);

  const std::string file_truncates =
      Bpe(kVocab, R"(, "truncation": {"max_length": 3, "strategy": "OnlySecond", "direction": "Right"})");
  const auto from_file = cappy::Tokenizer::FromJson(file_truncates);
  CHECK(from_file->truncation().enabled);
  CHECK_EQ(from_file->truncation().max_length, 3u);
  CHECK(from_file->truncation().strategy == cappy::TruncationStrategy::kOnlySecond);

  cappy::TokenizerOptions longer;
  longer.max_length = 9;  // the caller's length, the file's strategy
  const auto over = cappy::Tokenizer::FromJson(file_truncates, longer);
  CHECK_EQ(over->truncation().max_length, 9u);
  CHECK(over->truncation().strategy == cappy::TruncationStrategy::kOnlySecond);

  cappy::TokenizerOptions strategy_only;
  strategy_only.strategy = cappy::TruncationStrategy::kOnlyFirst;
  const auto first = cappy::Tokenizer::FromJson(file_truncates, strategy_only);
  CHECK_EQ(first->truncation().max_length, 3u);
  CHECK(first->truncation().strategy == cappy::TruncationStrategy::kOnlyFirst);

  // A strategy with no length anywhere is the caller's mistake.
  bool invalid = false;
  try {
    cappy::Tokenizer::FromJson(Bpe(kVocab), strategy_only);
  } catch (const cappy::Error& e) {
    invalid = e.code() == cappy::ErrorCode::kInvalidInput && Has(e.what(), "only_first needs a maximum length");
  }
  CHECK(invalid);
  cappy::TokenizerOptions length_only;
  length_only.max_length = 4;
  CHECK(cappy::Tokenizer::FromJson(Bpe(kVocab), length_only)->truncation().strategy ==
        cappy::TruncationStrategy::kLongestFirst);
}

CAPPY_TEST(tokenizer_json_refusals_name_the_field) {
  CHECK(Has(Refusal("{ not json"), "tokenizer.json is not valid JSON"));
  CHECK(Has(Refusal("{\"model\": \"\xff\"}"), "tokenizer.json is not valid JSON"));  // not UTF-8
  CHECK(Has(Refusal("[]"), "tokenizer.json: the top level must be an object"));
  CHECK(Has(Refusal("{}"), "tokenizer.json: model must be an object"));
  CHECK(Has(Refusal(R"({"model": {"type": "WordLevel"}})"),
            "model.type must be \"BPE\", \"WordPiece\" or \"Unigram\" (got \"WordLevel\")"));
  CHECK(Has(Refusal(R"({"model": {"type": "BPE", "vocab": {}, "merges": [], "dropout": 0.1}})"),
            "model.dropout must be null"));
  CHECK(Has(Refusal(Bpe(kVocab).replace(Bpe(kVocab).find("\"h i\""), 5, "\"hi\"")),
            "model.merges[0] must be \"left right\" (got \"hi\")"));
  CHECK(Has(Refusal(Bpe(kVocab, R"(, "added_tokens": [{"id": 1, "content": 5}])")),
            "added_tokens[0].content must be a string"));
  CHECK(Has(Refusal(Bpe(kVocab, R"(, "truncation": {"max_length": 0})")),
            "truncation.max_length must be a positive integer"));
  CHECK(Has(Refusal(Bpe(kVocab, R"(, "truncation": {"max_length": 4, "direction": "Left"})")),
            "truncation.direction must be \"Right\""));
  CHECK(Has(Refusal(R"({"model": {"type": "Unigram", "vocab": [["a", -1]], "unk_id": 3}})"),
            "model.unk_id must be null or an index into model.vocab (0..0)"));
  CHECK(Has(Refusal(R"({"model": {"type": "Unigram", "vocab": [["a", "x"]]}})"),
            "model.vocab[0] must be [piece, finite score]"));
  CHECK(Has(Refusal(R"({"model": {"type": "Unigram", "vocab": [["a", -1]]},
    "normalizer": {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}})"),
            "normalizer: Replace with the regex \"\\\\s+\" is not supported"));
  CHECK(Has(Refusal(R"({"model": {"type": "Unigram", "vocab": [["a", -1]]},
    "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAA"}})"),
            "normalizer.precompiled_charsmap is not valid base64"));
}

CAPPY_TEST(tokenizer_json_reads_files) {
  const std::string path = "cappy_tokenizer_json_test.json";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  const std::string json = Bpe(kVocab);
  std::fwrite(json.data(), 1, json.size(), f);
  std::fclose(f);
  CHECK((Encode(*cappy::Tokenizer::FromFile(path), "hi") == Ids{0, 5, 2}));
  std::remove(path.c_str());
  bool named = false;
  try {
    cappy::Tokenizer::FromFile(path);
  } catch (const cappy::Error& e) {
    named = e.code() == cappy::ErrorCode::kTokenizer && Has(e.what(), "cannot read " + path);
  }
  CHECK(named);
}
