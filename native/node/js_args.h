// Reading JS arguments, one policy for every binding: each value is
// type-checked and a wrong one is an INVALID_INPUT error naming it. TypeScript
// validates and fills options first (with the messages users see); these
// checks only keep a bad call from JS, or a TypeScript bug, from ever
// crashing the process or reaching the core half-read.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cappy_node {

[[noreturn]] void Invalid(Napi::Env env, const std::string& message);

// `what` names the value in the message ("options.maxLength must be ...").
std::string ReadString(const Napi::Value& v, const std::string& what);
bool ReadBool(const Napi::Value& v, const std::string& what);
int64_t ReadInt(const Napi::Value& v, const std::string& what, int64_t lo, int64_t hi);
Napi::Object ReadObject(const Napi::Value& v, const std::string& what);
// An array of strings; Utf8Value replaces lone surrogates with U+FFFD, as HF's binding does.
std::vector<std::string> ReadStrings(const Napi::Value& v, const std::string& what);

// The same for a field of an object: what = where + "." + key.
std::string StringField(const Napi::Object& o, const char* key, const std::string& where);
bool BoolField(const Napi::Object& o, const char* key, const std::string& where);
int64_t IntField(const Napi::Object& o, const char* key, const std::string& where, int64_t lo, int64_t hi);
Napi::Object ObjectField(const Napi::Object& o, const char* key, const std::string& where);
// An object of string values (provider options, session config entries), as
// (key, value) pairs in property order.
std::vector<std::pair<std::string, std::string>> StringMapField(const Napi::Object& o, const char* key,
                                                                const std::string& where);

}  // namespace cappy_node
