#include <cstdio>
#include <exception>
#include <stdexcept>

#include "check.h"

namespace cappy_test {

std::vector<TestCase>& Registry() {
  static std::vector<TestCase> tests;
  return tests;
}

namespace {
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace

void Fail(const char* file, int line, const std::string& what) {
  throw Failure(std::string(file) + ":" + std::to_string(line) + ": " + what);
}

}  // namespace cappy_test

int main() {
  int failed = 0;
  int passed = 0;
  for (const auto& test : cappy_test::Registry()) {
    try {
      test.body();
      ++passed;
      std::printf("ok   %s\n", test.name);
    } catch (const std::exception& e) {
      ++failed;
      std::printf("FAIL %s\n     %s\n", test.name, e.what());
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
