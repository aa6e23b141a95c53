// Binding for cappy::OpenModelFolder: which ONNX file, config.json, where
// tokenizer.json is. Small files and stat calls, so it answers synchronously.
#include "model_binding.h"

#include <string>

#include "cappy/cappy.h"
#include "errors.h"
#include "js_args.h"

namespace cappy_node {

namespace {

Napi::Value ConfigToJs(Napi::Env env, const cappy::ModelConfig& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("modelType", c.model_type);
  Napi::Array archs = Napi::Array::New(env, c.architectures.size());
  for (size_t i = 0; i < c.architectures.size(); ++i) archs.Set(static_cast<uint32_t>(i), c.architectures[i]);
  o.Set("architectures", archs);
  o.Set("maxPositionEmbeddings", c.max_position_embeddings);
  if (c.pad_token_id) o.Set("padTokenId", static_cast<double>(*c.pad_token_id));
  o.Set("positionLimit", c.position_limit);
  if (c.forged) {
    Napi::Object forged = Napi::Object::New(env);
    forged.Set("preset", c.forged_preset);
    forged.Set("seed", static_cast<double>(c.forged_seed));
    forged.Set("note", c.forged_note);
    o.Set("forged", forged);
  }
  return o;
}

// readModelFolder(dir, { onnxFile: '' | name, dtype: '' | 'auto' | 'fp32' | 'fp16' | 'int8', gpu })
Napi::Value ReadModelFolder(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const std::string dir = ReadString(info[0], "readModelFolder: dir");
    const Napi::Object o = ReadObject(info[1], "selection");
    cappy::ModelSelection selection;
    selection.onnx_file = StringField(o, "onnxFile", "selection");
    const std::string dtype = StringField(o, "dtype", "selection");
    if (dtype == "auto") {
      selection.auto_dtype = true;
    } else if (!dtype.empty()) {
      selection.dtype = cappy::ParseModelDType(dtype);
      if (!selection.dtype) Invalid(env, "selection.dtype must be '', 'auto', 'fp32', 'fp16' or 'int8'");
    }
    selection.gpu = BoolField(o, "gpu", "selection");
    cappy::ModelFolder folder;
    try {
      folder = cappy::OpenModelFolder(dir, selection);
    } catch (const std::exception& e) {
      throw FromException(env, e);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("dir", folder.dir);
    out.Set("onnxPath", folder.onnx_path);
    out.Set("tokenizerPath", folder.tokenizer_path);
    if (folder.dtype) out.Set("dtype", cappy::ModelDTypeName(*folder.dtype));
    out.Set("dtypeChoice", folder.dtype_choice);
    Napi::Array present = Napi::Array::New(env, folder.dtypes_present.size());
    for (size_t i = 0; i < folder.dtypes_present.size(); ++i) {
      present.Set(static_cast<uint32_t>(i), cappy::ModelDTypeName(folder.dtypes_present[i]));
    }
    out.Set("dtypesPresent", present);
    if (folder.config) out.Set("config", ConfigToJs(env, *folder.config));
    return out;
  });
}

}  // namespace

void InitModelBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("readModelFolder", Napi::Function::New<ReadModelFolder>(env, "readModelFolder"));
}

}  // namespace cappy_node
