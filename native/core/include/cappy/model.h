// cappy-engine core: reading a model folder (config.json, which ONNX file) (part of cappy/cappy.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cappy/error.h"

namespace cappy {

// ---------------------------------------------------------------- load: model folder
// A model folder is the HF layout transformers.js also reads: config.json,
// tokenizer.json, onnx/model.onnx, and onnx/model_fp16.onnx,
// onnx/model_int8.onnx (or transformers.js's onnx/model_quantized.onnx) when
// made. Finding a folder from a hub id, and the cache, stay with the caller.
enum class ModelDType { kFp32, kFp16, kInt8 };
const char* ModelDTypeName(ModelDType dtype) noexcept;  // "fp32", "fp16", "int8"
// "fp32", "fp16" or "int8" -> the dtype; nullopt for anything else.
std::optional<ModelDType> ParseModelDType(std::string_view name) noexcept;

// What the engine reads from config.json.
struct ModelConfig {
  std::string model_type;  // "" when the file has none
  std::vector<std::string> architectures;
  uint32_t max_position_embeddings = 0;  // 0 when the file has none
  std::optional<int64_t> pad_token_id;
  // The longest encoding, special tokens included, the position table takes:
  // RoBERTa-family positions (roberta, xlm-roberta, camembert) start after
  // pad_token_id (514 rows: 512 tokens); BERT's at 0. 0 when unknown.
  uint32_t position_limit = 0;
  // `cappy_forged`: the weights are random (made by `cappy forge`), and every
  // surface that reports scores must say so.
  bool forged = false;
  std::string forged_preset;  // "unknown" when the label has none
  int64_t forged_seed = 0;
  std::string forged_note;  // "random weights, not Cappy" when the label has none
};

// config.json text -> ModelConfig. Throws Error(kModelLoad) "<what> is not
// valid JSON: ..." or "<what> must be a JSON object".
ModelConfig ParseConfigJson(std::string_view json, const std::string& what = "config.json");

// Which graph to load.
struct ModelSelection {
  // A file by name, relative to the folder (or absolute); wins over dtype.
  std::string onnx_file;
  // Unset: fp32.
  std::optional<ModelDType> dtype;
  // The best graph the folder has: int8, fp32, fp16 on the CPU (int8 runs on
  // integer units; ORT's x86 fp16 MatMul goes through casts); fp16, fp32,
  // int8 with `gpu` (tensor cores; int8 has no CUDA kernel). Wins over dtype.
  bool auto_dtype = false;
  bool gpu = false;
};

struct ModelFolder {
  std::string dir;  // absolute
  std::string onnx_path;
  std::string tokenizer_path;
  std::optional<ModelConfig> config;  // config.json is optional
  // The chosen graph's number format; unset for an onnx_file whose name does not say.
  std::optional<ModelDType> dtype;
  std::string dtype_choice;  // why this file, e.g. "auto on cpu: int8 (also here: fp32)"
  std::vector<ModelDType> dtypes_present;
};

// Reads a folder: which ONNX file, config.json, tokenizer.json's path.
// Throws Error(kModelLoad) naming what is missing: the folder, tokenizer.json,
// a graph for the dtype (listing those present), or a readable config.json.
ModelFolder OpenModelFolder(const std::string& dir, const ModelSelection& selection = {});

}  // namespace cappy
