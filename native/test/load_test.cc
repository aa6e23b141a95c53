// The load rules the core owns (cappy/load.h), which both bindings call:
// defaults, max_length against the position table, GPU defaults, TensorRT's
// profile, and the CPU quota read from cgroup trees laid out as the kernel
// shows them. Also the error lists' one spelling (cappy/cappy_errors.h) and
// ORT's messages made fit for users.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include "cappy/cappy.h"
#include "cappy/cappy_c.h"
#include "check.h"
#include "session/ort_runtime.h"

namespace {

namespace fs = std::filesystem;

// How ResolveLoad refuses `c`: its INVALID_INPUT message and reason ("" when it does not).
struct Refusal {
  std::string message;
  cappy::ErrorReason reason = cappy::ErrorReason::kNone;
};
Refusal RefusalOf(const cappy::LoadConfig& c, uint32_t limit) {
  try {
    cappy::ResolveLoad(c, limit);
  } catch (const cappy::Error& e) {
    if (e.code() == cappy::ErrorCode::kInvalidInput) return {e.what(), e.reason()};
    return {"wrong code", e.reason()};
  }
  return {};
}

// A fake filesystem root holding the given files.
struct FakeRoot {
  fs::path dir;
  explicit FakeRoot(std::initializer_list<std::pair<const char*, const char*>> files) {
    static int n = 0;
    dir = fs::temp_directory_path() / ("cappy-cgroup-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    for (const auto& [path, text] : files) {
      fs::create_directories((dir / path).parent_path());
      std::ofstream(dir / path) << text << "\n";
    }
  }
  ~FakeRoot() { fs::remove_all(dir); }
};

}  // namespace

CAPPY_TEST(load_defaults_are_the_documented_ones_and_the_planners) {
  const cappy::LoadConfig c = cappy::DefaultLoadConfig();
  const cappy::PlanOptions plan;  // PlanOptions' own initializers must agree
  CHECK_EQ(c.max_batch_tokens, cappy::LoadDefaults::kMaxBatchTokens);
  CHECK_EQ(plan.max_batch_tokens, cappy::LoadDefaults::kMaxBatchTokens);
  CHECK_EQ(plan.max_batch_size, cappy::LoadDefaults::kMaxBatchSize);
  CHECK_EQ(plan.pad_multiple, cappy::LoadDefaults::kPadMultiple);
  CHECK_EQ(c.intra_op_threads, cappy::UsableCores());
  const uint32_t half = cappy::UsableCores() / 2;
  CHECK_EQ(c.tokenizer_threads, half > 0 ? half : 1u);
  CHECK(!c.max_length && !c.io_binding && !c.batches_in_flight);
  // The C ABI's defaults are the same config.
  const cappy_load_params p = cappy_load_default_params();
  CHECK_EQ(static_cast<uint32_t>(p.intra_op_threads), c.intra_op_threads);
  CHECK_EQ(p.tokenizer_threads, c.tokenizer_threads);
  CHECK_EQ(p.max_batch_tokens, c.max_batch_tokens);
  CHECK_EQ(p.max_batch_size, c.max_batch_size);
  CHECK_EQ(p.pad_multiple, c.pad_multiple);
  CHECK_EQ(p.max_length, 0u);  // the rule: 512 lowered to the position table
}

CAPPY_TEST(load_max_length_follows_the_position_table) {
  cappy::LoadConfig c = cappy::DefaultLoadConfig();
  CHECK_EQ(cappy::ResolveLoad(c, 0).max_length, 512u);    // no config.json: Cappy's 512
  CHECK_EQ(cappy::ResolveLoad(c, 514).max_length, 512u);  // a bigger table does not raise it
  CHECK_EQ(cappy::ResolveLoad(c, 128).max_length, 128u);  // a smaller one lowers the default
  const cappy::ResolvedLoad lowered = cappy::ResolveLoad(c, 128);
  CHECK(lowered.tokenizer.strategy == cappy::TruncationStrategy::kLongestFirst);
  c.max_length = 100;
  CHECK_EQ(cappy::ResolveLoad(c, 128).max_length, 100u);
  c.max_length = 129;  // explicit and over the table: refused, with its reason
  const Refusal over = RefusalOf(c, 128);
  CHECK(over.reason == cappy::ErrorReason::kOverPositionLimit);
  CHECK(over.message.find("max_length 129 is more than this model's position table takes (128 tokens") == 0);
  CHECK_EQ(cappy::ResolveLoad(c, 0).max_length, 129u);  // unknown table: nothing to check against
}

