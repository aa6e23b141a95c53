// PlanBatches: every item lands in exactly one batch, budgets hold, and
// similar lengths share batches.
#include <algorithm>
#include <random>
#include <set>

#include "cappy/cappy.h"
#include "check.h"

namespace {

uint64_t CheckPlan(const std::vector<uint32_t>& lengths, const cappy::PlanOptions& o,
                   const std::vector<cappy::Batch>& plan) {
  std::vector<int> seen(lengths.size(), 0);
  uint64_t computed = 0;
  for (const auto& b : plan) {
    CHECK(!b.rows.empty());
    CHECK(b.rows.size() <= o.max_batch_size);
    CHECK(b.padded_length % o.pad_multiple == 0);
    uint32_t longest = 0;
    for (uint32_t r : b.rows) {
      CHECK(r < lengths.size());
      seen[r] += 1;
      longest = std::max(longest, lengths[r]);
    }
    CHECK(b.padded_length >= longest);
    CHECK(b.padded_length < longest + o.pad_multiple);
    // A batch may exceed the budget only when it is one over-long item.
    CHECK(b.rows.size() == 1 || uint64_t(b.padded_length) * b.rows.size() <= o.max_batch_tokens);
    computed += uint64_t(b.padded_length) * b.rows.size();
  }
  for (int s : seen) CHECK_EQ(s, 1);
  return computed;
}

}  // namespace

CAPPY_TEST(planner_covers_every_item_once_within_budget) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint32_t> lengths(rng() % 300);
    for (auto& l : lengths) l = 5 + rng() % 508;
    cappy::PlanOptions o;
    o.max_batch_tokens = 512 + rng() % 8000;
    o.max_batch_size = 1 + rng() % 64;
    o.pad_multiple = (trial % 3 == 0) ? 1 : 8;
    o.sort_window = (trial % 2 == 0) ? 0 : 1 + rng() % 64;
    CheckPlan(lengths, o, cappy::PlanBatches(lengths, o));
  }
}

CAPPY_TEST(planner_sorting_cuts_padding) {
  std::mt19937 rng(11);
  std::vector<uint32_t> lengths(1024);
  for (auto& l : lengths) l = 8 + rng() % 504;
  cappy::PlanOptions sorted;
  sorted.max_batch_tokens = 1u << 30;
  sorted.max_batch_size = 32;
  cappy::PlanOptions naive = sorted;
  naive.sort_window = 1;  // a window of one item keeps input order
  const uint64_t real = [&] {
    uint64_t s = 0;
    for (auto l : lengths) s += l;
    return s;
  }();
  const uint64_t sorted_tokens = CheckPlan(lengths, sorted, cappy::PlanBatches(lengths, sorted));
  const uint64_t naive_tokens = CheckPlan(lengths, naive, cappy::PlanBatches(lengths, naive));
  // Uniform lengths padded to the batch max waste ~47% naively; sorted
  // batches waste only the spread inside a batch plus the pad multiple.
  CHECK(double(sorted_tokens - real) / sorted_tokens < 0.05);
  CHECK(double(naive_tokens - real) / naive_tokens > 0.3);
}

CAPPY_TEST(planner_window_of_one_keeps_input_order) {
  std::vector<uint32_t> lengths = {9, 3, 7, 1, 5};
  cappy::PlanOptions o;
  o.sort_window = 1;
  o.max_batch_size = 2;
  auto plan = cappy::PlanBatches(lengths, o);
  std::vector<uint32_t> order;
  for (const auto& b : plan) order.insert(order.end(), b.rows.begin(), b.rows.end());
  CHECK((order == std::vector<uint32_t>{0, 1, 2, 3, 4}));
}

CAPPY_TEST(planner_empty_input_gives_no_batches) { CHECK(cappy::PlanBatches({}, cappy::PlanOptions{}).empty()); }

CAPPY_TEST(planner_overlong_item_gets_its_own_batch) {
  cappy::PlanOptions o;
  o.max_batch_tokens = 64;
  auto plan = cappy::PlanBatches({500, 4, 4}, o);
  CHECK_EQ(plan.size(), size_t(2));
  CHECK_EQ(plan[0].rows.size(), size_t(1));
  CHECK_EQ(plan[0].padded_length, 504u);
}

CAPPY_TEST(planner_does_not_pad_a_sparse_tail_up_to_its_first_row) {
  // Filling to the budget would put all 32 rows in one batch padded to 512
  // (76% padding); the optimal cut gives each tail length its own batch.
  std::vector<uint32_t> lengths = {120, 512, 200, 300};
  for (int i = 0; i < 28; ++i) lengths.push_back(100);
  cappy::PlanOptions o;
  o.max_batch_tokens = 16384;
  o.max_batch_size = 32;
  o.pad_multiple = 1;
  const auto plan = cappy::PlanBatches(lengths, o);
  uint64_t real = 0;
  for (auto l : lengths) real += l;
  CHECK_EQ(CheckPlan(lengths, o, plan), real);
  CHECK_EQ(plan.size(), size_t(5));
  CHECK_EQ(plan[0].padded_length, 512u);  // longest first still
}

CAPPY_TEST(planner_keeps_near_equal_lengths_together) {
  // 64 rows of 100 and 101 tokens: one batch (1 pad token a row) beats two
  // (no padding, but a second Run).
  std::vector<uint32_t> lengths;
  for (int i = 0; i < 32; ++i) lengths.push_back(101), lengths.push_back(100);
  cappy::PlanOptions o;
  o.max_batch_size = 64;
  o.pad_multiple = 1;
  const auto plan = cappy::PlanBatches(lengths, o);
  CHECK_EQ(plan.size(), size_t(1));
  CheckPlan(lengths, o, plan);
}
