// Compiled with -std=c++14 by a ctest (CMakeLists.txt): cappy_c.hpp must
// refuse with its own #error, naming C++17, before any standard-library error.
#include "cappy/cappy_c.hpp"
