// cappy-engine core: the plan and collect stages' options (part of cappy/cappy.h).
#pragma once

#include <cstdint>

namespace cappy {

// How PlanBatches cuts a window of pairs into batches. The defaults are
// LoadDefaults' (cappy/load.h); ResolveLoad fills these from a LoadConfig.
struct PlanOptions {
  uint32_t max_batch_tokens = 16384;  // padded length x rows, per batch
  uint32_t max_batch_size = 64;       // rows per batch
  uint32_t pad_multiple = 8;          // padded length rounds up to this
  uint32_t sort_window = 0;           // 0: sort the whole window by length; 1: input order
};

struct ScorerOptions {
  PlanOptions plan;
  unsigned tokenizer_threads = 0;  // 0: hardware count
};

}  // namespace cappy
