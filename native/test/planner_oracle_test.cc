// The planner's dynamic-programming cut against brute force: on small random
// windows, every contiguous cut of the sorted order is enumerated and the
// cheapest feasible one (padded tokens plus kBatchCharge per batch) must cost
// exactly what PlanBatches' plan costs. The order itself is checked against
// its definition: longest first inside each sort window, ties in input order.
#include <algorithm>
#include <numeric>
#include <random>

#include "batching/planner.h"
#include "cappy/cappy.h"
#include "check.h"

namespace {

uint64_t RoundUp(uint64_t n, uint64_t multiple) { return multiple <= 1 ? n : (n + multiple - 1) / multiple * multiple; }

// Cost of rows order[begin, end) as one batch; UINT64_MAX when the options forbid it.
uint64_t BatchCost(const std::vector<uint32_t>& lengths, const std::vector<uint32_t>& order, size_t begin, size_t end,
                   const cappy::PlanOptions& o) {
  const size_t rows = end - begin;
  if (rows > std::max<uint32_t>(1, o.max_batch_size)) return UINT64_MAX;
  uint32_t longest = 0;
  for (size_t k = begin; k < end; ++k) longest = std::max(longest, lengths[order[k]]);
  const uint64_t tokens = RoundUp(longest, o.pad_multiple) * rows;
  if (rows > 1 && tokens > o.max_batch_tokens) return UINT64_MAX;  // only a lone item may exceed the budget
  return tokens + cappy::plan::kBatchCharge;
}

// The least cost over all 2^(n-1) contiguous cuts of `order`.
uint64_t BruteForceBest(const std::vector<uint32_t>& lengths, const std::vector<uint32_t>& order,
                        const cappy::PlanOptions& o) {
  const size_t n = order.size();
  uint64_t best = UINT64_MAX;
  for (uint64_t cuts = 0; cuts < (uint64_t(1) << (n - 1)); ++cuts) {
    uint64_t total = 0;
    size_t begin = 0;
    for (size_t i = 1; i <= n && total != UINT64_MAX; ++i) {
      if (i < n && !(cuts >> (i - 1) & 1)) continue;  // bit i-1 set: a batch ends before item i
      const uint64_t c = BatchCost(lengths, order, begin, i, o);
      total = c == UINT64_MAX ? UINT64_MAX : total + c;
      begin = i;
    }
    best = std::min(best, total);
  }
  return best;
}

}  // namespace

CAPPY_TEST(planner_cut_is_optimal_against_brute_force) {
  std::mt19937 rng(2024);
  int compared = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t n = 1 + rng() % 12;
    std::vector<uint32_t> lengths(n);
    // Few distinct lengths in some trials, so ties (and stable order) matter.
    const uint32_t spread = trial % 3 == 0 ? 4 : 600;
    for (auto& l : lengths) l = 1 + rng() % spread * (spread == 4 ? 100 : 1);
    cappy::PlanOptions o;
    o.max_batch_tokens = 16 + rng() % 3000;
    o.max_batch_size = 1 + rng() % 8;
    o.pad_multiple = trial % 2 == 0 ? 8 : 1;
    // Window 1 is input order with the greedy cut (not this DP); 0 is the whole call.
    o.sort_window = trial % 4 == 0 ? 2 + rng() % 6 : 0;
    const std::vector<cappy::Batch> plan = cappy::PlanBatches(lengths, o);

    // The expected order, from its definition.
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    const size_t window = o.sort_window == 0 ? n : o.sort_window;
    for (size_t start = 0; start < n; start += window) {
      const auto first = order.begin() + static_cast<std::ptrdiff_t>(start);
      const auto last = order.begin() + static_cast<std::ptrdiff_t>(std::min(n, start + window));
      std::stable_sort(first, last, [&](uint32_t a, uint32_t b) { return lengths[a] > lengths[b]; });
    }
    std::vector<uint32_t> planned;
    uint64_t cost = 0;
    size_t begin = 0;
    for (const cappy::Batch& b : plan) {
      planned.insert(planned.end(), b.rows.begin(), b.rows.end());
      const uint64_t c = BatchCost(lengths, planned, begin, planned.size(), o);
      CHECK(c != UINT64_MAX);  // the plan itself is feasible
      uint32_t longest = 0;
      for (const uint32_t r : b.rows) longest = std::max(longest, lengths[r]);
      CHECK_EQ(b.padded_length, static_cast<uint32_t>(RoundUp(longest, o.pad_multiple)));
      cost += c;
      begin = planned.size();
    }
    CHECK(planned == order);
    CHECK_EQ(cost, BruteForceBest(lengths, order, o));
    ++compared;
  }
  CHECK_EQ(compared, 3000);
}
