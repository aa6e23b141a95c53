// Element conversions for graphs whose id inputs are int32 (some exporters
// and fp16 conversions narrow them); ids and masks always fit.
#pragma once

#include <cstdint>
#include <vector>

namespace cappy {

inline void NarrowToInt32(const std::vector<int64_t>& src, std::vector<int32_t>& dst) {
  dst.resize(src.size());
  for (size_t i = 0; i < src.size(); ++i) dst[i] = static_cast<int32_t>(src[i]);
}

}  // namespace cappy