CAPPY_TEST(load_gpu_defaults_and_refusals) {
  cappy::LoadConfig c = cappy::DefaultLoadConfig();
  cappy::ResolvedLoad cpu = cappy::ResolveLoad(c, 0);
  CHECK(!cpu.session.io_binding);
  CHECK_EQ(cpu.session.batches_in_flight, 1u);
  CHECK_EQ(cpu.session.intra_op_threads, static_cast<int>(c.intra_op_threads));
  c.execution_provider = "cuda";
  cappy::ResolvedLoad cuda = cappy::ResolveLoad(c, 0);
  CHECK(cuda.session.io_binding);
  CHECK_EQ(cuda.session.batches_in_flight, 2u);
  c.io_binding = false;
  c.batches_in_flight = 3;
  cuda = cappy::ResolveLoad(c, 0);
  CHECK(!cuda.session.io_binding);
  CHECK_EQ(cuda.session.batches_in_flight, 3u);
  c.execution_provider = "tpu";
  CHECK(RefusalOf(c, 0).message.find("execution_provider must be cpu, cuda or tensorrt (got 'tpu')") == 0);
  c = cappy::DefaultLoadConfig();
  c.pad_multiple = 0;
  CHECK(RefusalOf(c, 0).message.find("pad_multiple") != std::string::npos);
  c = cappy::DefaultLoadConfig();
  c.intra_op_threads = 0;
  CHECK(RefusalOf(c, 0).message.find("intra_op_threads") != std::string::npos);
}

CAPPY_TEST(load_tensorrt_profile_spans_every_batch_the_planner_can_cut) {
  cappy::LoadConfig c = cappy::DefaultLoadConfig();
  c.execution_provider = "tensorrt";
  const cappy::SessionOptions so = cappy::ResolveLoad(c, 0).session;
  // Smallest: one row of one pad multiple. Largest: the row cap (64, under
  // 16384 / 8) at 512 tokens. Optimal: rows of 128 tokens, as many as the
  // token budget takes (16384 / 128 = 128, capped at 64 rows).
  CHECK_EQ(so.trt_min_shape[0], 1u);
  CHECK_EQ(so.trt_min_shape[1], 8u);
  CHECK_EQ(so.trt_max_shape[0], 64u);
  CHECK_EQ(so.trt_max_shape[1], 512u);
  CHECK_EQ(so.trt_opt_shape[0], 64u);
  CHECK_EQ(so.trt_opt_shape[1], 128u);
  // A small position table and a tight token budget shrink it: max 100 rounds
  // up to 104; 1000 tokens hold 125 rows of 8 (capped at 64), 9 rows of 104.
  c.max_batch_tokens = 1000;
  const cappy::SessionOptions small = cappy::ResolveLoad(c, 100).session;
  CHECK_EQ(small.trt_max_shape[1], 104u);
  CHECK_EQ(small.trt_max_shape[0], 64u);
  CHECK_EQ(small.trt_opt_shape[1], 104u);
  CHECK_EQ(small.trt_opt_shape[0], 9u);
}

