#include "tokenizer/pre_tokenizers/metaspace.h"

#include <cstring>

#include "tokenizer/unicode/unicode.h"

namespace cappy::tok {
namespace {

// Metaspace on one piece of text, appended to text_out with its pieces
// (offsets into text_out) appended to out.
void MetaspaceOne(std::string_view text, const MetaspaceSpec& spec, bool at_origin, std::string& text_out,
                  std::vector<Span>& out) {
  const std::string& rep = spec.replacement;
  // HF checks for a leading replacement after the spaces are replaced, so a
  // text starting with ' ' gets no second one.
  const bool starts = !text.empty() && (text[0] == ' ' || text.substr(0, rep.size()) == rep);
  bool prepend = false;
  switch (spec.prepend_scheme) {
    case MetaspaceSpec::Prepend::kAlways:
      prepend = !starts;
      break;
    case MetaspaceSpec::Prepend::kFirst:
      prepend = !starts && at_origin;
      break;
    case MetaspaceSpec::Prepend::kNever:
      break;
  }
  const size_t base = text_out.size();
  if (prepend) text_out.append(rep);
  // Copy the runs between spaces whole (memchr finds the next space).
  const char* run = text.data();
  const char* const end = run + text.size();
  while (run < end) {
    const auto* space = static_cast<const char*>(std::memchr(run, ' ', static_cast<size_t>(end - run)));
    if (space == nullptr) {
      text_out.append(run, static_cast<size_t>(end - run));
      break;
    }
    text_out.append(run, static_cast<size_t>(space - run));
    text_out.append(rep);
    run = space + 1;
  }
  if (text_out.size() == base) return;
  if (!spec.split) {
    out.push_back({static_cast<uint32_t>(base), static_cast<uint32_t>(text_out.size())});
    return;
  }
  // MergedWithNext: each replacement starts a new piece.
  size_t begin = base;
  size_t at = text_out.find(rep, base + 1);
  while (at != std::string::npos) {
    out.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(at)});
    begin = at;
    at = text_out.find(rep, at + rep.size());
  }
  out.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(text_out.size())});
}

}  // namespace

void MetaspacePreTokenize(std::string_view text, const MetaspaceSpec& spec, bool at_origin, std::string& text_out,
                          std::vector<Span>& out) {
  text_out.clear();
  out.clear();
  text_out.reserve(text.size() + spec.replacement.size() * 4);
  if (!spec.whitespace_split) {
    MetaspaceOne(text, spec, at_origin, text_out, out);
    return;
  }
  // T5's [WhitespaceSplit, Metaspace]: words between White_Space runs (the
  // spaces themselves are dropped), each given to Metaspace on its own; only
  // a word at the very start of the input counts as "first".
  size_t word = std::string_view::npos;
  for (size_t i = 0; i <= text.size();) {
    size_t len = 1;
    const bool space = i < text.size() && (Flags(DecodeUtf8(text, i, len)) & kSpace);
    if (i == text.size() || space) {
      if (word != std::string_view::npos) {
        MetaspaceOne(text.substr(word, i - word), spec, at_origin && word == 0, text_out, out);
        word = std::string_view::npos;
      }
      if (i == text.size()) break;
    } else if (word == std::string_view::npos) {
      word = i;
    }
    i += len;
  }
}

}  // namespace cappy::tok
