// Tokenizer core: pre-tokenizer edge cases (anchors.md), merge order,
// added tokens, templates, truncation numbers, batch errors.
#include <string>
#include <vector>

#include "cappy/cappy.h"
#include "check.h"
#include "tokenizer/models/bpe.h"
#include "tokenizer/post_processors/truncation.h"
#include "tokenizer/pre_tokenizers/byte_level.h"
#include "tokenizer/pre_tokenizers/pre_tokenizer.h"
#include "tokenizer/unicode/unicode.h"

namespace {

using cappy::tok::Span;

std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Text in stand-in characters, as vocab files write it.
std::string StandIns(const std::string& bytes) {
  std::string s;
  for (char c : bytes) s += Utf8(cappy::tok::ByteToCodePoint(static_cast<uint8_t>(c)));
  return s;
}

std::vector<std::string> Pieces(const std::string& text) {
  std::vector<Span> spans;
  cappy::tok::PreTokenize(text, spans);
  std::vector<std::string> out;
  for (const Span& s : spans) out.push_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

using Strs = std::vector<std::string>;
using Ids = std::vector<int32_t>;

// <s>=0 <pad>=1 </s>=2 <unk>=3, byte b = 4 + b, then merge results from 260.
struct SpecBuilder {
  cappy::TokenizerSpec spec;
  SpecBuilder() {
    for (const char* t : {"<s>", "<pad>", "</s>", "<unk>"}) Add(t);
    for (int b = 0; b < 256; b++) Add(StandIns(std::string(1, static_cast<char>(b))));
    spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kRoberta;
  }
  int32_t Add(const std::string& token) {
    spec.vocab.push_back(token);
    spec.vocab_ids.push_back(static_cast<int32_t>(spec.vocab_ids.size()));
    return spec.vocab_ids.back();
  }
  // Adds merge (l, r) over raw bytes and its result to the vocab.
  int32_t Merge(const std::string& l, const std::string& r) {
    spec.merges_left.push_back(StandIns(l));
    spec.merges_right.push_back(StandIns(r));
    return Add(StandIns(l + r));
  }
};

int32_t B(char c) { return 4 + static_cast<unsigned char>(c); }

Ids Encode(const cappy::Tokenizer& t, const std::string& a) {
  Ids out;
  t.Encode(a, nullptr, out);
  return out;
}
Ids Encode(const cappy::Tokenizer& t, const std::string& a, const std::string& b) {
  Ids out;
  const std::string_view sb(b);
  t.Encode(a, &sb, out);
  return out;
}

}  // namespace

CAPPY_TEST(unicode_tables_match_anchor_facts) {
  using namespace cappy::tok;
  for (uint32_t cp : {0x20u, 0x09u, 0x0Au, 0xA0u, 0x85u, 0x3000u, 0x2028u, 0x1680u}) CHECK(Flags(cp) & kSpace);
  for (uint32_t cp : {0x200Bu, 0xFEFFu, 0x1Cu, 0x1Du, 0x1Eu, 0x1Fu}) CHECK_EQ(Flags(cp) & kSpace, 0);
  CHECK(Flags(0xB2) & kNumber);         // superscript two
  CHECK_EQ(Flags(0x301) & kLetter, 0);  // combining acute is a mark
  CHECK(Flags(0x4E2D) & kLetter);       // CJK
  CHECK_EQ(Flags(0x110000), 0);
  // The pre-tokenizer hard-codes ASCII classes; they must agree with the
  // tables. A character joins its neighbours exactly when they share its class.
  auto joins = [](char c, char around) {
    std::vector<Span> spans;
    PreTokenize(std::string{around, c, around}, spans);
    return spans.size() == 1;
  };
  for (int c = 1; c < 128; c++) {
    const uint8_t f = Flags(static_cast<uint32_t>(c));
    const char ch = static_cast<char>(c);
    CHECK_EQ(joins(ch, 'x'), (f & kLetter) != 0);
    CHECK_EQ(joins(ch, '5'), (f & kNumber) != 0);
    const uint8_t gpt2 = f & (kLetter | kNumber | kSpace);  // the other bits are BERT's
    CHECK_EQ(joins(ch, '!') && ch != '\'', gpt2 == 0 && ch != '\'');
  }
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
    const uint8_t f = Flags(cp);
    if (((f & kLetter) != 0) != InRangesLetter(cp) || ((f & kNumber) != 0) != InRangesNumber(cp) ||
        ((f & kSpace) != 0) != InRangesSpace(cp)) {
      CHECK(false);
    }
  }
}

