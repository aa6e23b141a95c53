// The C ABI (cappy/cappy_c.h) as a C host sees it: status codes and messages,
// bad inputs refused without a crash, caller-owned buffers that are too small,
// and a score call cancelled from another thread. The scoring tests run on a
// fake BatchRunner (capi/c_api_internal.h), so no ORT or model file is needed;
// load failures go through the real cappy_model_load.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "capi/c_api_internal.h"
#include "cappy/cappy_c.h"
#include "cappy/cappy_c.hpp"
#include "check.h"
#include "digit_runner.h"

namespace {

// Scores each row with the number its digit tokens spell, so a score in the
// wrong place is caught. gate_ can hold the first batch until released.
class NumberRunner : public cappy::BatchRunner {
 public:
  std::vector<float> RunRows(const std::vector<const std::vector<int32_t>*>& rows, uint32_t, int32_t,
                             const std::vector<uint32_t>*, int32_t) const override {
    gate_.Pass();
    ++batches_;
    std::vector<float> out;
    for (const auto* row : rows) out.push_back(static_cast<float>(cappy_test::NumberAfterCls(*row)));
    return out;
  }
  bool takes_type_ids() const noexcept override { return false; }
  unsigned batches_in_flight() const noexcept override { return 1; }

  cappy_test::BatchGate gate_;
  mutable std::atomic<int> batches_{0};
};

struct Fixture {
  std::shared_ptr<NumberRunner> runner = std::make_shared<NumberRunner>();
  cappy_model* model = nullptr;
  explicit Fixture(uint32_t max_batch_size = 64) {
    cappy::ScorerOptions options;
    options.tokenizer_threads = 2;
    options.plan.max_batch_size = max_batch_size;
    options.plan.sort_window = 1;  // input order: batch k holds pairs k*size..
    model = cappy::capi::ModelFromParts(cappy::Tokenizer::FromJson(cappy_test::kDigitTokenizerJson), runner, options);
  }
  ~Fixture() { cappy_model_free(model); }
};

bool Has(const char* text, const std::string& part) { return std::string(text).find(part) != std::string::npos; }

}  // namespace

CAPPY_TEST(c_api_version_and_status_names) {
  CHECK_EQ(cappy_abi_version(), static_cast<uint32_t>(CAPPY_ABI_VERSION));
  CHECK(std::strlen(cappy_version()) > 0);
  CHECK_EQ(std::string(cappy_status_name(CAPPY_OK)), std::string("CAPPY_OK"));
  CHECK_EQ(std::string(cappy_status_name(CAPPY_ERR_BUFFER_TOO_SMALL)), std::string("CAPPY_ERR_BUFFER_TOO_SMALL"));
  CHECK_EQ(std::string(cappy_status_name(static_cast<cappy_status>(99))), std::string("CAPPY_ERR_UNKNOWN"));
  const cappy_load_params p = cappy_load_default_params();
  CHECK_EQ(p.struct_size, static_cast<uint32_t>(sizeof(cappy_load_params)));
  CHECK_EQ(p.max_batch_tokens, 16384u);
  CHECK(p.dtype == nullptr && p.ort_api_base == nullptr && p.ort_library_path == nullptr);
}

CAPPY_TEST(c_api_load_refuses_bad_arguments_with_a_status_and_message) {
  cappy_model* model = reinterpret_cast<cappy_model*>(0x1);
  CHECK_EQ(cappy_model_load(nullptr, nullptr, &model), CAPPY_ERR_INVALID_INPUT);
  CHECK(model == nullptr);  // cleared on failure
  CHECK(Has(cappy_last_error(), "model_dir"));
  CHECK_EQ(cappy_model_load("/x", nullptr, nullptr), CAPPY_ERR_INVALID_INPUT);

  cappy_load_params unset{};  // struct_size 0: not from cappy_load_default_params
  CHECK_EQ(cappy_model_load("/x", &unset, &model), CAPPY_ERR_INVALID_INPUT);
  CHECK(Has(cappy_last_error(), "struct_size"));

  cappy_load_params p = cappy_load_default_params();
  p.dtype = "fp64";
  CHECK_EQ(cappy_model_load("/x", &p, &model), CAPPY_ERR_INVALID_INPUT);
  CHECK(Has(cappy_last_error(), "fp64"));
  p.dtype = "int8";
  p.onnx_file = "a.onnx";
  CHECK_EQ(cappy_model_load("/x", &p, &model), CAPPY_ERR_INVALID_INPUT);

  const std::string missing = "/nonexistent/cappy-c-api-test-folder";
  CHECK_EQ(cappy_model_load(missing.c_str(), nullptr, &model), CAPPY_ERR_MODEL_LOAD);
  CHECK(Has(cappy_last_error(), missing));
  CHECK_EQ(std::string(cappy_last_error_reason()), std::string("folder_not_found"));
  CHECK(model == nullptr);
  p = cappy_load_default_params();
  p.execution_provider = "tpu";
  CHECK_EQ(cappy_model_load(missing.c_str(), &p, &model), CAPPY_ERR_INVALID_INPUT);  // before the folder is read
  CHECK(Has(cappy_last_error(), "params: execution_provider must be cpu, cuda or tensorrt (got 'tpu')"));
  p = cappy_load_default_params();
  p.pad_multiple = 0;
  CHECK_EQ(cappy_model_load(missing.c_str(), &p, &model), CAPPY_ERR_INVALID_INPUT);
  CHECK_EQ(cappy_model_load("/x", nullptr, &model), CAPPY_ERR_MODEL_LOAD);
  CHECK_EQ(std::string(cappy_last_error_reason()), std::string("folder_not_found"));
  cappy_cancel* c = nullptr;
  CHECK_EQ(cappy_cancel_new(&c), CAPPY_OK);  // success clears the reason too
  CHECK_EQ(std::string(cappy_last_error_reason()), std::string(""));
  cappy_cancel_free(c);
}

