#include "tokenizer/post_processors/truncation.h"

#include <algorithm>
#include <string>
#include <utility>

namespace cappy::tok {

void LongestFirstLengths(size_t budget, size_t& n1, size_t& n2) {
  // Work with a <= b, then swap back.
  size_t a = n1;
  size_t b = n2;
  const bool swapped = a > b;
  if (swapped) std::swap(a, b);
  // The longer side is cut to what the shorter one leaves; when the shorter
  // alone overflows, both are over half and get split below.
  b = a > budget ? a : std::max(a, budget - a);
  if (a + b > budget) {
    // Both over half the budget: each gets half, the odd token going to the
    // longer side (the second on a tie).
    a = budget / 2;
    b = a + budget % 2;
  }
  if (swapped) std::swap(a, b);
  n1 = a;
  n2 = b;
}

void Truncate(TruncationStrategy strategy, uint32_t budget, std::vector<int32_t>& first, std::vector<int32_t>* second) {
  if (budget == 0) {
    first.clear();
    if (second) second->clear();
    return;
  }
  const size_t total = first.size() + (second ? second->size() : 0);
  if (total <= budget) return;
  const size_t to_remove = total - budget;
  switch (strategy) {
    case TruncationStrategy::kLongestFirst: {
      if (!second) {
        first.resize(budget);
        return;
      }
      // Which side keeps the odd token depends on the lengths as HF saw
      // them: it stops encoding a text after the pre-token that reaches
      // max_length, and Tokenizer::Encode stops at the same place.
      size_t n1 = first.size();
      size_t n2 = second->size();
      LongestFirstLengths(budget, n1, n2);
      first.resize(std::min(n1, first.size()));
      second->resize(std::min(n2, second->size()));
      return;
    }
    case TruncationStrategy::kOnlyFirst:
    case TruncationStrategy::kOnlySecond: {
      const bool only_first = strategy == TruncationStrategy::kOnlyFirst;
      if (!only_first && !second) {
        throw Error(ErrorCode::kTokenizer, "truncation only_second needs a pair, but the input is a single text of " +
                                               std::to_string(total) + " tokens over the limit of " +
                                               std::to_string(budget));
      }
      std::vector<int32_t>& target = only_first ? first : *second;
      if (target.size() <= to_remove) {
        throw Error(ErrorCode::kTokenizer, std::string("truncation ") + (only_first ? "only_first" : "only_second") +
                                               " cannot fit: the " + (only_first ? "first" : "second") + " text has " +
                                               std::to_string(target.size()) + " tokens but " +
                                               std::to_string(to_remove) + " must be removed");
      }
      target.resize(target.size() - to_remove);
      return;
    }
  }
}

}  // namespace cappy::tok
