#include "tokenizer/post_processor.h"

namespace cappy::tok {

uint32_t AddedTokenCount(const PostProcessorSpec& spec, bool pair) {
  switch (spec.kind) {
    case PostProcessorSpec::Kind::kNone:
      return 0;
    case PostProcessorSpec::Kind::kBert:
      return pair ? 3 : 2;
    case PostProcessorSpec::Kind::kRoberta:
      break;
  }
  return pair ? 4 : 2;
}

void ApplyPostProcessor(const PostProcessorSpec& spec, const std::vector<int32_t>& first,
                        const std::vector<int32_t>* second, std::vector<int32_t>& out) {
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
