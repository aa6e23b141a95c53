#include "js_args.h"

#include "errors.h"

namespace cappy_node {

void Invalid(Napi::Env env, const std::string& message) {
  throw MakeError(env, cappy::ErrorCode::kInvalidInput, message);
}

std::string ReadString(const Napi::Value& v, const std::string& what) {
  if (!v.IsString()) Invalid(v.Env(), what + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool ReadBool(const Napi::Value& v, const std::string& what) {
  if (!v.IsBoolean()) Invalid(v.Env(), what + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

int64_t ReadInt(const Napi::Value& v, const std::string& what, int64_t lo, int64_t hi) {
  if (!v.IsNumber()) Invalid(v.Env(), what + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) ||
      d != static_cast<double>(static_cast<int64_t>(d))) {
    Invalid(v.Env(), what + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return static_cast<int64_t>(d);
}

Napi::Object ReadObject(const Napi::Value& v, const std::string& what) {
  if (!v.IsObject() || v.IsArray()) Invalid(v.Env(), what + " must be an object");
  return v.As<Napi::Object>();
}

std::vector<std::string> ReadStrings(const Napi::Value& v, const std::string& what) {
  if (!v.IsArray()) Invalid(v.Env(), what + " must be an array");
  const Napi::Array array = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i)
    out.push_back(ReadString(array.Get(i), what + "[" + std::to_string(i) + "]"));
  return out;
}

std::string StringField(const Napi::Object& o, const char* key, const std::string& where) {
  return ReadString(o.Get(key), where + "." + key);
}

bool BoolField(const Napi::Object& o, const char* key, const std::string& where) {
  return ReadBool(o.Get(key), where + "." + key);
}

int64_t IntField(const Napi::Object& o, const char* key, const std::string& where, int64_t lo, int64_t hi) {
  return ReadInt(o.Get(key), where + "." + key, lo, hi);
}

Napi::Object ObjectField(const Napi::Object& o, const char* key, const std::string& where) {
  return ReadObject(o.Get(key), where + "." + key);
}

std::vector<std::pair<std::string, std::string>> StringMapField(const Napi::Object& o, const char* key,
                                                                const std::string& where) {
  const std::string what = where + "." + key;
  const Napi::Object map = ObjectField(o, key, where);
  const Napi::Array keys = map.GetPropertyNames();
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(keys.Length());
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string name = ReadString(keys.Get(i), what + " key");
    out.emplace_back(name, StringField(map, name.c_str(), what));
  }
  return out;
}

}  // namespace cappy_node
