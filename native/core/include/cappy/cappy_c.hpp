// A thin header-only C++ wrapper over the C ABI (cappy_c.h): RAII handles and
// exceptions on the caller's side of the boundary. It holds no logic of its
// own, so it works with any build of libcappy that speaks CAPPY_ABI_VERSION.
//
//   cappy::embed::Model model("/models/cappy");
//   std::vector<float> s = model.Score({{"instruction", "response"}});
#pragma once

// std::string_view and inline helpers need C++17; say so before the first
// error from inside the standard library would.
#if !defined(__cplusplus) || (__cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L))
#error "cappy/cappy_c.hpp needs C++17 or newer (compile with -std=c++17); from C or older C++, include cappy/cappy_c.h"
#else  // the whole header, so no second error follows the first

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cappy/cappy_c.h"

namespace cappy {
namespace embed {

class Error : public std::runtime_error {
 public:
  Error(cappy_status status, const std::string& message, std::string reason = std::string())
      : std::runtime_error(message), status_(status), reason_(std::move(reason)) {}
  cappy_status status() const noexcept { return status_; }
  // The machine-readable reason (cappy_last_error_reason()), "" when none.
  const std::string& reason() const noexcept { return reason_; }

 private:
  cappy_status status_;
  std::string reason_;
};

inline void Check(cappy_status status) {
  if (status != CAPPY_OK) {
    throw Error(status, std::string(cappy_status_name(status)) + ": " + cappy_last_error(), cappy_last_error_reason());
  }
}

class Cancel {
 public:
  Cancel() { Check(cappy_cancel_new(&handle_)); }
  ~Cancel() { cappy_cancel_free(handle_); }
  Cancel(const Cancel&) = delete;
  Cancel& operator=(const Cancel&) = delete;
  void Request() noexcept { cappy_cancel_request(handle_); }  // from any thread
  void Reset() noexcept { cappy_cancel_reset(handle_); }
  const cappy_cancel* get() const noexcept { return handle_; }

 private:
  cappy_cancel* handle_ = nullptr;
};

class Model {
 public:
  explicit Model(const std::string& dir, const cappy_load_params& params = cappy_load_default_params()) {
    Check(cappy_model_load(dir.c_str(), &params, &handle_));
  }
  ~Model() { cappy_model_free(handle_); }
  Model(Model&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Model& operator=(Model&& other) noexcept {
    if (this != &other) {
      cappy_model_free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  std::vector<float> Score(const std::vector<std::pair<std::string_view, std::string_view> >& pairs,
                           const Cancel* cancel = nullptr) {
    std::vector<cappy_pair> c(pairs.size());
    for (size_t i = 0; i < pairs.size(); ++i) {
      c[i] = {pairs[i].first.data(), pairs[i].first.size(), pairs[i].second.data(), pairs[i].second.size()};
    }
    std::vector<float> scores(pairs.size());
    Check(cappy_score(handle_, c.data(), c.size(), scores.data(), scores.size(),
                      cancel != nullptr ? cancel->get() : nullptr));
    return scores;
  }

  // One text, or a pair when `second` is given.
  std::vector<int32_t> Tokenize(std::string_view first, const std::string_view* second = nullptr) const {
    std::vector<int32_t> ids(64);
    size_t n = 0;
    const auto call = [&] {
      // An empty view may have a null data(); the C side reads NULL as "no second text".
      const char* second_data = second == nullptr ? nullptr : second->empty() ? "" : second->data();
      return cappy_tokenize(handle_, first.empty() ? "" : first.data(), first.size(), second_data,
                            second != nullptr ? second->size() : 0, ids.data(), ids.size(), &n);
    };
    cappy_status status = call();
    if (status == CAPPY_ERR_BUFFER_TOO_SMALL) {
      ids.resize(n);
      status = call();
    }
    Check(status);
    ids.resize(n);
    return ids;
  }

  cappy_model_info Info() const {
    cappy_model_info info{};
    info.struct_size = sizeof info;
    Check(cappy_model_get_info(handle_, &info));
    return info;
  }

  cappy_model* get() const noexcept { return handle_; }

 private:
  cappy_model* handle_ = nullptr;
};

}  // namespace embed
}  // namespace cappy

#endif  // C++17
