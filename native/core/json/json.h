// Reading the JSON files the core loads (tokenizer.json, config.json) with
// simdjson's DOM API (see docs/architecture.md for why that library), plus
// the few helpers every reader needs. Two rules follow JavaScript's JSON.parse,
// which read these files before the core did, so files load as they did:
// the last of duplicate keys wins, and an integral number written as 1.0 or
// 1e2 is that integer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cappy/cappy.h"
#include "simdjson.h"

namespace cappy::json {

using Value = simdjson::dom::element;
using Object = simdjson::dom::object;
using Array = simdjson::dom::array;

// One parsed file. Values point into it, so it must outlive them.
class Document {
 public:
  // `what` names the file in errors: Error(code, "<what> is not valid JSON: <reason>").
  Document(std::string_view text, ErrorCode code, const std::string& what);
  Document(const Document&) = delete;  // values point at the parser inside
  Document& operator=(const Document&) = delete;
  // Reads and parses a file: Error(code, "cannot read <path>: <reason>") when it cannot be read.
  static std::unique_ptr<Document> Load(const std::string& path, ErrorCode code, const std::string& what);

  Value root() const { return root_; }

 private:
  Document() = default;
  void Parse(const char* data, size_t size, bool padded, ErrorCode code, const std::string& what);

  simdjson::dom::parser parser_;
  Value root_;
};

bool IsObject(Value v);
bool IsArray(Value v);
bool IsString(Value v);
bool IsNull(Value v);

// The value of `key`: the last one when the key repeats; nullopt when absent.
std::optional<Value> Field(Object o, std::string_view key);
// The same, with null read as absent (TypeScript's `?? default`).
std::optional<Value> Present(Object o, std::string_view key);

// A number as a double, if the value is one.
std::optional<double> Number(Value v);
// A non-negative int32 (a token id), if the value is one.
std::optional<int32_t> Id(Value v);
std::optional<std::string_view> String(Value v);

// JSON text of a value or a string, for messages: (got "WordLevel").
std::string Render(Value v);
std::string Render(const std::optional<Value>& v);  // nullopt: "nothing"
std::string Quote(std::string_view s);

}  // namespace cappy::json