CAPPY_TEST(c_api_load_names_a_missing_ort_library_neutrally) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("cappy-c-api-" + std::to_string(::getpid()));
  fs::create_directories(dir / "onnx");
  std::ofstream(dir / "tokenizer.json") << cappy_test::kDigitTokenizerJson;
  std::ofstream(dir / "onnx" / "model.onnx") << "not a graph";
  cappy_load_params p = cappy_load_default_params();
  p.ort_library_path = "/nonexistent/libonnxruntime.so";
  cappy_model* model = nullptr;
  CHECK_EQ(cappy_model_load(dir.c_str(), &p, &model), CAPPY_ERR_MODEL_LOAD);
  CHECK(Has(cappy_last_error(), "cannot load ONNX Runtime from /nonexistent/libonnxruntime.so"));
  CHECK(!Has(cappy_last_error(), "npm"));
  CHECK(!Has(cappy_last_error(), "CAPPY_ORT_LIB"));
  p.max_length = 100000;  // no config.json: no position limit to check against, so the load goes on to ORT
  CHECK_EQ(cappy_model_load(dir.c_str(), &p, &model), CAPPY_ERR_MODEL_LOAD);
  std::ofstream(dir / "config.json") << R"({"model_type": "bert", "max_position_embeddings": 64})";
  CHECK_EQ(cappy_model_load(dir.c_str(), &p, &model), CAPPY_ERR_INVALID_INPUT);
  CHECK(Has(cappy_last_error(), "position table takes (64 tokens"));
  CHECK_EQ(std::string(cappy_last_error_reason()), std::string("over_position_limit"));
  // ORT from the defaults: CAPPY_ORT_LIB wins over the configured library,
  // and a missing one is reported by name.
  p = cappy_load_default_params();
  ::setenv("CAPPY_ORT_LIB", "/nonexistent/from-env/libonnxruntime.so", 1);
  CHECK_EQ(cappy_model_load(dir.c_str(), &p, &model), CAPPY_ERR_MODEL_LOAD);
  CHECK(Has(cappy_last_error(), "cannot load ONNX Runtime from /nonexistent/from-env/libonnxruntime.so"));
  CHECK_EQ(std::string(cappy_last_error_reason()), std::string("ort_unavailable"));
  ::unsetenv("CAPPY_ORT_LIB");
  fs::remove_all(dir);
}

CAPPY_TEST(c_api_scores_in_input_order_into_the_callers_buffer) {
  Fixture f(4);
  std::vector<std::string> firsts;
  for (size_t i = 0; i < 10; ++i) firsts.push_back(cappy_test::SpelledDigits(i * 7));
  std::vector<cappy_pair> pairs;
  for (const auto& s : firsts) pairs.push_back({s.data(), s.size(), "x", 1});
  std::vector<float> scores(10, -1);
  CHECK_EQ(cappy_score(f.model, pairs.data(), pairs.size(), scores.data(), scores.size(), nullptr), CAPPY_OK);
  for (size_t i = 0; i < 10; ++i) CHECK_EQ(scores[i], static_cast<float>(i * 7));
  CHECK_EQ(std::string(cappy_last_error()), std::string(""));                 // success clears the message
  CHECK_EQ(cappy_score(f.model, nullptr, 0, nullptr, 0, nullptr), CAPPY_OK);  // nothing to do
}

