// GPT-2 byte-level alphabet: every byte has a printable stand-in character.
// Vocab and merges are written in stand-ins; the core converts them back to
// raw bytes once at load time, so encoding never builds stand-in strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cappy::tok {

// The stand-in code point of byte b: printable Latin-1 bytes ('!'..'~',
// U+00A1..U+00AC, U+00AE..U+00FF) map to themselves, the other 68 bytes to
// U+0100 onward in byte order.
uint32_t ByteToCodePoint(uint8_t b) noexcept;

// Converts a string of stand-in characters back to the raw bytes they stand
// for. Returns false when some character is not a stand-in (such a token can
// never be produced from byte-level input).
bool StandInsToBytes(std::string_view stand_ins, std::string& bytes);

}  // namespace cappy::tok
