// Each stage of tokenizer.json is read by its own "type" (the readers in
// native/core/tokenizer/<stage>/*_json.cc), then the model's pipeline decides
// whether it runs that stage (loader/pipeline.cc). These pin the rules that
// split leaves subtle: a rule is about what the file wrote, not what the
// reader made of it (an empty normalizer Sequence is refused with BPE even
// though it normalizes nothing), a one-member Sequence runs as its member,
// normalizer Sequences nest and pre-tokenizer ones do not, and each refusal
// names the field. The accepted and refused set is the one the loader had
// before the split (it was read by model kind then); the parity suites in
// test/standalone compare whole files with HF tokenizers.
#include <string>
#include <vector>

#include "cappy/cappy.h"
#include "check.h"
#include "tokenizer/stage_names.h"

namespace {

const std::string kBpeModel =
    R"("model": {"type": "BPE", "vocab": {"<s>": 0, "<pad>": 1, "</s>": 2, "h": 3, "i": 4, "hi": 5, "\u0120": 6}, "merges": ["h i"]})";
const std::string kWordPieceModel =
    R"("model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1, "##b": 2}, "unk_token": "[UNK]"})";
const std::string kUnigramModel =
    R"("model": {"type": "Unigram", "vocab": [["<unk>", 0], ["a", -1], ["b", -2], ["\u2581", -3], ["\u2581a", -1]], "unk_id": 0})";

// {model, "normalizer": ..., "pre_tokenizer": ...}; an empty part is left out.
std::string File(const std::string& model, const std::string& normalizer, const std::string& pre_tokenizer) {
  std::string out = "{" + model;
  if (!normalizer.empty()) out += ", \"normalizer\": " + normalizer;
  if (!pre_tokenizer.empty()) out += ", \"pre_tokenizer\": " + pre_tokenizer;
  return out + "}";
}

const std::string kByteLevel = R"({"type": "ByteLevel", "add_prefix_space": false})";
const std::string kBert = R"({"type": "BertPreTokenizer"})";
const std::string kMetaspace = R"({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first"})";

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

std::vector<int32_t> Encode(const std::string& json, const std::string& text) {
  std::vector<int32_t> out;
  cappy::Tokenizer::FromJson(json)->Encode(text, nullptr, out);
  return out;
}

}  // namespace

CAPPY_TEST(stage_readers_refuse_unknown_types_by_field) {
  CHECK(Has(Refusal(File(kBpeModel, R"({"type": "StripAccents"})", kByteLevel)),
            "tokenizer.json: normalizer.type must be \"BertNormalizer\", \"Sequence\", \"Lowercase\", \"Strip\", "
            "\"Replace\", "
            "\"Prepend\", \"NFC\", \"NFD\", \"NFKC\", \"NFKD\", \"Nmt\" or \"Precompiled\" (got \"StripAccents\")"));
  CHECK(Has(Refusal(File(kBpeModel, "", R"({"type": "Whitespace"})")),
            "tokenizer.json: pre_tokenizer.type must be \"ByteLevel\", \"BertPreTokenizer\", \"Metaspace\", "
            "\"WhitespaceSplit\" "
            "or \"Sequence\" (got \"Whitespace\")"));
  CHECK(Has(Refusal(File(kBpeModel, "", R"({"type": "Sequence", "pretokenizers": [{"kind": "ByteLevel"}]})")),
            "pre_tokenizer.pretokenizers[0].type must be"));
  CHECK(Has(
      Refusal("{" + kBpeModel + R"(, "pre_tokenizer": )" + kByteLevel + R"(, "post_processor": {"type": "X"}})"),
      "tokenizer.json: post_processor.type must be \"RobertaProcessing\", \"BertProcessing\", \"TemplateProcessing\", "
      "\"ByteLevel\" or \"Sequence\" (got \"X\")"));
  CHECK(Has(
      Refusal(
          File(kBpeModel, "", kByteLevel).replace(0, 1, R"({"truncation": {"max_length": 4, "strategy": "Both"}, )")),
      "truncation.strategy must be \"LongestFirst\", \"OnlyFirst\" or \"OnlySecond\""));
}

