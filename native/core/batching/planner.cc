// Padding-aware batch planning. A transformer's cost is rows x padded length,
// so batching items of similar length wastes little compute on padding:
// sort by length (inside a window, so a stream can plan without seeing
// everything), then cut batches under a token budget and a row cap.
#include <algorithm>
#include <numeric>

#include "cappy/cappy.h"

namespace cappy {

namespace {

uint32_t RoundUp(uint32_t n, uint32_t multiple) {
  if (multiple <= 1) return n;
  return (n + multiple - 1) / multiple * multiple;
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
  std::vector<Batch> batches;
  Batch current;
  uint32_t current_max = 0;
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t i = order[k];
    const uint32_t new_max = std::max(current_max, lengths[i]);
    const uint64_t new_tokens = static_cast<uint64_t>(RoundUp(new_max, options.pad_multiple)) *
                                (current.rows.size() + 1);
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

}  // namespace cappy
