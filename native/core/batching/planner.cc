// Padding-aware batch planning. A transformer's cost is rows x padded length,
// so batching items of similar length wastes little compute on padding:
// sort by length (inside a window, so a stream can plan without seeing
// everything), then cut the sorted order into batches under a token budget
// and a row cap.
//
// Where the cuts go matters as much as the sort. Filling each batch to the
// budget (greedy) pads a sparse stretch of lengths, such as the long tail of
// a real length mix or a small call, up to its first row: a 32-row batch
// starting at 512 tokens may end at 150. So sorted windows are cut by dynamic
// programming: the contiguous partition with the fewest padded tokens plus a
// fixed charge per batch (kBatchCharge, batching/planner.h), which keeps runs of near-equal
// lengths together instead of splitting them into many tiny batches.
// A window of one item (input order: the planner off) keeps the greedy cut,
// the plain fill-to-budget batching a caller without a planner would do.
#include "batching/planner.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "cappy/cappy.h"

namespace cappy {

namespace {

uint32_t RoundUp(uint32_t n, uint32_t multiple) {
  if (multiple <= 1) return n;
  return (n + multiple - 1) / multiple * multiple;
}

using plan::kBatchCharge;

// Greedy: fill each batch until the next item breaks the budget or row cap.
std::vector<Batch> CutGreedy(const std::vector<uint32_t>& lengths, const std::vector<uint32_t>& order,
                             const PlanOptions& options, uint32_t max_rows) {
  std::vector<Batch> batches;
  Batch current;
  uint32_t current_max = 0;
  for (const uint32_t i : order) {
    const uint32_t new_max = std::max(current_max, lengths[i]);
    const uint64_t new_tokens =
        static_cast<uint64_t>(RoundUp(new_max, options.pad_multiple)) * (current.rows.size() + 1);
    const bool full = current.rows.size() >= max_rows || new_tokens > options.max_batch_tokens;
    if (!current.rows.empty() && full) {
      current.padded_length = RoundUp(current_max, options.pad_multiple);
      batches.push_back(std::move(current));
      current = Batch();
      current_max = 0;
    }
    current.rows.push_back(i);
    current_max = std::max(current_max, lengths[i]);
  }
  if (!current.rows.empty()) {
    current.padded_length = RoundUp(current_max, options.pad_multiple);
    batches.push_back(std::move(current));
  }
  return batches;
}

// Optimal contiguous cut of `order` (O(n x max_rows)): best[j] is the least
// cost of batching order[0..j), each batch costing its padded tokens plus
// kBatchCharge. A batch over the budget is allowed only as a single item.
std::vector<Batch> CutOptimal(const std::vector<uint32_t>& lengths, const std::vector<uint32_t>& order,
                              const PlanOptions& options, uint32_t max_rows) {
  const size_t n = order.size();
  constexpr uint64_t kInf = UINT64_MAX;
  std::vector<uint64_t> best(n + 1, kInf);
  std::vector<uint32_t> from(n + 1, 0);
  best[0] = 0;
  for (size_t j = 1; j <= n; ++j) {
    uint32_t seg_max = 0;
    for (size_t i = j; i-- > 0 && j - i <= max_rows;) {
      seg_max = std::max(seg_max, lengths[order[i]]);
      const uint64_t tokens = static_cast<uint64_t>(RoundUp(seg_max, options.pad_multiple)) * (j - i);
      if (j - i > 1 && tokens > options.max_batch_tokens) break;  // longer segments only grow
      if (best[i] == kInf) continue;
      const uint64_t cost = best[i] + tokens + kBatchCharge;
      if (cost < best[j]) {
        best[j] = cost;
        from[j] = static_cast<uint32_t>(i);
      }
    }
  }
  std::vector<Batch> batches;
  for (size_t j = n; j > 0; j = from[j]) {
    Batch b;
    uint32_t seg_max = 0;
    for (size_t k = from[j]; k < j; ++k) {
      b.rows.push_back(order[k]);
      seg_max = std::max(seg_max, lengths[order[k]]);
    }
    b.padded_length = RoundUp(seg_max, options.pad_multiple);
    batches.push_back(std::move(b));
  }
  std::reverse(batches.begin(), batches.end());
  return batches;
}

}  // namespace

std::vector<Batch> PlanBatches(const std::vector<uint32_t>& lengths, const PlanOptions& options) {
  const uint32_t n = static_cast<uint32_t>(lengths.size());
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);

  const uint32_t window = options.sort_window == 0 ? n : options.sort_window;
  for (uint32_t start = 0; start < n; start += window) {
    const uint32_t end = std::min(n, start + window);
    // Longest first: the first batch of a window is the most expensive one,
    // and a stable sort keeps equal lengths in input order.
    std::stable_sort(order.begin() + start, order.begin() + end,
                     [&](uint32_t a, uint32_t b) { return lengths[a] > lengths[b]; });
  }

  const uint32_t max_rows = std::max<uint32_t>(1, options.max_batch_size);
  return window == 1 ? CutGreedy(lengths, order, options, max_rows) : CutOptimal(lengths, order, options, max_rows);
}

}  // namespace cappy
