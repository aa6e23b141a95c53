// A minimal test registry for the core's ctest executable: no framework
// dependency, so the core tests build anywhere the core builds.
#pragma once

#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace cappy_test {

struct TestCase {
  const char* name;
  std::function<void()> body;
};

std::vector<TestCase>& Registry();
void Fail(const char* file, int line, const std::string& what);

struct Registrar {
  Registrar(const char* name, std::function<void()> body) { Registry().push_back({name, std::move(body)}); }
};

}  // namespace cappy_test

#define CAPPY_TEST_CAT2(a, b) a##b
#define CAPPY_TEST_CAT(a, b) CAPPY_TEST_CAT2(a, b)
#define CAPPY_TEST(name)                                                        \
  static void name();                                                           \
  static ::cappy_test::Registrar CAPPY_TEST_CAT(registrar_, name)(#name, name); \
  static void name()

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) ::cappy_test::Fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                   \
  do {                                                   \
    const auto& va_ = (a);                               \
    const auto& vb_ = (b);                               \
    if (!(va_ == vb_)) {                                 \
      std::ostringstream os_;                            \
      os_ << "CHECK_EQ(" #a ", " #b ")";                 \
      ::cappy_test::Fail(__FILE__, __LINE__, os_.str()); \
    }                                                    \
  } while (0)

#define CHECK_THROWS(expr)                                                          \
  do {                                                                              \
    bool threw_ = false;                                                            \
    try {                                                                           \
      (void)(expr);                                                                 \
    } catch (...) {                                                                 \
      threw_ = true;                                                                \
    }                                                                               \
    if (!threw_) ::cappy_test::Fail(__FILE__, __LINE__, "CHECK_THROWS(" #expr ")"); \
  } while (0)
