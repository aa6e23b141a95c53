#include "tokenizer/pre_tokenizers/byte_level.h"

#include <array>

#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {
namespace {

bool IsPrintable(uint32_t b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<uint32_t, 256> to_cp{};
  // Inverse over U+0000..U+01FF (all stand-ins live there): byte + 1, 0 = none.
  std::array<uint16_t, 512> from_cp{};
  Tables() {
    uint32_t next = 0x100;
    for (uint32_t b = 0; b < 256; b++) {
      to_cp[b] = IsPrintable(b) ? b : next++;
      from_cp[to_cp[b]] = static_cast<uint16_t>(b + 1);
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

}  // namespace

uint32_t ByteToCodePoint(uint8_t b) noexcept { return GetTables().to_cp[b]; }

bool StandInsToBytes(std::string_view stand_ins, std::string& bytes) {
  const Tables& t = GetTables();
  bytes.clear();
  size_t i = 0;
  while (i < stand_ins.size()) {
    size_t len = 0;
    const uint32_t cp = DecodeUtf8(stand_ins, i, len);
    // A U+FFFD from invalid UTF-8 is not a stand-in either.
    if (cp >= t.from_cp.size() || t.from_cp[cp] == 0) return false;
    bytes.push_back(static_cast<char>(t.from_cp[cp] - 1));
    i += len;
  }
  return true;
}

}  // namespace cappy::tok
