// A model folder: which ONNX file holds which number format (the names
// transformers.js reads, so one folder serves both), which one to load for a
// dtype or for 'auto', and config.json. The messages say what is missing and
// what the folder does have.
#include <filesystem>

#include "model/config_json.h"

namespace cappy {

namespace fs = std::filesystem;

namespace {

constexpr ModelDType kAllDTypes[] = {ModelDType::kFp32, ModelDType::kFp16, ModelDType::kInt8};

// Files a folder may hold for each dtype, best first, relative to the folder.
// model_quantized.onnx is transformers.js's q8 (8-bit dynamic quantization by
// optimum); it runs on ORT's CPU kernels the same way our int8 does.
std::vector<std::string> Candidates(ModelDType dtype) {
  switch (dtype) {
    case ModelDType::kFp16:
      return {"onnx/model_fp16.onnx"};
    case ModelDType::kInt8:
      return {"onnx/model_int8.onnx", "onnx/model_quantized.onnx"};
    case ModelDType::kFp32:
      break;
  }
  return {"onnx/model.onnx", "model.onnx"};
}

// dtype 'auto', best first. CPU: int8 first (its MatMuls run on the integer
// units, VNNI/AMX where present, measured faster than fp32: docs/dtypes.md);
// fp16 last (ORT's x86 CPU kernels have no fp16 MatMul, so an fp16 graph runs
// through inserted casts). GPU: fp16 first (tensor cores); int8 last
// (DynamicQuantizeMatMul has no CUDA kernel, so ORT would run it on the CPU).
constexpr ModelDType kCpuAutoOrder[] = {ModelDType::kInt8, ModelDType::kFp32, ModelDType::kFp16};
constexpr ModelDType kGpuAutoOrder[] = {ModelDType::kFp16, ModelDType::kFp32, ModelDType::kInt8};

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

std::optional<std::string> FirstPresent(const fs::path& dir, ModelDType dtype) {
  for (const std::string& c : Candidates(dtype)) {
    if (IsFile(dir / c)) return (dir / c).string();
  }
  return std::nullopt;
}

std::string Join(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < parts.size(); i++) out += (i ? sep : "") + parts[i];
  return out;
}

std::string Names(const std::vector<ModelDType>& dtypes) {
  std::vector<std::string> names;
  for (const ModelDType d : dtypes) names.emplace_back(ModelDTypeName(d));
  return Join(names);
}

[[noreturn]] void Missing(const std::string& message, ErrorReason reason) {
  throw Error(ErrorCode::kModelLoad, message, reason);
}

void ChooseGraph(const fs::path& dir, const ModelSelection& select, ModelFolder& out) {
  // Neutral: C hosts read this too. The Node layer adds its CLI's commands
  // (lib/model/model-dir.ts).
  const std::string make = "Export the model to ONNX under one of those names.";
  if (!select.onnx_file.empty()) {
    const fs::path path = (dir / select.onnx_file).lexically_normal();
    if (!IsFile(path)) {
      Missing("no ONNX model at " + path.string() + " (the ONNX file asked for). " + make, ErrorReason::kOnnxMissing);
    }
    out.onnx_path = path.string();
    for (const ModelDType d : kAllDTypes) {
      for (const std::string& c : Candidates(d)) {
        if ((dir / c).lexically_normal() == path && !out.dtype) out.dtype = d;
      }
    }
    out.dtype_choice = "onnxFile " + select.onnx_file;
    return;
  }
  const std::string here = out.dtypes_present.empty() ? "none" : Names(out.dtypes_present);
  if (select.auto_dtype) {
    for (const ModelDType d : select.gpu ? kGpuAutoOrder : kCpuAutoOrder) {
      const std::optional<std::string> path = FirstPresent(dir, d);
      if (!path) continue;
      std::vector<ModelDType> others;
      for (const ModelDType o : out.dtypes_present) {
        if (o != d) others.push_back(o);
      }
      out.onnx_path = *path;
      out.dtype = d;
      out.dtype_choice = std::string("auto on ") + (select.gpu ? "gpu" : "cpu") + ": " + ModelDTypeName(d) +
                         (others.empty() ? "" : " (also here: " + Names(others) + ")");
      return;
    }
    std::vector<std::string> all;
    for (const ModelDType d : kAllDTypes) all.push_back(Join(Candidates(d)));
    Missing("no ONNX model in " + dir.string() + " (looked for " + Join(all) + "). " + make, ErrorReason::kOnnxMissing);
  }
  const ModelDType want = select.dtype.value_or(ModelDType::kFp32);
  const std::optional<std::string> path = FirstPresent(dir, want);
  if (!path) {
    Missing("no ONNX model in " + dir.string() + " for dtype " + ModelDTypeName(want) + " (looked for " +
                Join(Candidates(want)) + "; dtypes here: " + here + "). " + make +
                (out.dtypes_present.empty() ? "" : " Or load with dtype auto."),
            ErrorReason::kOnnxMissing);
  }
  out.onnx_path = *path;
  out.dtype = want;
  out.dtype_choice = select.dtype ? std::string("dtype ") + ModelDTypeName(want) : "default fp32";
}

}  // namespace

const char* ModelDTypeName(ModelDType dtype) noexcept {
  switch (dtype) {
    case ModelDType::kFp16:
      return "fp16";
    case ModelDType::kInt8:
      return "int8";
    case ModelDType::kFp32:
      break;
  }
  return "fp32";
}

std::optional<ModelDType> ParseModelDType(std::string_view name) noexcept {
  for (const ModelDType d : kAllDTypes) {
    if (name == ModelDTypeName(d)) return d;
  }
  return std::nullopt;
}

ModelFolder OpenModelFolder(const std::string& dir_name, const ModelSelection& selection) {
  std::error_code ec;
  const fs::path dir = fs::absolute(dir_name, ec).lexically_normal();
  if (ec || !fs::exists(dir, ec)) Missing("model folder not found: " + dir.string(), ErrorReason::kFolderNotFound);
  if (!fs::is_directory(dir, ec)) Missing("model path is not a folder: " + dir.string(), ErrorReason::kFolderNotFound);
  ModelFolder out;
  out.dir = dir.string();
  // lexically_normal keeps a trailing separator ("a/b/" -> "a/b/"); the folder's name has none.
  if (out.dir.size() > 1 && out.dir.back() == fs::path::preferred_separator) out.dir.pop_back();
  for (const ModelDType d : kAllDTypes) {
    if (FirstPresent(dir, d)) out.dtypes_present.push_back(d);
  }
  ChooseGraph(fs::path(out.dir), selection, out);
  const fs::path tokenizer = fs::path(out.dir) / "tokenizer.json";
  if (!IsFile(tokenizer)) Missing("no tokenizer.json in " + out.dir, ErrorReason::kTokenizerMissing);
  out.tokenizer_path = tokenizer.string();
  const fs::path config = fs::path(out.dir) / "config.json";
  if (IsFile(config)) {
    out.config = model::ReadConfigFile(config.string(), "config.json in " + out.dir);
  }
  return out;
}

}  // namespace cappy
