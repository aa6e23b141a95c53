// cappy::Scorer runs one call through the pipeline: tokenize, plan
// padding-aware batches, run them, and scatter each batch's scores back to
// the rows' input positions.
//
// Large calls are cut into windows: a producer thread tokenizes window k+1
// while this thread runs window k's batches, so the model never waits for the
// tokenizer after the first window. Sorting by length happens inside a window,
// which keeps padding low without holding the whole call's ids before the
// first batch can start.
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "cappy/cappy.h"

namespace cappy {

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool IsCancelled(const std::atomic<bool>* flag) {
  return flag != nullptr && flag->load(std::memory_order_relaxed);
}

void ThrowIfCancelled(const std::atomic<bool>* flag) {
  if (IsCancelled(flag)) throw Error(ErrorCode::kCancelled, "The operation was aborted");
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

}  // namespace

Scorer::Scorer(std::shared_ptr<const Tokenizer> tokenizer, std::shared_ptr<const Session> session,
               ScorerOptions options)
    : tokenizer_(std::move(tokenizer)), session_(std::move(session)), options_(options) {
  if (!tokenizer_ || !session_) throw Error(ErrorCode::kInvalidInput, "Scorer needs a tokenizer and a session");
}

std::vector<float> Scorer::Score(const std::vector<TextInput>& inputs, const std::atomic<bool>* cancelled,
                                 ScoreStats* stats) const {
  ScoreStats local;
  ScoreStats& st = stats != nullptr ? *stats : local;
  ThrowIfCancelled(cancelled);

  const size_t n = inputs.size();
  const size_t window = kWindow;
  const size_t windows = (n + window - 1) / window;
  std::vector<std::vector<int32_t>> encoded(n);
  std::atomic<bool> stop_producer{false};
  WindowQueue queue;
  double tokenize_ms = 0;

  // Producer: tokenizes window after window until done, failed or stopped.
  auto produce = [&] {
    size_t begin = 0;
    try {
      std::vector<TextInput> slice;
      std::vector<std::vector<int32_t>> out;
      for (size_t w = 0; w < windows; ++w) {
        if (stop_producer.load() || IsCancelled(cancelled)) return;
        const auto t0 = Clock::now();
        begin = w * window;
        const size_t end = std::min(n, begin + window);
        slice.assign(inputs.begin() + static_cast<std::ptrdiff_t>(begin),
                     inputs.begin() + static_cast<std::ptrdiff_t>(end));
        tokenizer_->EncodeBatch(slice, options_.tokenizer_threads, out);
        for (size_t i = begin; i < end; ++i) encoded[i] = std::move(out[i - begin]);
        tokenize_ms += MsSince(t0);
        queue.Publish(w + 1);
      }
    } catch (const Error& e) {
      // The tokenizer names an index inside its slice; say which slice.
      if (windows > 1) {
        queue.Fail(std::make_exception_ptr(
            Error(e.code(), "in pairs from index " + std::to_string(begin) + ": " + e.what())));
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

  const int64_t pad_id = tokenizer_->pad_id();
  std::vector<float> scores(n);
  std::vector<int64_t> ids;
  std::vector<int64_t> mask;
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
    for (const Batch& batch : plan) {
      // Work not yet started is dropped once the caller aborts.
      ThrowIfCancelled(cancelled);
      const uint32_t rows = static_cast<uint32_t>(batch.rows.size());
      const uint32_t len = batch.padded_length;
      ids.assign(static_cast<size_t>(rows) * len, pad_id);
      mask.assign(static_cast<size_t>(rows) * len, 0);
      for (uint32_t r = 0; r < rows; ++r) {
        const std::vector<int32_t>& row = encoded[begin + batch.rows[r]];
        int64_t* ids_row = ids.data() + static_cast<size_t>(r) * len;
        int64_t* mask_row = mask.data() + static_cast<size_t>(r) * len;
        for (size_t t = 0; t < row.size(); ++t) {
          ids_row[t] = row[t];
          mask_row[t] = 1;
        }
      }
      const std::vector<float> batch_scores = session_->Run(ids, mask, rows, len);
      for (uint32_t r = 0; r < rows; ++r) scores[begin + batch.rows[r]] = batch_scores[r];
      st.computed_tokens += static_cast<uint64_t>(rows) * len;
      st.batches += 1;
    }
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
