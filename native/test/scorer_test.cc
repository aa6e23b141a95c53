// cappy::Scorer (engine/scorer.cc) through the BatchRunner seam, with no ORT:
// a fake runner scores each row by reading the pair's index back out of its
// ids, so a score landing anywhere but its input position is caught. Calls of
// several 2048-pair windows run the producer thread (tokenizing window k+1
// while window k runs); cancellation comes from another thread while a batch
// is running.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "cappy/cappy.h"
#include "check.h"
#include "digit_runner.h"

namespace {

using cappy_test::kCls;
using cappy_test::kFiller;
using cappy_test::kSep;

std::shared_ptr<const cappy::Tokenizer> MakeTokenizer(const cappy::TokenizerOptions& options = {}) {
  return cappy::Tokenizer::FromJson(cappy_test::kDigitTokenizerJson, options);
}

// Pair i: its index in digits, then i % 23 fillers, so lengths vary and the
// planner reorders; the second text has i % 7 fillers.
std::vector<cappy::TextInput> Pairs(size_t n) {
  std::vector<cappy::TextInput> inputs(n);
  for (size_t i = 0; i < n; ++i) {
    std::string digits = cappy_test::SpelledDigits(i);
    for (size_t k = 0; k < i % 23; ++k) digits += "x ";
    inputs[i].first = digits;
    for (size_t k = 0; k < i % 7 + 1; ++k) inputs[i].second += "x ";
    inputs[i].has_second = true;
  }
  return inputs;
}

class FakeRunner : public cappy::BatchRunner {
 public:
  FakeRunner(unsigned in_flight, bool type_ids) : in_flight_(in_flight), type_ids_(type_ids) {}

  std::vector<float> RunRows(const std::vector<const std::vector<int32_t>*>& rows, uint32_t seq_len, int32_t pad_id,
                             const std::vector<uint32_t>* second_starts, int32_t pair_type) const override {
    const unsigned now = ++running_;
    unsigned seen = max_running_.load();
    while (now > seen && !max_running_.compare_exchange_weak(seen, now)) {
    }
    calls_++;
    gate_.Pass();  // the cancellation test holds the first batch here
    std::vector<float> out;
    for (size_t r = 0; r < rows.size(); ++r) {
      const std::vector<int32_t>& ids = *rows[r];
      if (ids.size() > seq_len || seq_len % 8 != 0 || pad_id != 0) bad_++;
      if (type_ids_) {
        // The second segment starts after "[CLS] A [SEP]"; its type is the file's (BertProcessing: 1).
        const bool ok = second_starts != nullptr && second_starts->size() == rows.size() && pair_type == 1 &&
                        (*second_starts)[r] > 0 && ids[(*second_starts)[r] - 1] == kSep &&
                        ids[(*second_starts)[r]] == kFiller;
        if (!ok) bad_++;
      } else if (second_starts != nullptr) {
        bad_++;
      }
      if (ids.empty() || ids[0] != kCls) bad_++;
      out.push_back(static_cast<float>(cappy_test::NumberAfterCls(ids)));  // the pair's index
    }
    --running_;
    return out;
  }
  bool takes_type_ids() const noexcept override { return type_ids_; }
  unsigned batches_in_flight() const noexcept override { return in_flight_; }

  cappy_test::BatchGate gate_;
  mutable std::atomic<unsigned> calls_{0}, bad_{0}, running_{0}, max_running_{0};

 private:
  unsigned in_flight_;
  bool type_ids_;
};

cappy::ScorerOptions Options() {
  cappy::ScorerOptions o;
  o.tokenizer_threads = 2;
  o.plan.max_batch_size = 16;
  return o;
}

}  // namespace

CAPPY_TEST(scorer_scatters_scores_back_to_input_order) {
  const auto tokenizer = MakeTokenizer();
  const std::vector<cappy::TextInput> inputs = Pairs(5000);  // three windows: the producer thread runs
  for (const unsigned in_flight : {1u, 2u}) {
    for (const bool type_ids : {false, true}) {
      auto runner = std::make_shared<FakeRunner>(in_flight, type_ids);
      const cappy::Scorer scorer(tokenizer, runner, Options());
      cappy::ScoreStats stats;
      const std::vector<float> scores = scorer.Score(inputs, nullptr, &stats);
      CHECK_EQ(scores.size(), inputs.size());
      for (size_t i = 0; i < inputs.size(); ++i) CHECK_EQ(scores[i], static_cast<float>(i));
      CHECK_EQ(runner->bad_.load(), 0u);
      CHECK_EQ(stats.batches, uint64_t(runner->calls_.load()));
      CHECK(runner->max_running_.load() <= in_flight);
      uint64_t real = 0;
      std::vector<int32_t> ids;
      for (const cappy::TextInput& in : inputs) {
        ids.clear();
        const std::string_view second(in.second);
        tokenizer->Encode(in.first, &second, ids);
        real += ids.size();
      }
      CHECK_EQ(stats.real_tokens, real);
      CHECK(stats.computed_tokens >= real);
    }
  }
}