CAPPY_TEST(pipeline_refuses_stages_its_model_does_not_run) {
  CHECK(Has(Refusal(File(kBpeModel, R"({"type": "NFC"})", kByteLevel)),
            "tokenizer.json: normalizer.type \"NFC\" is not supported with a BPE model (supported: null)"));
  CHECK(Has(
      Refusal(File(kWordPieceModel, R"({"type": "Lowercase"})", kBert)),
      "normalizer.type \"Lowercase\" is not supported with a WordPiece model (supported: \"BertNormalizer\" or null)"));
  CHECK(Has(Refusal(File(kUnigramModel, R"({"type": "BertNormalizer"})", "")),
            "normalizer.type \"BertNormalizer\" is not supported with a Unigram model (supported: \"Sequence\", "
            "\"Lowercase\""));
  CHECK(Has(Refusal(File(kBpeModel, "", kMetaspace)),
            "tokenizer.json: pre_tokenizer \"Metaspace\" is not supported with a BPE model (supported: \"ByteLevel\""));
  CHECK(Has(Refusal(File(kWordPieceModel, "", "")),
            "pre_tokenizer null is not supported with a WordPiece model (supported: \"BertPreTokenizer\""));
  CHECK(Has(
      Refusal(File(kUnigramModel, "",
                   R"({"type": "Sequence", "pretokenizers": [)" + kMetaspace + R"(, {"type": "WhitespaceSplit"}]})")),
      "pre_tokenizer [\"Metaspace\", \"WhitespaceSplit\"] is not supported with a Unigram model (supported: null, "
      "\"Metaspace\" or [\"WhitespaceSplit\", \"Metaspace\"]"));
  // A stage's own fields are read (and refused) before the pipeline looks at it.
  CHECK(Has(Refusal(File(kBpeModel, "", R"({"type": "Metaspace", "prepend_scheme": "sometimes"})")),
            "pre_tokenizer.prepend_scheme must be \"always\", \"first\" or \"never\""));
}

// The pipeline's rule reads the type the file wrote: an empty Sequence
// normalizes nothing, yet it is a normalizer, which byte-level BPE never runs.
CAPPY_TEST(pipeline_rules_read_the_type_the_file_wrote) {
  const std::string empty_sequence = R"({"type": "Sequence", "normalizers": []})";
  CHECK(Has(Refusal(File(kBpeModel, empty_sequence, kByteLevel)),
            "normalizer.type \"Sequence\" is not supported with a BPE model"));
  CHECK(Has(Refusal(File(kWordPieceModel, empty_sequence, kBert)),
            "normalizer.type \"Sequence\" is not supported with a WordPiece model"));
  const auto unigram = cappy::Tokenizer::FromJson(File(kUnigramModel, empty_sequence, ""));
  CHECK(unigram->info().normalizer == cappy::NormalizerSpec::Kind::kNone);
  CHECK(unigram->info().pre_tokenizer == cappy::PreTokenizerKind::kNone);
  // An empty pre-tokenizer Sequence is "none", which only Unigram runs.
  const std::string no_pre = R"({"type": "Sequence", "pretokenizers": []})";
  CHECK(cappy::Tokenizer::FromJson(File(kUnigramModel, "", no_pre))->info().pre_tokenizer ==
        cappy::PreTokenizerKind::kNone);
  CHECK(Has(Refusal(File(kBpeModel, "", no_pre)), "pre_tokenizer null is not supported with a BPE model"));
}

