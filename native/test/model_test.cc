// The model folder reader: which ONNX file for a dtype or for 'auto' (the
// order docs/dtypes.md gives), config.json's position table and forged
// label, and messages that say what is missing.
#include <filesystem>
#include <fstream>
#include <string>

#include "cappy/cappy.h"
#include "check.h"

namespace fs = std::filesystem;

namespace {

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A scratch folder under the test's working directory, removed at scope end.
struct Folder {
  fs::path dir;
  explicit Folder(const std::string& name) : dir(fs::absolute(name)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Folder() { fs::remove_all(dir); }
};

std::string LoadError(const std::string& dir, const cappy::ModelSelection& s = {}) {
  try {
    cappy::OpenModelFolder(dir, s);
  } catch (const cappy::Error& e) {
    return e.code() == cappy::ErrorCode::kModelLoad ? e.what() : "wrong code";
  }
  return "";
}

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

CAPPY_TEST(model_config_position_limits) {
  // RoBERTa's 514 rows hold 512 tokens (positions start after pad id 1); BERT's 512 hold 512.
  CHECK_EQ(cappy::ParseConfigJson(R"({"model_type": "roberta", "max_position_embeddings": 514, "pad_token_id": 1})")
               .position_limit,
           512u);
  CHECK_EQ(cappy::ParseConfigJson(R"({"model_type": "xlm-roberta", "max_position_embeddings": 514})").position_limit,
           512u);
  CHECK_EQ(cappy::ParseConfigJson(R"({"model_type": "bert", "max_position_embeddings": 512, "pad_token_id": 0})")
               .position_limit,
           512u);
  CHECK_EQ(cappy::ParseConfigJson(R"({"model_type": "bert"})").position_limit, 0u);
  const cappy::ModelConfig c = cappy::ParseConfigJson(
      R"({"architectures": ["RobertaForSequenceClassification"], "cappy_forged": {"preset": "tiny", "seed": 3}})");
  CHECK(c.forged);
  CHECK_EQ(c.forged_preset, std::string("tiny"));
  CHECK_EQ(c.forged_seed, int64_t(3));
  CHECK_EQ(c.forged_note, std::string("random weights, not Cappy"));
  CHECK_EQ(c.architectures.size(), size_t(1));
  CHECK(!cappy::ParseConfigJson("{}").forged);
  CHECK_THROWS(cappy::ParseConfigJson("[1]"));
  CHECK_THROWS(cappy::ParseConfigJson("{"));
}

CAPPY_TEST(model_folder_picks_the_graph_for_the_dtype) {
  Folder f("cappy_model_test_folder");
  CHECK(Has(LoadError(f.dir.string()), "no ONNX model in " + f.dir.string() + " for dtype fp32"));
  Write(f.dir / "onnx/model.onnx", "x");
  Write(f.dir / "onnx/model_quantized.onnx", "x");  // transformers.js's q8 counts as int8
  CHECK(Has(LoadError(f.dir.string()), "no tokenizer.json in"));
  Write(f.dir / "tokenizer.json", "{}");

  const cappy::ModelFolder plain = cappy::OpenModelFolder(f.dir.string());
  CHECK_EQ(plain.onnx_path, (f.dir / "onnx/model.onnx").string());
  CHECK_EQ(plain.dtype_choice, std::string("default fp32"));
  CHECK(!plain.config);

  cappy::ModelSelection automatic;
  automatic.auto_dtype = true;
  const cappy::ModelFolder cpu = cappy::OpenModelFolder(f.dir.string() + "/", automatic);
  CHECK_EQ(cpu.dir, f.dir.string());
  CHECK_EQ(cpu.onnx_path, (f.dir / "onnx/model_quantized.onnx").string());
  CHECK_EQ(cpu.dtype_choice, std::string("auto on cpu: int8 (also here: fp32)"));
  automatic.gpu = true;
  const cappy::ModelFolder gpu = cappy::OpenModelFolder(f.dir.string(), automatic);
  CHECK(gpu.dtype == cappy::ModelDType::kFp32);  // no fp16 here: fp32 before int8 on a GPU

  cappy::ModelSelection fp16;
  fp16.dtype = cappy::ModelDType::kFp16;
  const std::string missing = LoadError(f.dir.string(), fp16);
  CHECK(Has(missing, "for dtype fp16 (looked for onnx/model_fp16.onnx; dtypes here: fp32, int8)"));
  CHECK(Has(missing, "Or load with dtype auto."));
  CHECK(!Has(missing, "cappy forge"));  // neutral: C hosts read it too

  cappy::ModelSelection named;
  named.onnx_file = "onnx/../onnx/model_quantized.onnx";
  const cappy::ModelFolder by_name = cappy::OpenModelFolder(f.dir.string(), named);
  CHECK(by_name.dtype == cappy::ModelDType::kInt8);
  CHECK_EQ(by_name.dtype_choice, std::string("onnxFile onnx/../onnx/model_quantized.onnx"));
  named.onnx_file = "elsewhere.onnx";
  CHECK(Has(LoadError(f.dir.string(), named),
            "no ONNX model at " + (f.dir / "elsewhere.onnx").string() + " (the ONNX file asked for)"));

  Write(f.dir / "config.json", R"({"model_type": "roberta", "max_position_embeddings": 130})");
  const cappy::ModelFolder configured = cappy::OpenModelFolder(f.dir.string());
  CHECK(configured.config && configured.config->position_limit == 128u);
  Write(f.dir / "config.json", "{ nope");
  CHECK(Has(LoadError(f.dir.string()), "config.json in " + f.dir.string() + " is not valid JSON"));

  CHECK(Has(LoadError((f.dir / "absent").string()), "model folder not found"));
  CHECK(Has(LoadError((f.dir / "tokenizer.json").string()), "model path is not a folder"));
}