CAPPY_TEST(pre_tokenizer_matches_gpt2_regex) {
  CHECK_EQ(Pieces("Hello world"), (Strs{"Hello", " world"}));
  CHECK_EQ(Pieces("a\t\tb"), (Strs{"a", "\t", "\t", "b"}));
  CHECK_EQ(Pieces("a  b"), (Strs{"a", " ", " b"}));
  CHECK_EQ(Pieces("a   "), (Strs{"a", "   "}));  // a trailing run stays whole
  CHECK_EQ(Pieces("a \n b"), (Strs{"a", " \n", " b"}));
  CHECK_EQ(Pieces("I'M"), (Strs{"I", "'", "M"}));  // contractions are case-sensitive
  CHECK_EQ(Pieces("I'm we're they'll it's"), (Strs{"I", "'m", " we", "'re", " they", "'ll", " it", "'s"}));
  CHECK_EQ(Pieces("x 's"), (Strs{"x", " '", "s"}));
  CHECK_EQ(Pieces("?'s"), (Strs{"?'", "s"}));
  CHECK_EQ(Pieces("e\xCC\x81t"), (Strs{"e", "\xCC\x81", "t"}));  // U+0301 is no letter
  CHECK_EQ(Pieces("x\xC2\xB2"), (Strs{"x", "\xC2\xB2"}));        // ² is a number
  CHECK_EQ(Pieces("a\xC2\xA0"
                  "b"),
           (Strs{"a", "\xC2\xA0", "b"}));  // NBSP is whitespace
  CHECK_EQ(Pieces("a\xEF\xBB\xBF"
                  "b"),
           (Strs{"a", "\xEF\xBB\xBF", "b"}));  // U+FEFF is not
  CHECK_EQ(Pieces("a\xE3\x80\x80\xE3\x80\x80"
                  "b"),
           (Strs{"a", "\xE3\x80\x80", "\xE3\x80\x80", "b"}));
  CHECK_EQ(Pieces(" 12ab!!"), (Strs{" 12", "ab", "!!"}));
  CHECK_EQ(Pieces(""), Strs{});
  // Invalid UTF-8 never crashes and keeps every byte.
  const std::string bad = "a\xFF\xC3 \xE2\x82";
  std::string joined;
  for (const auto& p : Pieces(bad)) joined += p;
  CHECK_EQ(joined, bad);
}

CAPPY_TEST(byte_level_alphabet) {
  using cappy::tok::ByteToCodePoint;
  CHECK_EQ(ByteToCodePoint(' '), 0x120u);
  CHECK_EQ(ByteToCodePoint('a'), static_cast<uint32_t>('a'));
  CHECK_EQ(ByteToCodePoint(0), 0x100u);
  CHECK_EQ(ByteToCodePoint(0xAD), 0x143u);
  std::string bytes;
  CHECK(cappy::tok::StandInsToBytes(StandIns(" hi\n"), bytes));
  CHECK_EQ(bytes, std::string(" hi\n"));
}

CAPPY_TEST(bpe_merges_by_rank_not_by_vocab) {
  SpecBuilder sb;
  const int32_t bc = sb.Merge("b", "c");    // rank 0
  const int32_t ab = sb.Merge("a", "b");    // rank 1
  const int32_t abc = sb.Merge("ab", "c");  // rank 2: unreachable from "abc"
  cappy::tok::Bpe bpe(sb.spec);
  Ids out;
  bpe.Encode("abc", out);
  CHECK_EQ(out, (Ids{B('a'), bc}));  // "abc" is in the vocab, but BPE never gets there
  out.clear();
  bpe.Encode("abd", out);
  CHECK_EQ(out, (Ids{ab, B('d')}));
  (void)abc;
}

CAPPY_TEST(bpe_long_words_agree_with_short_path) {
  SpecBuilder sb;
  const int32_t aa = sb.Merge("a", "a");
  const int32_t a4 = sb.Merge("aa", "aa");
  cappy::tok::Bpe bpe(sb.spec);
  for (size_t n : {7u, 95u, 97u, 200u, 5001u}) {
    Ids out;
    bpe.Encode(std::string(n, 'a'), out);
    Ids want(n / 4, a4);
    if (n % 4 >= 2) want.push_back(aa);
    if (n % 2) want.push_back(B('a'));
    CHECK_EQ(out, want);
  }
}

CAPPY_TEST(spec_errors_are_tokenizer_errors) {
  SpecBuilder sb;
  sb.spec.merges_left.push_back("zz");
  sb.spec.merges_right.push_back("q");
  bool ok = false;
  try {
    cappy::Tokenizer t(sb.spec);
  } catch (const cappy::Error& e) {
    ok = e.code() == cappy::ErrorCode::kTokenizer;
  }
  CHECK(ok);
  SpecBuilder dup;
  dup.spec.vocab_ids[5] = 7;
  CHECK_THROWS(cappy::Tokenizer(dup.spec));
}

