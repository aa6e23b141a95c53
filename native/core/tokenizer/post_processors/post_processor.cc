#include "tokenizer/post_processors/post_processor.h"

namespace cappy::tok {

void CheckTemplate(const PostProcessorSpec& spec) {
  auto check = [](const std::vector<int32_t>& t, bool pair) {
    size_t a = 0;
    size_t b = 0;
    for (const int32_t id : t) {
      if (id == PostProcessorSpec::kSequenceA)
        a++;
      else if (id == PostProcessorSpec::kSequenceB)
        b++;
      else if (id < 0)
        throw Error(ErrorCode::kTokenizer, "template ids must not be negative");
    }
    if (a != 1 || b != (pair ? 1u : 0u)) {
      throw Error(ErrorCode::kTokenizer, pair ? "the pair template must hold $A and $B once each"
                                              : "the single template must hold $A once and no $B");
    }
  };
  check(spec.single, false);
  if (!spec.pair.empty()) check(spec.pair, true);
}

uint32_t AddedTokenCount(const PostProcessorSpec& spec, bool pair) {
  switch (spec.kind) {
    case PostProcessorSpec::Kind::kNone:
      return 0;
    case PostProcessorSpec::Kind::kTemplate: {
      uint32_t n = 0;
      for (const int32_t id : pair ? spec.pair : spec.single) n += id >= 0;
      return n;
    }
    case PostProcessorSpec::Kind::kBert:
      return pair ? 3 : 2;
    case PostProcessorSpec::Kind::kRoberta:
      break;
  }
  return pair ? 4 : 2;
}

void ApplyPostProcessor(const PostProcessorSpec& spec, const std::vector<int32_t>& first,
                        const std::vector<int32_t>* second, std::vector<int32_t>& out) {
  if (spec.kind == PostProcessorSpec::Kind::kTemplate) {
    if (second && spec.pair.empty()) throw Error(ErrorCode::kTokenizer, "the post-processor template has no pair form");
    const std::vector<int32_t>& t = second ? spec.pair : spec.single;
    out.reserve(out.size() + first.size() + (second ? second->size() : 0) + t.size());
    for (const int32_t id : t) {
      if (id == PostProcessorSpec::kSequenceA) {
        out.insert(out.end(), first.begin(), first.end());
      } else if (id == PostProcessorSpec::kSequenceB) {
        out.insert(out.end(), second->begin(), second->end());
      } else {
        out.push_back(id);
      }
    }
    return;
  }
  if (spec.kind == PostProcessorSpec::Kind::kBert) {
    // [CLS] A [SEP] and [CLS] A [SEP] B [SEP]: one separator between the two.
    out.push_back(spec.cls_id);
    out.insert(out.end(), first.begin(), first.end());
    out.push_back(spec.sep_id);
    if (second) {
      out.insert(out.end(), second->begin(), second->end());
      out.push_back(spec.sep_id);
    }
    return;
  }
  const bool roberta = spec.kind == PostProcessorSpec::Kind::kRoberta;
  out.reserve(out.size() + first.size() + (second ? second->size() : 0) + 4);
  if (roberta) out.push_back(spec.cls_id);
  out.insert(out.end(), first.begin(), first.end());
  if (roberta) out.push_back(spec.sep_id);
  if (second) {
    // The pair opens with a second separator, not with cls.
    if (roberta) out.push_back(spec.sep_id);
    out.insert(out.end(), second->begin(), second->end());
    if (roberta) out.push_back(spec.sep_id);
  }
}

}  // namespace cappy::tok
