// The checks every tokenizer.json reader shares (checks.h).
#include "tokenizer/loader/checks.h"

namespace cappy::tok::load {

void Fail(const std::string& message) { throw Error(ErrorCode::kTokenizer, "tokenizer.json: " + message); }

bool OptBool(json::Object o, std::string_view key, const std::string& where, bool dflt) {
  const std::optional<json::Value> v = json::Present(o, key);
  if (!v) return dflt;
  if (v->type() != simdjson::dom::element_type::BOOL) Fail(where + "." + std::string(key) + " must be a boolean");
  return bool(*v);
}

std::optional<json::Object> AsObject(const std::optional<json::Value>& v) {
  if (!v || !json::IsObject(*v)) return std::nullopt;
  return json::Object(*v);
}

}  // namespace cappy::tok::load