CAPPY_TEST(scorer_reports_a_producer_error_with_its_window) {
  // only_second at 12 tokens cannot fit a first text of 12 or more: pair 4100
  // (digits 4 1 0 0, 6 fillers, 3 specials = 13), in the third window.
  cappy::TokenizerOptions options;
  options.max_length = 12;
  options.strategy = cappy::TruncationStrategy::kOnlySecond;
  const auto tokenizer = MakeTokenizer(options);
  std::vector<cappy::TextInput> inputs = Pairs(5000);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i != 4100) inputs[i].first = "1 2";
  }
  auto runner = std::make_shared<FakeRunner>(1, false);
  const cappy::Scorer scorer(tokenizer, runner, Options());
  bool threw = false;
  try {
    scorer.Score(inputs, nullptr, nullptr);
  } catch (const cappy::Error& e) {
    threw = true;
    CHECK(e.code() == cappy::ErrorCode::kTokenizer);
    const std::string message = e.what();
    CHECK(message.find("in pairs from index 4096") != std::string::npos);
    CHECK(message.find("input 4") != std::string::npos);  // index 4 inside that window
  }
  CHECK(threw);
}

CAPPY_TEST(scorer_cancelled_from_another_thread_drops_batches_not_started) {
  const auto tokenizer = MakeTokenizer();
  const std::vector<cappy::TextInput> inputs = Pairs(5000);
  auto runner = std::make_shared<FakeRunner>(1, false);
  runner->gate_.Close();
  const cappy::Scorer scorer(tokenizer, runner, Options());
  cappy::CancelFlag cancelled;
  std::thread canceller([&] {
    runner->gate_.WaitUntilEntered();  // the first batch is running
    cancelled.Raise();
    runner->gate_.Release();
  });
  bool threw = false;
  try {
    scorer.Score(inputs, &cancelled, nullptr);
  } catch (const cappy::Error& e) {
    threw = e.code() == cappy::ErrorCode::kCancelled;
  }
  canceller.join();
  CHECK(threw);
  CHECK_EQ(runner->calls_.load(),
           1u);  // the running batch finished (this runner cannot cut one short); none started after

  // A flag raised before the call: no batch runs at all.
  auto idle = std::make_shared<FakeRunner>(1, false);
  const cappy::Scorer scorer2(tokenizer, idle, Options());
  CHECK_THROWS(scorer2.Score(inputs, &cancelled, nullptr));
  CHECK_EQ(idle->calls_.load(), 0u);
}

// A runner that can cut a batch short (Session does it with ORT's terminate
// flag) is handed the call's flag while each batch runs, and its hook fires
// when the flag is raised mid-batch.
class HookedRunner : public cappy::BatchRunner {
 public:
  std::vector<float> RunRows(const std::vector<const std::vector<int32_t>*>& rows, uint32_t, int32_t,
                             const std::vector<uint32_t>*, int32_t) const override {
    return std::vector<float>(rows.size(), 0.f);
  }
  std::vector<float> RunRowsCancellable(const std::vector<const std::vector<int32_t>*>& rows, uint32_t, int32_t,
                                        const std::vector<uint32_t>*, int32_t,
                                        const cappy::CancelFlag* stop) const override {
    std::atomic<bool> terminated{false};
    const cappy::CancelFlag::Hook hook = stop->OnRaise([&] { terminated.store(true); });
    gate_.Pass();  // the test raises the flag while this batch "runs"
    if (terminated.load()) {
      ++terminated_;
      throw cappy::Error(cappy::ErrorCode::kCancelled, "terminated");
    }
    return std::vector<float>(rows.size(), 0.f);
  }
  bool takes_type_ids() const noexcept override { return false; }
  unsigned batches_in_flight() const noexcept override { return 1; }
  cappy_test::BatchGate gate_;
  mutable std::atomic<int> terminated_{0};
};

CAPPY_TEST(scorer_cancel_reaches_the_batch_in_flight_through_its_hook) {
  auto runner = std::make_shared<HookedRunner>();
  runner->gate_.Close();
  const cappy::Scorer scorer(MakeTokenizer(), runner, Options());
  cappy::CancelFlag cancel;
  std::thread canceller([&] {
    runner->gate_.WaitUntilEntered();
    cancel.Raise();  // runs the batch's hook now, while it is in flight
    runner->gate_.Release();
  });
  bool cancelled = false;
  try {
    scorer.Score(Pairs(100), &cancel, nullptr);
  } catch (const cappy::Error& e) {
    cancelled = e.code() == cappy::ErrorCode::kCancelled;
  }
  canceller.join();
  CHECK(cancelled);
  CHECK_EQ(runner->terminated_.load(), 1);
  // A hook registered on a flag already raised runs at once; one whose guard
  // has ended never runs again.
  int calls = 0;
  {
    const cappy::CancelFlag::Hook late = cancel.OnRaise([&] { ++calls; });
  }
  CHECK_EQ(calls, 1);
  cancel.Reset();
  {
    const cappy::CancelFlag::Hook gone = cancel.OnRaise([&] { ++calls; });
  }
  cancel.Raise();
  CHECK_EQ(calls, 1);
}

CAPPY_TEST(scorer_of_no_pairs_runs_nothing) {
  auto runner = std::make_shared<FakeRunner>(1, false);
  const cappy::Scorer scorer(MakeTokenizer(), runner, Options());
  CHECK(scorer.Score({}, nullptr, nullptr).empty());
  CHECK_EQ(runner->calls_.load(), 0u);
}
