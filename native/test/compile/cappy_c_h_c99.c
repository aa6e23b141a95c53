/* Compiled as C99 with -Wall -Wextra -Wpedantic -Werror by a ctest
 * (CMakeLists.txt): the C ABI header, statuses generated from
 * cappy/cappy_errors.h included, is plain C. */
#include "cappy/cappy_c.h"

int main(void) {
  cappy_status s = CAPPY_ERR_BUFFER_TOO_SMALL;
  return s == 7 && CAPPY_ERR_INVALID_INPUT == 1 && CAPPY_ERR_INTERNAL == 8 ? 0 : 1;
}
