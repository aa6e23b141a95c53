// cappy::Scorer runs one call through the pipeline: tokenize, plan
// padding-aware batches, run them, and scatter each batch's scores back to
// the rows' input positions.
//
// Large calls are cut into windows: a producer thread tokenizes window k+1
// while this thread runs window k's batches, so the model never waits for the
// tokenizer after the first window. Sorting by length happens inside a window,
// which keeps padding low without holding the whole call's ids before the
// first batch can start.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "cappy/cappy.h"

namespace cappy {

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void ThrowIfCancelled(const CancelFlag* flag) {
  if (IsRaised(flag)) throw Error(ErrorCode::kCancelled, "The operation was aborted");
}

// Pairs tokenized, then planned, together: big enough that sorting inside a
// window leaves little padding, small enough that the first batch starts
// early. Fixed, so plan.sort_window keeps the planner's meaning inside it
// (0: sort the window whole by length; 1: input order, the planner off).
constexpr size_t kWindow = 2048;

// Hands tokenized windows from the producer thread to the runner.
class WindowQueue {
 public:
  void Publish(size_t ready) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_ = ready;
    }
    cv_.notify_all();
  }
  void Fail(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::move(error);
    }
    cv_.notify_all();
  }
  // Blocks until at least `count` windows are ready; rethrows producer errors.
  void WaitFor(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return ready_ >= count || error_ != nullptr; });
    if (error_ != nullptr && ready_ < count) std::rethrow_exception(error_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t ready_ = 0;
  std::exception_ptr error_;
};