CAPPY_TEST(cpu_quota_v2_takes_the_tightest_cpu_max_on_the_path_to_the_root) {
  const FakeRoot root({{"proc/self/cgroup", "0::/kubepods/pod1/ctr"},
                       {"sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "max 100000"},
                       {"sys/fs/cgroup/kubepods/pod1/cpu.max", "250000 100000"},
                       {"sys/fs/cgroup/kubepods/cpu.max", "800000 100000"}});
  CHECK_EQ(cappy::CgroupCpuLimit(root.dir.string()).value_or(-1), 2.5);
  CHECK_EQ(cappy::UsableCores(root.dir.string(), 64), 2u);  // rounded down for threads
  CHECK_EQ(cappy::UsableCores(root.dir.string(), 1), 1u);   // the affinity mask is tighter
}

CAPPY_TEST(cpu_quota_v1_reads_cfs_quota_and_period_and_minus_one_is_none) {
  const FakeRoot limited({{"proc/self/cgroup", "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n0::/"},
                          {"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "150000"},
                          {"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000"},
                          {"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1"},
                          {"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000"}});
  CHECK_EQ(cappy::CgroupCpuLimit(limited.dir.string()).value_or(-1), 1.5);
  CHECK_EQ(cappy::UsableCores(limited.dir.string(), 16), 1u);
  const FakeRoot free({{"proc/self/cgroup", "1:cpu:/"},
                       {"sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1"},
                       {"sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000"}});
  CHECK(!cappy::CgroupCpuLimit(free.dir.string()));
  CHECK_EQ(cappy::UsableCores(free.dir.string(), 16), 16u);
}

CAPPY_TEST(cpu_quota_under_one_cpu_still_gives_one_thread_and_unreadable_means_none) {
  const FakeRoot tiny({{"proc/self/cgroup", "0::/"}, {"sys/fs/cgroup/cpu.max", "50000 100000"}});
  CHECK_EQ(cappy::CgroupCpuLimit(tiny.dir.string()).value_or(-1), 0.5);
  CHECK_EQ(cappy::UsableCores(tiny.dir.string(), 8), 1u);
  const FakeRoot empty({});
  CHECK_EQ(cappy::UsableCores(empty.dir.string(), 8), 8u);
  CHECK(cappy::UsableCores() >= 1u);  // this machine, whatever it is
}

CAPPY_TEST(error_lists_have_one_spelling_on_every_side) {
  // The C statuses are the core's codes, value for value, and their names follow.
  CHECK_EQ(static_cast<int>(CAPPY_ERR_MODEL_LOAD), static_cast<int>(cappy::ErrorCode::kModelLoad));
  CHECK_EQ(static_cast<int>(CAPPY_ERR_INTERNAL), static_cast<int>(cappy::ErrorCode::kInternal));
  CHECK_EQ(std::string(cappy_status_name(CAPPY_ERR_DEVICE_UNAVAILABLE)), std::string("CAPPY_ERR_DEVICE_UNAVAILABLE"));
  CHECK_EQ(std::string(cappy::ErrorCodeName(cappy::ErrorCode::kDeviceUnavailable)), std::string("DEVICE_UNAVAILABLE"));
  CHECK_EQ(std::string(cappy::ErrorReasonName(cappy::ErrorReason::kOnnxMissing)), std::string("onnx_missing"));
  CHECK_EQ(std::string(cappy::ErrorReasonName(cappy::ErrorReason::kNone)), std::string(""));
  // A foreign exception is INTERNAL, as the C ABI and the Node addon report it.
  CHECK(cappy::DescribeException(std::bad_alloc()).code == cappy::ErrorCode::kInternal);
  CHECK(cappy::DescribeException(std::runtime_error("x")).code == cappy::ErrorCode::kInternal);
  const cappy::ErrorInfo kept =
      cappy::DescribeException(cappy::Error(cappy::ErrorCode::kTokenizer, "t", cappy::ErrorReason::kConfigInvalid));
  CHECK(kept.code == cappy::ErrorCode::kTokenizer && kept.reason == cappy::ErrorReason::kConfigInvalid);
}

CAPPY_TEST(ort_messages_lose_source_locations_and_signatures) {
  CHECK_EQ(cappy::ort::CleanOrtMessage(
               "Load model from /m/model.onnx failed:/onnxruntime_src/onnxruntime/core/graph/model.cc:177 "
               "onnxruntime::Model::Model(onnx::ModelProto&&, const onnxruntime::PathString&, const "
               "onnxruntime::IOnnxRuntimeOpSchemaRegistryList*, const onnxruntime::logging::Logger&, const "
               "onnxruntime::ModelOptions&) ModelProto does not have a graph.\n"),
           std::string("Load model from /m/model.onnx failed: ModelProto does not have a graph."));
  CHECK_EQ(cappy::ort::CleanOrtMessage("/src/a/b.h:12 void onnxruntime::F(int) const x is wrong Stacktrace:\nframe 1"),
           std::string("x is wrong"));
  // Messages without ORT's decorations pass through; a path to a model file stays.
  CHECK_EQ(cappy::ort::CleanOrtMessage("Load model from /m/model.onnx failed:Protobuf parsing failed."),
           std::string("Load model from /m/model.onnx failed:Protobuf parsing failed."));
}