CAPPY_TEST(templates_and_added_tokens) {
  SpecBuilder sb;
  const int32_t hi = sb.Merge("h", "i");
  const int32_t sp_hi = sb.Merge(" ", "hi");
  const int32_t mask = sb.Add("<mask>");
  sb.spec.added_tokens = {{"<s>", 0, true}, {"</s>", 2, true}, {"<mask>", mask, true, true}};
  cappy::Tokenizer t(sb.spec);
  CHECK_EQ(t.vocab_size(), static_cast<size_t>(mask + 1));
  CHECK_EQ(Encode(t, "hi"), (Ids{0, hi, 2}));
  CHECK_EQ(Encode(t, "hi", " hi"), (Ids{0, hi, 2, 2, sp_hi, 2}));
  CHECK_EQ(Encode(t, ""), (Ids{0, 2}));
  // lstrip takes the space; the word after keeps its own.
  CHECK_EQ(Encode(t, "hi <mask> hi"), (Ids{0, hi, mask, sp_hi, 2}));
  // Special tokens typed in the text are matched.
  CHECK_EQ(Encode(t, "hi</s> hi"), (Ids{0, hi, 2, sp_hi, 2}));
  CHECK_EQ(Encode(t, "<s><s>"), (Ids{0, 0, 0, 2}));
  // Invalid UTF-8 must not crash.
  CHECK(Encode(t, std::string("\xFF\xFE<mas\xC3")).size() > 2);
}

CAPPY_TEST(truncation_numbers_from_hf) {
  size_t a = 10, b = 10;
  cappy::tok::LongestFirstLengths(9, a, b);
  CHECK_EQ(a, 4u);
  CHECK_EQ(b, 5u);
  a = 12, b = 7;
  cappy::tok::LongestFirstLengths(9, a, b);
  CHECK_EQ(a, 5u);
  CHECK_EQ(b, 4u);
  a = 3, b = 20;  // only the longer one is cut
  cappy::tok::LongestFirstLengths(9, a, b);
  CHECK_EQ(a, 3u);
  CHECK_EQ(b, 6u);

  using cappy::TruncationStrategy;
  Ids x(10, 1), y(10, 1);
  cappy::tok::Truncate(TruncationStrategy::kOnlyFirst, 15, x, &y);
  CHECK_EQ(x.size(), 5u);
  x.assign(3, 1);
  y.assign(10, 1);
  CHECK_THROWS(cappy::tok::Truncate(TruncationStrategy::kOnlyFirst, 5, x, &y));  // 3 tokens, 8 to cut
  x.assign(10, 1);
  CHECK_THROWS(cappy::tok::Truncate(TruncationStrategy::kOnlySecond, 5, x, nullptr));
  x.assign(4, 1);
  cappy::tok::Truncate(TruncationStrategy::kOnlySecond, 5, x, nullptr);  // fits: no error
  CHECK_EQ(x.size(), 4u);
  x.assign(10, 1);
  y.assign(6, 1);
  CHECK_THROWS(cappy::tok::Truncate(TruncationStrategy::kOnlySecond, 10, x, &y));  // exactly 6 to cut
}

CAPPY_TEST(truncation_through_encode_and_batch) {
  SpecBuilder sb;
  sb.spec.truncation = {true, 13, cappy::TruncationStrategy::kLongestFirst};
  cappy::Tokenizer t(sb.spec);
  const Ids ids = Encode(t, "!!!!!!!!!!", std::string(10, '?'));  // 1 piece of 10 bytes each
  CHECK_EQ(ids.size(), 13u);
  CHECK_EQ(ids, (Ids{0, B('!'), B('!'), B('!'), B('!'), 2, 2, B('?'), B('?'), B('?'), B('?'), B('?'), 2}));

  SpecBuilder sb2;
  sb2.spec.truncation = {true, 6, cappy::TruncationStrategy::kOnlySecond};
  cappy::Tokenizer t2(sb2.spec);
  std::vector<cappy::TextInput> in(100, {"ab", "", false});
  in[70].first = "abcdefgh";  // too long and no pair: an error
  in[90].first = "abcdefgh";
  std::vector<Ids> out;
  std::string message;
  try {
    t2.EncodeBatch(in, 2, out);
  } catch (const cappy::Error& e) {
    message = e.what();
  }
  CHECK(message.rfind("input 70:", 0) == 0);
  in[70].first = in[90].first = "ab";
  t2.EncodeBatch(in, 0, out);
  CHECK_EQ(out.size(), 100u);
  CHECK_EQ(out[99], (Ids{0, B('a'), B('b'), 2}));
}