// Runs `body` on `runners` threads (this one included) and rethrows the first
// error after all have stopped. `next` is pushed past `total` on an error so
// the other runners stop taking batches.
void RunConcurrently(size_t runners, const std::function<void()>& body, std::atomic<size_t>& next, size_t total) {
  if (runners <= 1) {
    body();
    return;
  }
  std::mutex mu;
  std::exception_ptr first;
  auto guarded = [&] {
    try {
      body();
    } catch (...) {
      next.store(total);
      std::lock_guard<std::mutex> lock(mu);
      if (!first) first = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  for (size_t i = 1; i < runners; ++i) helpers.emplace_back(guarded);
  guarded();
  for (auto& t : helpers) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace

Scorer::Scorer(std::shared_ptr<const Tokenizer> tokenizer, std::shared_ptr<const BatchRunner> runner,
               ScorerOptions options)
    : tokenizer_(std::move(tokenizer)), runner_(std::move(runner)), options_(options) {
  if (!tokenizer_ || !runner_) throw Error(ErrorCode::kInvalidInput, "Scorer needs a tokenizer and a session");
}

std::vector<float> Scorer::Score(const std::vector<TextInput>& inputs, const CancelFlag* cancelled,
                                 ScoreStats* stats) const {
  ScoreStats local;
  ScoreStats& st = stats != nullptr ? *stats : local;
  ThrowIfCancelled(cancelled);

  const size_t n = inputs.size();
  const size_t window = kWindow;
  const size_t windows = (n + window - 1) / window;
  std::vector<std::vector<int32_t>> encoded(n);
  // Where each row's second segment starts, for graphs that take segment ids.
  const bool with_types = runner_->takes_type_ids();
  std::vector<uint32_t> second_starts(with_types ? n : 0);
  std::atomic<bool> stop_producer{false};
  WindowQueue queue;
  double tokenize_ms = 0;

  // Producer: tokenizes window after window until done, failed or stopped.
  auto produce = [&] {
    size_t begin = 0;
    try {
      std::vector<TextInput> slice;
      std::vector<std::vector<int32_t>> out;
      std::vector<uint32_t> starts;
      for (size_t w = 0; w < windows; ++w) {
        if (stop_producer.load()) return;  // the runner has stopped already
        // The runner may be waiting for this window: leaving without a word
        // would leave it waiting forever (cancelled during a window's last
        // batch, after its own check), so say why.
        ThrowIfCancelled(cancelled);
        const auto t0 = Clock::now();
        begin = w * window;
        const size_t end = std::min(n, begin + window);
        slice.assign(inputs.begin() + static_cast<std::ptrdiff_t>(begin),
                     inputs.begin() + static_cast<std::ptrdiff_t>(end));
        tokenizer_->EncodeBatch(slice, options_.tokenizer_threads, out, with_types ? &starts : nullptr);
        for (size_t i = begin; i < end; ++i) encoded[i] = std::move(out[i - begin]);
        if (with_types)
          std::copy(starts.begin(), starts.end(), second_starts.begin() + static_cast<std::ptrdiff_t>(begin));
        tokenize_ms += MsSince(t0);
        queue.Publish(w + 1);
      }
    } catch (const Error& e) {
      // The tokenizer names an index inside its slice; say which slice.
      if (windows > 1 && e.code() != ErrorCode::kCancelled) {
        queue.Fail(
            std::make_exception_ptr(Error(e.code(), "in pairs from index " + std::to_string(begin) + ": " + e.what())));
      } else {
        queue.Fail(std::current_exception());
      }
    } catch (...) {
      queue.Fail(std::current_exception());
    }
  };

  std::thread producer;
  if (windows > 1) {
    producer = std::thread(produce);
  } else {
    produce();
  }
  // Joins the producer on every exit path, including errors and cancellation.
  struct Joiner {
    std::thread& t;
    std::atomic<bool>& stop;
    ~Joiner() {
      stop.store(true);
      if (t.joinable()) t.join();
    }
  } joiner{producer, stop_producer};

  const int32_t pad_id = tokenizer_->pad_id();
  const int32_t pair_type = tokenizer_->pair_type_id();
  const unsigned in_flight = runner_->batches_in_flight();
  std::vector<float> scores(n);
  std::vector<uint32_t> lengths;
  double run_ms = 0;
  for (size_t w = 0; w < windows; ++w) {
    queue.WaitFor(w + 1);
    const size_t begin = w * window;
    const size_t end = std::min(n, begin + window);
    lengths.resize(end - begin);
    for (size_t i = begin; i < end; ++i) {
      lengths[i - begin] = static_cast<uint32_t>(encoded[i].size());
      st.real_tokens += lengths[i - begin];
    }
    const std::vector<Batch> plan = PlanBatches(lengths, options_.plan);
    const auto t_run = Clock::now();
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> computed{0};
    // Each runner takes the next batch until none are left. With two in
    // flight (GPU), one batch's input copy and host-side filling overlap the
    // other's compute; each Run uses its own pinned buffers.
    auto run_batches = [&] {
      std::vector<const std::vector<int32_t>*> rows;
      std::vector<uint32_t> starts;  // where each row's second segment begins (token_type_ids)
      for (size_t b = next++; b < plan.size(); b = next++) {
        // Work not yet started is dropped once the caller aborts.
        ThrowIfCancelled(cancelled);
        const Batch& batch = plan[b];
        rows.clear();
        starts.clear();
        for (uint32_t r : batch.rows) {
          rows.push_back(&encoded[begin + r]);
          if (with_types) starts.push_back(second_starts[begin + r]);
        }
        const std::vector<float> batch_scores = runner_->RunRowsCancellable(
            rows, batch.padded_length, pad_id, with_types ? &starts : nullptr, pair_type, cancelled);
        for (size_t r = 0; r < batch.rows.size(); ++r) scores[begin + batch.rows[r]] = batch_scores[r];
        computed += static_cast<uint64_t>(batch.rows.size()) * batch.padded_length;
      }
    };
    RunConcurrently(std::min<size_t>(in_flight, plan.size()), run_batches, next, plan.size());
    st.computed_tokens += computed.load();
    st.batches += plan.size();
    run_ms += MsSince(t_run);
    // Free the window's ids as soon as its scores are out.
    for (size_t i = begin; i < end; ++i) std::vector<int32_t>().swap(encoded[i]);
  }
  if (producer.joinable()) producer.join();
  st.tokenize_ms += tokenize_ms;
  st.run_ms += run_ms;
  return scores;
}

}  // namespace cappy
