// cappy::Scorer runs one call through the pipeline: tokenize every pair on
// the tokenizer's threads, plan padding-aware batches, run them, and scatter
// each batch's scores back to the rows' input positions.
#include <chrono>

#include "cappy/cappy.h"

namespace cappy {

namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

bool IsCancelled(const std::atomic<bool>* flag) {
  return flag != nullptr && flag->load(std::memory_order_relaxed);
}

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
  if (IsCancelled(cancelled)) throw Error(ErrorCode::kCancelled, "The operation was aborted");

  const auto t_tokenize = std::chrono::steady_clock::now();
  std::vector<std::vector<int32_t>> encoded;
  tokenizer_->EncodeBatch(inputs, options_.tokenizer_threads, encoded);
  st.tokenize_ms += MsSince(t_tokenize);

  std::vector<uint32_t> lengths(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    lengths[i] = static_cast<uint32_t>(encoded[i].size());
    st.real_tokens += lengths[i];
  }
  const std::vector<Batch> plan = PlanBatches(lengths, options_.plan);

  const int64_t pad_id = tokenizer_->pad_id();
  std::vector<float> scores(inputs.size());
  std::vector<int64_t> ids;
  std::vector<int64_t> mask;
  const auto t_run = std::chrono::steady_clock::now();
  for (const Batch& batch : plan) {
    // Work not yet started is dropped once the caller aborts.
    if (IsCancelled(cancelled)) throw Error(ErrorCode::kCancelled, "The operation was aborted");
    const uint32_t rows = static_cast<uint32_t>(batch.rows.size());
    const uint32_t len = batch.padded_length;
    ids.assign(static_cast<size_t>(rows) * len, pad_id);
    mask.assign(static_cast<size_t>(rows) * len, 0);
    for (uint32_t r = 0; r < rows; ++r) {
      const std::vector<int32_t>& row = encoded[batch.rows[r]];
      int64_t* ids_row = ids.data() + static_cast<size_t>(r) * len;
      int64_t* mask_row = mask.data() + static_cast<size_t>(r) * len;
      for (size_t t = 0; t < row.size(); ++t) {
        ids_row[t] = row[t];
        mask_row[t] = 1;
      }
    }
    const std::vector<float> batch_scores = session_->Run(ids, mask, rows, len);
    for (uint32_t r = 0; r < rows; ++r) scores[batch.rows[r]] = batch_scores[r];
    st.computed_tokens += static_cast<uint64_t>(rows) * len;
    st.batches += 1;
  }
  st.run_ms += MsSince(t_run);
  return scores;
}

}  // namespace cappy
