// The stage combinations the engine reproduces (pipeline.h): which normalizer
// types each model runs, and the pre-tokenizer shapes in one table; the
// refusals for the rest list what would run.
#include "tokenizer/loader/pipeline.h"

#include <string>

#include "tokenizer/loader/checks.h"

namespace cappy::tok::load {

namespace {

// Byte-level BPE maps the raw text to its byte alphabet: there is nothing to
// normalize. WordPiece runs HF's BertNormalizer fused; Unigram runs the
// SentencePiece-family steps one after the other.
bool NormalizerRuns(ModelKind model, NormalizerType type) {
  switch (model) {
    case ModelKind::kBpe:
      return false;
    case ModelKind::kWordPiece:
      return type == NormalizerType::kBertNormalizer;
    case ModelKind::kUnigram:
      return type != NormalizerType::kBertNormalizer;
  }
  return false;
}

std::string NormalizersThatRun(ModelKind model) {
  std::string out;
  for (const Named<NormalizerType>& row : kNormalizerTypes) {
    if (NormalizerRuns(model, row.value)) out += std::string(out.empty() ? "" : ", ") + "\"" + row.name + "\"";
  }
  return out.empty() ? "null" : out + " or null";
}

// The pre-tokenizer steps each model runs (the pre-tokenizer alone, or a
// Sequence's members: a one-member Sequence runs as its member does), and
// what the pipeline makes of them.
struct Shape {
  ModelKind model;
  std::vector<PreTokenizerType> steps;
  PreTokenizerKind kind;
};

const std::vector<Shape>& Shapes() {
  static const std::vector<Shape> shapes = {
      {ModelKind::kBpe, {PreTokenizerType::kByteLevel}, PreTokenizerKind::kByteLevel},
      {ModelKind::kWordPiece, {PreTokenizerType::kBertPreTokenizer}, PreTokenizerKind::kBert},
      {ModelKind::kUnigram, {}, PreTokenizerKind::kNone},
      {ModelKind::kUnigram, {PreTokenizerType::kMetaspace}, PreTokenizerKind::kMetaspace},
      // T5's: split on White_Space first (dropping it), then Metaspace each word.
      {ModelKind::kUnigram,
       {PreTokenizerType::kWhitespaceSplit, PreTokenizerType::kMetaspace},
       PreTokenizerKind::kMetaspace},
  };
  return shapes;
}

std::string Quoted(PreTokenizerType type) { return std::string("\"") + TypeName(type) + "\""; }

std::string Render(const std::vector<PreTokenizerType>& steps) {
  if (steps.empty()) return "null";
  if (steps.size() == 1) return Quoted(steps[0]);
  std::string out = "[";
  for (size_t i = 0; i < steps.size(); i++) out += (i ? ", " : "") + Quoted(steps[i]);
  return out + "]";
}

std::string ShapesThatRun(ModelKind model) {
  std::vector<std::string> shapes;
  for (const Shape& s : Shapes()) {
    if (s.model == model) shapes.push_back(Render(s.steps));
  }
  std::string out;
  for (size_t i = 0; i < shapes.size(); i++) out += (i == 0 ? "" : i + 1 == shapes.size() ? " or " : ", ") + shapes[i];
  return out;
}

}  // namespace

void CheckNormalizer(ModelKind model, std::optional<NormalizerType> normalizer) {
  if (!normalizer || NormalizerRuns(model, *normalizer)) return;
  Fail(std::string("normalizer.type \"") + TypeName(*normalizer) + "\" is not supported with a " + TypeName(model) +
       " model (supported: " + NormalizersThatRun(model) + ")");
}

void SetPreTokenizer(const std::vector<PreTokenizerStep>& steps, TokenizerSpec& spec) {
  std::vector<PreTokenizerType> types;
  for (const PreTokenizerStep& step : steps) types.push_back(step.type);
  for (const Shape& shape : Shapes()) {
    if (shape.model != spec.model || shape.steps != types) continue;
    spec.pre_tokenizer = shape.kind;
    if (shape.kind == PreTokenizerKind::kByteLevel) spec.add_prefix_space = steps[0].add_prefix_space;
    if (shape.kind == PreTokenizerKind::kMetaspace) {
      spec.metaspace = steps.back().metaspace;
      spec.metaspace.whitespace_split = steps.size() == 2;
    }
    return;
  }
  Fail("pre_tokenizer " + Render(types) + " is not supported with a " + TypeName(spec.model) +
       " model (supported: " + ShapesThatRun(spec.model) + "; a Sequence counts as its members)");
}

}  // namespace cappy::tok::load