CAPPY_TEST(c_api_score_refuses_small_buffers_and_bad_text_before_any_work) {
  Fixture f;
  const std::string bad = "x \xC3\x28";  // a lead byte without its continuation
  const cappy_pair pairs[2] = {{"1", 1, "x", 1}, {"2", 1, bad.data(), bad.size()}};
  float scores[2] = {-1, -1};
  CHECK_EQ(cappy_score(f.model, pairs, 2, scores, 1, nullptr), CAPPY_ERR_BUFFER_TOO_SMALL);
  CHECK(Has(cappy_last_error(), "2 pairs"));
  CHECK_EQ(cappy_score(f.model, pairs, 2, scores, 2, nullptr), CAPPY_ERR_INVALID_INPUT);
  CHECK(Has(cappy_last_error(), "pairs[1].second is not valid UTF-8 (byte 2)"));
  CHECK_EQ(f.runner->batches_.load(), 0);
  CHECK(scores[0] == -1 && scores[1] == -1);
  CHECK_EQ(cappy_score(nullptr, pairs, 1, scores, 2, nullptr), CAPPY_ERR_INVALID_INPUT);
  CHECK_EQ(cappy_score(f.model, nullptr, 1, scores, 2, nullptr), CAPPY_ERR_INVALID_INPUT);
  CHECK_EQ(cappy_score(f.model, pairs, 1, nullptr, 2, nullptr), CAPPY_ERR_INVALID_INPUT);
  const cappy_pair null_text[1] = {{nullptr, 3, "x", 1}};
  CHECK_EQ(cappy_score(f.model, null_text, 1, scores, 1, nullptr), CAPPY_ERR_INVALID_INPUT);
  // Surrogates and overlongs are not UTF-8 either.
  const std::string surrogate = "\xED\xA0\x80", overlong = "\xC0\xAF";
  const cappy_pair more[2] = {{surrogate.data(), surrogate.size(), "x", 1}, {"1", 1, overlong.data(), overlong.size()}};
  CHECK_EQ(cappy_score(f.model, more, 1, scores, 2, nullptr), CAPPY_ERR_INVALID_INPUT);
  CHECK_EQ(cappy_score(f.model, more + 1, 1, scores, 2, nullptr), CAPPY_ERR_INVALID_INPUT);
  const std::string fine = "\xE2\x82\xAC \xF0\x9F\x98\x80";  // euro sign, emoji
  const cappy_pair ok[1] = {{fine.data(), fine.size(), "x", 1}};
  CHECK_EQ(cappy_score(f.model, ok, 1, scores, 2, nullptr), CAPPY_OK);
}

CAPPY_TEST(c_api_score_is_cancelled_from_another_thread) {
  Fixture f(2);  // 2 rows a batch: 200 pairs are 100 batches
  std::vector<std::string> firsts;
  for (size_t i = 0; i < 200; ++i) firsts.push_back(cappy_test::SpelledDigits(i));
  std::vector<cappy_pair> pairs;
  for (const auto& s : firsts) pairs.push_back({s.data(), s.size(), "x", 1});
  std::vector<float> scores(pairs.size(), -1);
  cappy_cancel* cancel = nullptr;
  CHECK_EQ(cappy_cancel_new(&cancel), CAPPY_OK);
  f.runner->gate_.Close();
  cappy_status status = CAPPY_OK;
  std::string message;
  std::thread scoring([&] {
    status = cappy_score(f.model, pairs.data(), pairs.size(), scores.data(), scores.size(), cancel);
    message = cappy_last_error();  // this thread's message
  });
  f.runner->gate_.WaitUntilEntered();  // the first batch is running
  cappy_cancel_request(cancel);
  f.runner->gate_.Release();
  scoring.join();
  CHECK_EQ(status, CAPPY_ERR_CANCELLED);
  CHECK(!message.empty());
  CHECK_EQ(std::string(cappy_last_error()), std::string(""));  // other threads' messages are their own
  CHECK(f.runner->batches_.load() < 100);                      // batches after the flag never ran
  CHECK_EQ(scores[0], -1.0f);                                  // a failed call writes no score

  // Lowered again, the same token lets a call finish.
  cappy_cancel_reset(cancel);
  CHECK_EQ(cappy_score(f.model, pairs.data(), pairs.size(), scores.data(), scores.size(), cancel), CAPPY_OK);
  CHECK_EQ(scores[199], 199.0f);
  cappy_cancel_free(cancel);
  cappy_cancel_request(nullptr);  // NULL is ignored
}

