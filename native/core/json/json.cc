#include "json/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace cappy::json {

Document::Document(std::string_view text, ErrorCode code, const std::string& what) {
  Parse(text.data(), text.size(), false, code, what);
}

std::unique_ptr<Document> Document::Load(const std::string& path, ErrorCode code, const std::string& what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  auto cannot = [&](int err) { return Error(code, "cannot read " + path + ": " + std::strerror(err)); };
  if (f == nullptr) throw cannot(errno);
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  if (std::fseek(f, 0, SEEK_END) != 0) throw cannot(errno);
  const long size = std::ftell(f);
  if (size < 0) throw cannot(errno);
  std::rewind(f);
  // Read straight into simdjson's padded buffer: no second copy of a big file.
  simdjson::padded_string bytes(static_cast<size_t>(size));
  if (std::fread(bytes.data(), 1, bytes.size(), f) != bytes.size()) throw cannot(std::ferror(f) ? errno : EIO);
  std::unique_ptr<Document> doc(new Document());
  doc->Parse(bytes.data(), bytes.size(), true, code, what);
  return doc;
}

void Document::Parse(const char* data, size_t size, bool padded, ErrorCode code, const std::string& what) {
  // Unpadded text is copied into a padded buffer by simdjson (realloc_if_needed).
  const simdjson::error_code err = parser_.parse(data, size, !padded).get(root_);
  if (err != simdjson::SUCCESS) {
    throw Error(code, what + " is not valid JSON: " + simdjson::error_message(err));
  }
}

bool IsObject(Value v) { return v.type() == simdjson::dom::element_type::OBJECT; }
bool IsArray(Value v) { return v.type() == simdjson::dom::element_type::ARRAY; }
bool IsString(Value v) { return v.type() == simdjson::dom::element_type::STRING; }
bool IsNull(Value v) { return v.type() == simdjson::dom::element_type::NULL_VALUE; }

std::optional<Value> Field(Object o, std::string_view key) {
  std::optional<Value> found;
  for (const simdjson::dom::key_value_pair kv : o) {
    if (kv.key == key) found = kv.value;
  }
  return found;
}

std::optional<Value> Present(Object o, std::string_view key) {
  std::optional<Value> v = Field(o, key);
  if (v && IsNull(*v)) return std::nullopt;
  return v;
}

std::optional<double> Number(Value v) {
  switch (v.type()) {
    case simdjson::dom::element_type::INT64:
      return static_cast<double>(int64_t(v));
    case simdjson::dom::element_type::UINT64:
      return static_cast<double>(uint64_t(v));
    case simdjson::dom::element_type::DOUBLE:
      return double(v);
    default:
      return std::nullopt;
  }
}

std::optional<int32_t> Id(Value v) {
  const std::optional<double> d = Number(v);
  if (!d || !(*d >= 0 && *d <= 2147483647.0) || std::floor(*d) != *d) return std::nullopt;
  return static_cast<int32_t>(*d);
}

std::optional<std::string_view> String(Value v) {
  if (!IsString(v)) return std::nullopt;
  return std::string_view(v);
}

std::string Render(Value v) { return simdjson::to_string(v); }

std::string Render(const std::optional<Value>& v) { return v ? Render(*v) : "nothing"; }

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace cappy::json
