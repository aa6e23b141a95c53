// config.json -> ModelConfig: only what the engine uses (the family, the
// position table, the forged label). Everything else in the file is the
// model's business and is left alone, so any transformers config loads.
#include "model/config_json.h"

namespace cappy {

namespace {

std::string StringOr(const std::optional<json::Value>& v, std::string dflt) {
  if (!v) return dflt;
  if (const std::optional<std::string_view> s = json::String(*v)) return std::string(*s);
  return json::Render(*v);  // a number or the like: its JSON text, as String() showed it
}

bool Truthy(json::Value v) {
  switch (v.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return false;
    case simdjson::dom::element_type::BOOL:
      return bool(v);
    case simdjson::dom::element_type::STRING:
      return !std::string_view(v).empty();
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      return json::Number(v) != 0.0;
    default:
      return true;
  }
}

// The JSON reader's refusals (unreadable, not JSON) carry the reason too.
template <class Read>
ModelConfig WithConfigReason(Read&& read) {
  try {
    return read();
  } catch (const Error& e) {
    if (e.reason() != ErrorReason::kNone) throw;
    throw Error(e.code(), e.what(), ErrorReason::kConfigInvalid);
  }
}

}  // namespace

ModelConfig ParseConfigJson(std::string_view text, const std::string& what) {
  return WithConfigReason([&] {
    const json::Document doc(text, ErrorCode::kModelLoad, what);
    return model::ReadConfig(doc.root(), what);
  });
}

namespace model {

ModelConfig ReadConfigFile(const std::string& path, const std::string& what) {
  return WithConfigReason([&] {
    const std::unique_ptr<json::Document> doc = json::Document::Load(path, ErrorCode::kModelLoad, what);
    return ReadConfig(doc->root(), what);
  });
}

ModelConfig ReadConfig(json::Value root_value, const std::string& what) {
  if (!json::IsObject(root_value)) {
    throw Error(ErrorCode::kModelLoad, what + " must be a JSON object", ErrorReason::kConfigInvalid);
  }
  const json::Object root(root_value);
  ModelConfig out;
  if (const std::optional<json::Value> type = json::Present(root, "model_type")) out.model_type = StringOr(type, "");
  if (const std::optional<json::Value> archs = json::Present(root, "architectures"); archs && json::IsArray(*archs)) {
    for (const json::Value a : json::Array(*archs)) {
      if (const std::optional<std::string_view> s = json::String(a)) out.architectures.emplace_back(*s);
    }
  }
  if (const std::optional<json::Value> rows = json::Present(root, "max_position_embeddings")) {
    const std::optional<int32_t> n = json::Id(*rows);
    if (n && *n > 0) out.max_position_embeddings = static_cast<uint32_t>(*n);
  }
  if (const std::optional<json::Value> pad = json::Present(root, "pad_token_id")) {
    const std::optional<double> d = json::Number(*pad);
    if (d && *d == static_cast<double>(static_cast<int64_t>(*d))) out.pad_token_id = static_cast<int64_t>(*d);
  }
  if (out.max_position_embeddings > 0) {
    const bool offset_family =
        out.model_type == "roberta" || out.model_type == "xlm-roberta" || out.model_type == "camembert";
    const int64_t limit = offset_family ? int64_t(out.max_position_embeddings) - out.pad_token_id.value_or(1) - 1
                                        : int64_t(out.max_position_embeddings);
    out.position_limit = limit > 0 && limit <= UINT32_MAX ? static_cast<uint32_t>(limit) : 0;
  }
  if (const std::optional<json::Value> forged = json::Field(root, "cappy_forged"); forged && Truthy(*forged)) {
    out.forged = true;
    const std::optional<json::Object> label =
        json::IsObject(*forged) ? std::optional<json::Object>(json::Object(*forged)) : std::nullopt;
    out.forged_preset = StringOr(label ? json::Present(*label, "preset") : std::nullopt, "unknown");
    out.forged_note = StringOr(label ? json::Present(*label, "note") : std::nullopt, "random weights, not Cappy");
    const std::optional<json::Value> seed = label ? json::Present(*label, "seed") : std::nullopt;
    const std::optional<double> d = seed ? json::Number(*seed) : std::nullopt;
    if (d && *d == static_cast<double>(static_cast<int64_t>(*d))) out.forged_seed = static_cast<int64_t>(*d);
  }
  return out;
}

}  // namespace model
}  // namespace cappy