CAPPY_TEST(c_api_tokenize_reports_the_size_needed) {
  Fixture f;
  size_t n = 99;
  int32_t ids[8];
  std::fill(ids, ids + 8, -7);
  // "[CLS] 4 2 [SEP] x [SEP]" by the vocab above.
  CHECK_EQ(cappy_tokenize(f.model, "4 2", 3, "x", 1, ids, 3, &n), CAPPY_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(n, static_cast<size_t>(6));
  CHECK_EQ(ids[0], -7);  // nothing written
  CHECK(Has(cappy_last_error(), "needs 6"));
  CHECK_EQ(cappy_tokenize(f.model, "4 2", 3, "x", 1, ids, 6, &n), CAPPY_OK);
  const std::vector<int32_t> want = {2, 14, 12, 3, 20, 3};
  CHECK(std::vector<int32_t>(ids, ids + 6) == want);
  CHECK_EQ(cappy_tokenize(f.model, "4 2", 3, nullptr, 0, ids, 8, &n), CAPPY_OK);  // one text
  CHECK_EQ(n, static_cast<size_t>(4));
  CHECK_EQ(cappy_tokenize(f.model, "4", 1, nullptr, 0, nullptr, 0, &n), CAPPY_ERR_BUFFER_TOO_SMALL);  // size query
  CHECK_EQ(n, static_cast<size_t>(3));
  CHECK_EQ(cappy_tokenize(f.model, "\xFF", 1, nullptr, 0, ids, 8, &n), CAPPY_ERR_INVALID_INPUT);
  CHECK_EQ(cappy_tokenize(f.model, "4", 1, nullptr, 0, ids, 8, nullptr), CAPPY_ERR_INVALID_INPUT);
  CHECK_EQ(cappy_tokenize(nullptr, "4", 1, nullptr, 0, ids, 8, &n), CAPPY_ERR_INVALID_INPUT);
}

CAPPY_TEST(c_api_info_fills_only_the_fields_the_caller_has) {
  Fixture f;
  cappy_model_info full{};
  full.struct_size = sizeof full;
  CHECK_EQ(cappy_model_get_info(f.model, &full), CAPPY_OK);
  CHECK_EQ(full.vocab_size, 21u);
  CHECK_EQ(full.pad_id, 0);
  CHECK_EQ(full.takes_type_ids, 0);
  // An older caller's struct ends after model_dir: nothing past it is touched.
  struct Older {
    uint32_t struct_size;
    const char* model_dir;
    const char* canary;
  } older{offsetof(cappy_model_info, onnx_path), nullptr, "untouched"};
  CHECK_EQ(cappy_model_get_info(f.model, reinterpret_cast<cappy_model_info*>(&older)), CAPPY_OK);
  CHECK_EQ(std::string(older.canary), std::string("untouched"));
  cappy_model_info unset{};
  CHECK_EQ(cappy_model_get_info(f.model, &unset), CAPPY_ERR_INVALID_INPUT);
  CHECK_EQ(cappy_model_get_info(nullptr, &full), CAPPY_ERR_INVALID_INPUT);
}

CAPPY_TEST(c_api_cpp_wrapper_throws_with_status_and_message) {
  bool threw = false;
  try {
    cappy::embed::Model model("/nonexistent/cappy-c-api-test-folder");
  } catch (const cappy::embed::Error& e) {
    threw = true;
    CHECK_EQ(e.status(), CAPPY_ERR_MODEL_LOAD);
    CHECK(Has(e.what(), "CAPPY_ERR_MODEL_LOAD: "));
    CHECK_EQ(e.reason(), std::string("folder_not_found"));
  }
  CHECK(threw);
  cappy::embed::Cancel cancel;
  cancel.Request();
  cancel.Reset();
}

CAPPY_TEST(c_api_one_model_scores_from_several_threads_at_once) {
  Fixture f(3);
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<int> wrong(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        std::vector<std::string> firsts;
        for (size_t i = 0; i < 40; ++i) firsts.push_back(cappy_test::SpelledDigits(t * 1000 + round * 100 + i));
        std::vector<cappy_pair> pairs;
        for (const auto& s : firsts) pairs.push_back({s.data(), s.size(), "x", 1});
        std::vector<float> scores(pairs.size(), -1);
        if (cappy_score(f.model, pairs.data(), pairs.size(), scores.data(), scores.size(), nullptr) != CAPPY_OK) {
          ++wrong[t];
          continue;
        }
        for (size_t i = 0; i < scores.size(); ++i) {
          if (scores[i] != static_cast<float>(t * 1000 + round * 100 + i)) ++wrong[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) CHECK_EQ(wrong[t], 0);
}
