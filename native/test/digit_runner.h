// Shared by the tests that drive the scorer through the BatchRunner seam with
// no ORT (scorer_test.cc, c_api_test.cc): a WordPiece tokenizer whose digits
// are ids 10..19, the digits of a number spelled as separate words, the
// number read back out of a row's ids, and a gate that holds the first batch
// until a test releases it (to cancel while a batch is running).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace cappy_test {

// "[CLS] 4 2 [SEP] x [SEP]" for the pair ("4 2", "x").
constexpr int32_t kCls = 2, kSep = 3, kDigit0 = 10, kFiller = 20;
inline const char* const kDigitTokenizerJson = R"({
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {
    "[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3,
    "0": 10, "1": 11, "2": 12, "3": 13, "4": 14, "5": 15, "6": 16, "7": 17, "8": 18, "9": 19, "x": 20}},
  "normalizer": {"type": "BertNormalizer"},
  "pre_tokenizer": {"type": "BertPreTokenizer"},
  "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}
})";

// 42 -> "4 2 ": one token per digit.
inline std::string SpelledDigits(size_t n) {
  std::string out;
  for (const char c : std::to_string(n)) out += std::string(1, c) + " ";
  return out;
}

// The number spelled by the digit tokens right after [CLS].
inline double NumberAfterCls(const std::vector<int32_t>& ids) {
  double n = 0;
  for (size_t k = 1; k < ids.size() && ids[k] >= kDigit0 && ids[k] < kDigit0 + 10; ++k) n = n * 10 + (ids[k] - kDigit0);
  return n;
}

// RunRows calls Pass() first: it returns at once unless Close() was called,
// in which case the first caller waits until Release().
class BatchGate {
 public:
  void Pass() const {
    std::unique_lock<std::mutex> lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !closed_; });
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  void WaitUntilEntered() const {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = false;
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable bool entered_ = false;
  bool closed_ = false;
};

}  // namespace cappy_test
