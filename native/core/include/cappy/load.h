// cappy-engine core: the load rules and defaults, owned here so that both
// bindings (the C ABI and the Node addon) resolve a load the same way (part
// of cappy/cappy.h).
//
// A binding starts from DefaultLoadConfig(), sets what its caller gave, and
// hands the config and the model's position limit to ResolveLoad, which
// applies every rule: max_length against the position table, GPU defaults
// (IoBinding, batches in flight), and TensorRT's optimization profile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cappy/plan.h"
#include "cappy/session.h"
#include "cappy/tokenizer.h"

namespace cappy {

// The defaults that do not depend on the machine (PlanOptions' own
// initializers are the same; core tests check it).
struct LoadDefaults {
  // Cappy's, lowered to a smaller position table when none is given.
  static constexpr uint32_t kMaxLength = 512;
  static constexpr uint32_t kMaxBatchTokens = 16384;  // padded tokens per batch
  static constexpr uint32_t kMaxBatchSize = 64;       // rows per batch
  static constexpr uint32_t kPadMultiple = 8;
  // A GPU runs two batches at once (one fills and copies while the other
  // computes); on the CPU, ORT's intra-op pool already uses every core.
  static constexpr uint32_t kGpuBatchesInFlight = 2;
  static constexpr uint32_t kCpuBatchesInFlight = 1;
  // TensorRT's profile is optimized for this many tokens per row.
  static constexpr uint32_t kTrtOptTokens = 128;
};

// Every setting a load takes. Unset optionals follow a rule ResolveLoad
// applies; everything else is the value itself.
struct LoadConfig {
  // Longest encoding per pair, special tokens included. Unset: 512, lowered
  // to the position table; a larger explicit value than the table takes is
  // Error(kInvalidInput, kOverPositionLimit).
  std::optional<uint32_t> max_length;
  TruncationStrategy truncation = TruncationStrategy::kLongestFirst;
  uint32_t intra_op_threads = 0;   // ONNX Runtime's intra-op threads
  uint32_t tokenizer_threads = 0;  // threads tokenizing the next window
  uint32_t max_batch_tokens = LoadDefaults::kMaxBatchTokens;
  uint32_t max_batch_size = LoadDefaults::kMaxBatchSize;
  uint32_t pad_multiple = LoadDefaults::kPadMultiple;
  uint32_t sort_window = 0;                // 0: sort each window by length (padding-aware); 1: input order
  std::string execution_provider = "cpu";  // "cpu", "cuda" or "tensorrt"
  int device_id = 0;
  std::string ep_library_path;
  std::optional<bool> io_binding;  // unset: on for a GPU provider
  bool pinned_buffers = true;
  std::optional<uint32_t> batches_in_flight;  // unset: 2 on a GPU, 1 on CPU
  std::vector<std::pair<std::string, std::string>> provider_options;
  std::string trt_cache_dir;
  bool trt_fp16 = false;
};

// The defaults for this machine and process: thread counts from
// UsableCores() (intra-op: all of them; tokenizer: half, at least 1), the
// rest from LoadDefaults.
LoadConfig DefaultLoadConfig();

// What a config resolves to: the options of each stage. The caller adds the
// model path and the ONNX Runtime to use (session.model_path, ort_*).
struct ResolvedLoad {
  uint32_t max_length = 0;
  TokenizerOptions tokenizer;  // max_length and strategy, always set
  SessionOptions session;      // provider, threads, IoBinding, batches in flight, TensorRT profile
  ScorerOptions scorer;        // the plan, tokenizer threads
};

// Applies the rules. `position_limit` is ModelConfig::position_limit (0:
// unknown, e.g. no config.json). Throws Error(kInvalidInput) naming the
// setting for a value the engine cannot run with.
ResolvedLoad ResolveLoad(const LoadConfig& config, uint32_t position_limit);

// ---------------------------------------------------------------- CPU quota
// How many cores this process may really use: the CPUs of its affinity mask,
// capped by a cgroup CPU quota (a container's CPU limit) rounded down, at
// least 1. A pod limited to 4 CPUs on a 64-core host gets 4: ORT with 64
// threads there spends its time throttled. Reads cgroup v2 `cpu.max` ("200000
// 100000": 2 CPUs; "max": none) or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`
// (-1: none) on this process's cgroup and each parent; the tightest wins.
// `fs_root` prefixes every path read (tests lay out fake trees).
std::optional<double> CgroupCpuLimit(const std::string& fs_root = "/");
uint32_t UsableCores(const std::string& fs_root = "/", uint32_t affinity = 0);  // 0: this process's affinity count

}  // namespace cappy