CAPPY_TEST(sequences_nest_for_normalizers_and_run_as_their_one_member) {
  // Normalizer Sequences nest, flattened in order: Lowercase, then a -> b.
  const std::string nested =
      R"({"type": "Sequence", "normalizers": [{"type": "Sequence", "normalizers": [{"type": "Lowercase"}]},
          {"type": "Replace", "pattern": {"String": "a"}, "content": "b"}]})";
  CHECK_EQ(cappy::Tokenizer::FromJson(File(kUnigramModel, nested, ""))->Normalize("AxA"), std::string("bxb"));
  CHECK(Has(Refusal(File(kUnigramModel, R"({"type": "Sequence", "normalizers": [{"type": "BertNormalizer"}]})", "")),
            "normalizer.normalizers[0].type \"BertNormalizer\" is supported only as the whole normalizer, not inside a "
            "Sequence"));

  // A pre-tokenizer Sequence of one runs as that one, options included.
  const std::string plain = File(kBpeModel, "", kByteLevel);
  const std::string wrapped = File(kBpeModel, "", R"({"type": "Sequence", "pretokenizers": [)" + kByteLevel + "]}");
  CHECK(Encode(wrapped, "hi hi") == Encode(plain, "hi hi"));
  CHECK((Encode(plain, "hi hi") == std::vector<int32_t>{5, 6, 5}));
  CHECK(cappy::ParseTokenizerJson(
            File(kBpeModel, "", R"({"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}]})"))
            .add_prefix_space);
  // ...and pre-tokenizer Sequences do not nest.
  CHECK(Has(Refusal(File(kBpeModel, "",
                         R"({"type": "Sequence", "pretokenizers": [{"type": "Sequence", "pretokenizers": [)" +
                             kByteLevel + "]}]}")),
            "pre_tokenizer.pretokenizers[0]: a Sequence inside a Sequence is not supported"));

  // T5's [WhitespaceSplit, Metaspace] is Metaspace over whitespace-split words.
  const cappy::TokenizerSpec t5 = cappy::ParseTokenizerJson(
      File(kUnigramModel, "",
           R"({"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, )" + kMetaspace + "]}"));
  CHECK(t5.pre_tokenizer == cappy::PreTokenizerKind::kMetaspace);
  CHECK(t5.metaspace.whitespace_split);
  CHECK(t5.metaspace.prepend_scheme == cappy::MetaspaceSpec::Prepend::kFirst);
  const cappy::TokenizerSpec alone = cappy::ParseTokenizerJson(File(kUnigramModel, "", kMetaspace));
  CHECK(alone.pre_tokenizer == cappy::PreTokenizerKind::kMetaspace);
  CHECK(!alone.metaspace.whitespace_split);
}

// One table holds every name: HF's spellings parse back to their values, and
// the engine's names are the ones `info` surfaces report.
CAPPY_TEST(stage_names_come_from_one_table) {
  using namespace cappy::tok;
  auto round_trips = [](const auto& table) {
    for (const auto& row : table) {
      if (FindIn(table, row.name) != row.value || std::string(NameIn(table, row.value)) != row.name) return false;
    }
    return !FindIn(table, "").has_value();
  };
  CHECK(round_trips(kModelTypes) && round_trips(kNormalizerTypes) && round_trips(kPreTokenizerTypes) &&
        round_trips(kPostProcessorTypes) && round_trips(kPrependSchemes) && round_trips(kTruncationStrategyTypes));
  CHECK(round_trips(kModelNames) && round_trips(kNormalizerNames) && round_trips(kPreTokenizerNames) &&
        round_trips(kPostProcessorNames) && round_trips(kTruncationStrategyNames));
  CHECK(!FindIn(kModelTypes, "bpe").has_value());  // tokenizer.json's names are case-sensitive, as in HF
  CHECK_EQ(Listed(kModelTypes), std::string("\"BPE\", \"WordPiece\" or \"Unigram\""));

  CHECK_EQ(std::string(cappy::ModelKindName(cappy::ModelKind::kWordPiece)), std::string("wordpiece"));
  CHECK_EQ(std::string(cappy::NormalizerKindName(cappy::NormalizerSpec::Kind::kSequence)), std::string("sequence"));
  CHECK_EQ(std::string(cappy::PreTokenizerKindName(cappy::PreTokenizerKind::kByteLevel)), std::string("byte_level"));
  CHECK_EQ(std::string(cappy::PostProcessorKindName(cappy::PostProcessorSpec::Kind::kTemplate)),
           std::string("template"));
}
