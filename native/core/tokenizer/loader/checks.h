// What every tokenizer.json reader shares (the top level in tokenizer_json.cc
// and each stage's own reader, models/model_json.cc and its siblings): one
// error type and message prefix ("tokenizer.json: <field> must ..."), and the
// small checks they all make, so every part of the file is refused the same
// way and every refusal names the field.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cappy/cappy.h"
#include "json/json.h"
#include "tokenizer/stage_names.h"

namespace cappy::tok::load {

// Throws Error(kTokenizer, "tokenizer.json: " + message).
[[noreturn]] void Fail(const std::string& message);

// An optional boolean field: absent or null gives `dflt`; anything else but a boolean fails.
bool OptBool(json::Object o, std::string_view key, const std::string& where, bool dflt);

// The value as an object, if it is one.
std::optional<json::Object> AsObject(const std::optional<json::Value>& v);

// A stage object's "type", looked up in `types` (tokenizer.json's names);
// refuses "<where>.type must be "A", "B" or "C" (got ...)".
template <class E, size_t N>
E ReadType(json::Object o, const std::string& where, const Named<E> (&types)[N]) {
  const std::optional<json::Value> type = json::Field(o, "type");
  const std::optional<std::string_view> name = type ? json::String(*type) : std::nullopt;
  if (name) {
    if (const std::optional<E> found = FindIn(types, *name)) return *found;
  }
  Fail(where + ".type must be " + Listed(types) + " (got " + json::Render(type) + ")");
}

}  // namespace cappy::tok::load
