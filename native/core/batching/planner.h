// The planner's cost model, shared with its brute-force test
// (native/test/planner_test.cc): a plan costs its padded tokens plus a fixed
// charge per batch, and PlanBatches cuts each sorted window to minimize it.
#pragma once

#include <cstdint>

namespace cappy::plan {

// Cost of one more batch, in padded tokens: roughly one ORT Run's fixed
// overhead on a small model, and enough that a split must save real padding.
constexpr uint64_t kBatchCharge = 64;

}  // namespace cappy::plan
