// Unigram model, Metaspace, normalizer steps and Unicode normal forms, on
// small cases whose answers HF tokenizers' own tests and docs state.
#include "tokenizer/models/unigram.h"

#include <string>
#include <utility>
#include <vector>

#include "cappy/cappy.h"
#include "check.h"
#include "tokenizer/normalizers/unicode_normalize.h"
#include "tokenizer/pre_tokenizers/metaspace.h"

namespace {

using Ids = std::vector<int32_t>;
const std::string kMs = "\xE2\x96\x81";  // U+2581

cappy::TokenizerSpec UnigramOf(const std::vector<std::pair<std::string, double>>& pieces, int32_t unk,
                               bool byte_fallback) {
  cappy::TokenizerSpec spec;
  spec.model = cappy::ModelKind::kUnigram;
  for (size_t i = 0; i < pieces.size(); i++) {
    spec.vocab.push_back(pieces[i].first);
    spec.vocab_ids.push_back(static_cast<int32_t>(i));
    spec.scores.push_back(pieces[i].second);
  }
  spec.unk_id = unk;
  spec.byte_fallback = byte_fallback;
  return spec;
}

Ids Encode(const cappy::tok::Unigram& u, const std::string& s) {
  Ids out;
  u.Encode(s, out);
  return out;
}

std::string Nf(const std::string& s, cappy::tok::NormalForm f) {
  std::string out;
  cappy::tok::UnicodeNormalize(s, f, out);
  return out;
}

}  // namespace

CAPPY_TEST(unigram_best_path_and_fused_unk) {
  // HF's doc example: "abcdacdxx" -> abcd, a, cd, xx (the two x fuse into one unk).
  const cappy::tok::Unigram u(
      UnigramOf({{"<unk>", 0}, {"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}, {"cd", 1}, {"ab", 2}, {"abc", 5}, {"abcd", 10}},
                0, false));
  CHECK_EQ(Encode(u, "abcdacdxx"), (Ids{8, 1, 5, 0}));
  CHECK_EQ(Encode(u, ""), Ids{});
  CHECK_EQ(Encode(u, "x\xC3\xA9x"), (Ids{0}));  // multi-byte unk characters fuse too
}

CAPPY_TEST(unigram_ties_keep_the_first_candidate) {
  // "ab" and "a"+"b" score the same; the first path found to the end wins:
  // a then b reaches position 2 after ab did, and is not strictly better.
  const cappy::tok::Unigram u(UnigramOf({{"<unk>", 0}, {"a", -1}, {"b", -1}, {"ab", -2}}, 0, false));
  CHECK_EQ(Encode(u, "ab"), (Ids{3}));
}

CAPPY_TEST(unigram_byte_fallback_and_missing_unk) {
  std::vector<std::pair<std::string, double>> pieces = {{"<unk>", 0}, {"a", -1}};
  for (int b = 0; b < 256; b++) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    pieces.push_back({name, 0});
  }
  const cappy::tok::Unigram u(UnigramOf(pieces, 0, true));
  // U+00E9 is not a piece: its two bytes come out as <0xC3> <0xA9>.
  CHECK_EQ(Encode(u, "a\xC3\xA9"), (Ids{1, 2 + 0xC3, 2 + 0xA9}));
  // No unk id: a character no piece covers is an error, as in HF.
  const cappy::tok::Unigram none(UnigramOf({{"a", -1}}, -1, false));
  CHECK_EQ(Encode(none, "aa"), (Ids{0, 0}));
  CHECK_THROWS(Encode(none, "ab"));
  CHECK_THROWS(cappy::tok::Unigram(UnigramOf({{"a", -1}}, 5, false)));  // unk outside the vocab
}

CAPPY_TEST(unigram_long_input_is_linear_in_practice) {
  // 1 MB of one letter with pieces up to 4 letters: the walk from each
  // position stops at the longest piece, so this is fast, not quadratic.
  const cappy::tok::Unigram u(UnigramOf({{"<unk>", 0}, {"a", -2}, {"aa", -3}, {"aaaa", -5}}, 0, false));
  const Ids ids = Encode(u, std::string(1 << 20, 'a'));
  CHECK_EQ(ids.size(), static_cast<size_t>(1 << 18));
}

CAPPY_TEST(metaspace_prepend_and_split) {
  cappy::MetaspaceSpec spec;
  std::string text;
  std::vector<cappy::tok::Span> spans;
  cappy::tok::MetaspacePreTokenize("hey  you", spec, true, text, spans);
  CHECK_EQ(text, kMs + "hey" + kMs + kMs + "you");
  CHECK_EQ(spans.size(), 3u);  // "_hey", "_", "_you"
  cappy::tok::MetaspacePreTokenize(" x", spec, true, text, spans);
  CHECK_EQ(text, kMs + "x");  // a leading space already gives the replacement
  spec.prepend_scheme = cappy::MetaspaceSpec::Prepend::kFirst;
  cappy::tok::MetaspacePreTokenize("x", spec, false, text, spans);
  CHECK_EQ(text, "x");
  spec.split = false;
  cappy::tok::MetaspacePreTokenize("a b", spec, true, text, spans);
  CHECK_EQ(spans.size(), 1u);
}

CAPPY_TEST(unicode_normal_forms) {
  using cappy::tok::NormalForm;
  const std::string e_acute = "\xC3\xA9", e_comb = "e\xCC\x81";
  CHECK_EQ(Nf(e_comb, NormalForm::kNfc), e_acute);
  CHECK_EQ(Nf(e_acute, NormalForm::kNfd), e_comb);
  CHECK_EQ(Nf("\xEF\xAC\x81", NormalForm::kNfkc), "fi");  // U+FB01 ligature
  CHECK_EQ(Nf("\xEF\xAC\x81", NormalForm::kNfc), "\xEF\xAC\x81");
  CHECK_EQ(Nf("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", NormalForm::kNfc), "\xEA\xB0\x81");  // jamo -> U+AC01
  // Canonical order: dot below (220) moves before acute (230), then both compose.
  CHECK_EQ(Nf("a\xCC\x81\xCC\xA3", NormalForm::kNfd), "a\xCC\xA3\xCC\x81");
  CHECK_EQ(Nf("\xE2\x84\xAB", NormalForm::kNfc), "\xC3\x85");  // U+212B ANGSTROM -> U+00C5
}