CAPPY_TEST(batch_threads_agree_with_one_by_one) {
  // Many threads share the word cache; results must not depend on timing.
  SpecBuilder sb;
  sb.Merge("a", "b");
  sb.Merge("ab", "c");
  sb.Merge(" ", "ab");
  sb.Merge("c", "c");
  cappy::Tokenizer t(sb.spec);
  std::vector<cappy::TextInput> in;
  uint32_t seed = 12345;
  for (int i = 0; i < 3000; i++) {
    std::string s;
    const int len = static_cast<int>(seed % 40);
    for (int k = 0; k < len; k++) {
      seed = seed * 1664525u + 1013904223u;
      s += "abc \t'x\xC3\xA9"[(seed >> 24) % 10];
    }
    in.push_back({s, s + "c", (i % 3) == 0});
  }
  std::vector<Ids> out;
  t.EncodeBatch(in, 4, out);
  for (size_t i = 0; i < in.size(); i++) {
    const Ids want = in[i].has_second ? Encode(t, in[i].first, in[i].second) : Encode(t, in[i].first);
    CHECK(out[i] == want);
  }
}

CAPPY_TEST(second_start_marks_the_bert_segment_boundary) {
  // The scorer turns second_start into token_type_ids: 0 before, pair_type_id from it.
  SpecBuilder sb;
  sb.spec.post_processor.kind = cappy::PostProcessorSpec::Kind::kBert;
  sb.spec.post_processor.pair_type_id = 1;
  sb.spec.added_tokens = {{"</s>", 2, true}};
  sb.spec.truncation = {true, 7, cappy::TruncationStrategy::kLongestFirst};
  cappy::Tokenizer t(sb.spec);
  CHECK_EQ(t.pair_type_id(), 1);
  Ids out;
  uint32_t start = 99;
  const std::string_view b("??????????");
  t.Encode("!!!!!!!!!!", &b, out, &start);
  CHECK_EQ(out, (Ids{0, B('!'), B('!'), 2, B('?'), B('?'), 2}));
  CHECK_EQ(start, 4u);  // after [CLS] A [SEP], counted after truncation
  // A separator typed inside A stays in the first segment, as in HF.
  out.clear();
  const std::string_view c("x");
  t.Encode("a</s>", &c, out, &start);
  CHECK_EQ(out, (Ids{0, B('a'), 2, 2, B('x'), 2}));
  CHECK_EQ(start, 4u);
  out.assign(1, 42);  // counted from the size on entry
  t.Encode("ab", nullptr, out, &start);
  CHECK_EQ(start, 4u);  // no pair: the whole encoding is type 0

  std::vector<cappy::TextInput> in(40, {"ab", "c", true});
  in[7].has_second = false;
  std::vector<Ids> batch;
  std::vector<uint32_t> starts;
  t.EncodeBatch(in, 3, batch, &starts);
  CHECK_EQ(starts.size(), 40u);
  CHECK_EQ(starts[0], 4u);
  CHECK_EQ(starts[7], 4u);
  CHECK_EQ(batch[0], (Ids{0, B('a'), B('b'), 2, B('c'), 2}));
}

CAPPY_TEST(longest_first_odd_token_follows_the_lengths_read) {
  // HF stops reading a text after the pre-token that reaches max_length, so
  // which side is "longer" (and keeps an odd budget's extra token, BERT: 509)
  // follows the lengths read, which Tokenizer::Encode reproduces by stopping
  // at the same place; Truncate then works on those lengths.
  using cappy::TruncationStrategy;
  Ids a(10, 1), b(10, 2);
  cappy::tok::Truncate(TruncationStrategy::kLongestFirst, 7, a, &b);  // a tie: the odd token goes second
  CHECK_EQ(a.size(), 3u);
  CHECK_EQ(b.size(), 4u);
  a.assign(11, 1);
  b.assign(10, 2);
  cappy::tok::Truncate(TruncationStrategy::kLongestFirst, 7, a, &b);  // a read further: a gets it
  CHECK_EQ(a.size(), 4u);
  CHECK_EQ(b.size(), 3u);
}

// The names the Node binding and the C ABI accept are HF's Python spellings.
CAPPY_TEST(truncation_strategy_names_parse_back) {
  using cappy::TruncationStrategy;
  for (const TruncationStrategy s :
       {TruncationStrategy::kLongestFirst, TruncationStrategy::kOnlyFirst, TruncationStrategy::kOnlySecond}) {
    CHECK(cappy::ParseTruncationStrategy(cappy::TruncationStrategyName(s)) == s);
  }
  CHECK_EQ(std::string(cappy::TruncationStrategyName(TruncationStrategy::kOnlySecond)), std::string("only_second"));
  CHECK(!cappy::ParseTruncationStrategy("LongestFirst").has_value());  // tokenizer.json's spelling is the loader's
  CHECK(!cappy::ParseTruncationStrategy("").has_value());
}
