#include "tokenizer/metaspace.h"

#include <cstring>

namespace cappy::tok {

void MetaspacePreTokenize(std::string_view text, const MetaspaceSpec& spec, bool at_origin, std::string& text_out,
                          std::vector<Span>& out) {
  const std::string& rep = spec.replacement;
  text_out.clear();
  out.clear();
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
  text_out.reserve(text.size() + rep.size() * 4);
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
  if (text_out.empty()) return;
  if (!spec.split) {
    out.push_back({0, static_cast<uint32_t>(text_out.size())});
    return;
  }
  // MergedWithNext: each replacement starts a new piece.
  size_t begin = 0;
  size_t at = text_out.find(rep, 1);
  while (at != std::string::npos) {
    out.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(at)});
    begin = at;
    at = text_out.find(rep, at + rep.size());
  }
  out.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(text_out.size())});
}

}  // namespace cappy::tok
