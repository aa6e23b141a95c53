// cappy::Tokenizer: glues the pipeline stages.
//   byte-level BPE: added tokens -> (add_prefix_space) -> GPT-2 pre-tokenize
//     -> BPE per piece -> truncate -> post-process
//   WordPiece: raw added tokens -> BERT normalizer -> normalized added tokens
//     -> BERT pre-tokenize -> WordPiece per piece -> truncate -> post-process
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "cappy/cappy.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bert.h"
#include "tokenizer/bpe.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/truncation.h"
#include "tokenizer/wordpiece.h"

namespace cappy {

struct Tokenizer::Impl {
  explicit Impl(const TokenizerSpec& spec)
      : normalizer(spec.normalizer),
        has_normalizer(spec.normalizer.kind != NormalizerSpec::Kind::kNone),
        added(spec.added_tokens, MakeNormalize(spec)),
        add_prefix_space(spec.add_prefix_space),
        pre_tokenizer(spec.pre_tokenizer),
        pad_id(spec.pad_id),
        post(spec.post_processor),
        truncation(spec.truncation) {
    if (spec.model == ModelKind::kBpe) {
      bpe = std::make_unique<tok::Bpe>(spec);
    } else {
      wordpiece = std::make_unique<tok::WordPiece>(spec);
    }
    int32_t max_id = bpe ? bpe->max_id() : wordpiece->max_id();
    for (const AddedToken& t : spec.added_tokens) {
      if (t.id < 0) throw Error(ErrorCode::kTokenizer, "added token '" + t.content + "' has a negative id");
      max_id = std::max(max_id, t.id);
    }
    if (post.kind != PostProcessorSpec::Kind::kNone && (post.cls_id < 0 || post.sep_id < 0)) {
      throw Error(ErrorCode::kTokenizer, "post-processor cls/sep ids must not be negative");
    }
    vocab_size = static_cast<size_t>(max_id + 1);
  }

  static tok::AddedTokenMatcher::Normalize MakeNormalize(const TokenizerSpec& spec) {
    if (spec.normalizer.kind == NormalizerSpec::Kind::kNone) return {};
    const tok::BertNormalizer n(spec.normalizer);
    return [n](std::string_view in, std::string& out) { n.Normalize(in, out); };
  }

  // Ids of one text, before truncation and special tokens. `word_ends`, when
  // non-null, gets out.size() after each pre-token and added token.
  void EncodeText(std::string_view text, std::vector<int32_t>& out, std::vector<uint32_t>* word_ends) const {
    if (bpe && !has_normalizer && pre_tokenizer == PreTokenizerKind::kByteLevel) {
      EncodeByteLevel(text, out, word_ends);
    } else {
      EncodeNormalized(text, out, word_ends);
    }
  }

  static void MarkWord(const std::vector<int32_t>& out, std::vector<uint32_t>* word_ends) {
    if (word_ends != nullptr) word_ends->push_back(static_cast<uint32_t>(out.size()));
  }

  // The general pipeline: normalize between raw added tokens, then match the
  // normalized ones, then pre-tokenize and run the model on each piece.
  void EncodeNormalized(std::string_view text, std::vector<int32_t>& out, std::vector<uint32_t>* word_ends) const {
    thread_local std::vector<tok::Segment> raw_segments;
    thread_local std::vector<tok::Segment> segments;
    thread_local std::vector<tok::Span> spans;
    thread_local std::string normalized;
    added.SplitRaw(text, raw_segments);
    for (const tok::Segment& raw : raw_segments) {
      if (raw.id >= 0) {
        out.push_back(raw.id);
        MarkWord(out, word_ends);
        continue;
      }
      const std::string_view piece = text.substr(raw.begin, raw.end - raw.begin);
      if (has_normalizer) {
        normalizer.Normalize(piece, normalized);
      } else {
        normalized.assign(piece);
      }
      added.SplitNormalized(normalized, segments);
      for (const tok::Segment& seg : segments) {
        if (seg.id >= 0) {
          out.push_back(seg.id);
          MarkWord(out, word_ends);
          continue;
        }
        const std::string_view part = std::string_view(normalized).substr(seg.begin, seg.end - seg.begin);
        if (pre_tokenizer == PreTokenizerKind::kBert) {
          tok::BertPreTokenize(part, spans);
        } else {
          tok::PreTokenize(part, spans);
        }
        for (const tok::Span& sp : spans) {
          const std::string_view word = part.substr(sp.begin, sp.end - sp.begin);
          if (bpe) {
            bpe->Encode(word, out);
          } else {
            wordpiece->Encode(word, out);
          }
          MarkWord(out, word_ends);
        }
      }
    }
  }

  void EncodeByteLevel(std::string_view text, std::vector<int32_t>& out, std::vector<uint32_t>* word_ends) const {
    thread_local std::vector<tok::Segment> segments;
    thread_local std::vector<tok::Span> spans;
    thread_local std::string prefixed;
    added.Split(text, segments);
    for (const tok::Segment& seg : segments) {
      if (seg.id >= 0) {
        out.push_back(seg.id);
        MarkWord(out, word_ends);
        continue;
      }
      std::string_view piece = text.substr(seg.begin, seg.end - seg.begin);
      // HF's ByteLevel prepends the space to every text split, not just the
      // first one, unless it already starts with one.
      if (add_prefix_space && (piece.empty() || piece[0] != ' ')) {
        prefixed.assign(" ");
        prefixed.append(piece);
        piece = prefixed;
      }
      tok::PreTokenize(piece, spans);
      for (const tok::Span& sp : spans) {
        bpe->Encode(piece.substr(sp.begin, sp.end - sp.begin), out);
        MarkWord(out, word_ends);
      }
    }
  }

  std::unique_ptr<tok::Bpe> bpe;              // exactly one of bpe and
  std::unique_ptr<tok::WordPiece> wordpiece;  // wordpiece is set
  tok::BertNormalizer normalizer;
  bool has_normalizer;
  tok::AddedTokenMatcher added;
  bool add_prefix_space;
  PreTokenizerKind pre_tokenizer;
  int32_t pad_id;
  PostProcessorSpec post;
  Truncation truncation;
  size_t vocab_size = 0;
};

Tokenizer::Tokenizer(const TokenizerSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
Tokenizer::~Tokenizer() = default;

void Tokenizer::Encode(std::string_view first, const std::string_view* second,
                       std::vector<int32_t>& out, uint32_t* second_start) const {
  std::vector<int32_t> a;
  std::vector<int32_t> b;
  a.reserve(first.size() / 3 + 4);
  const Truncation& t = impl_->truncation;
  // longest_first on a pair breaks ties on where HF's tokenizer stops a long
  // text: at the first word end at or past max_length (see truncation.h).
  const bool word_cut = t.enabled && second != nullptr && t.strategy == TruncationStrategy::kLongestFirst;
  std::vector<uint32_t> a_ends;
  std::vector<uint32_t> b_ends;
  impl_->EncodeText(first, a, word_cut ? &a_ends : nullptr);
  if (second) impl_->EncodeText(*second, b, word_cut ? &b_ends : nullptr);
  if (t.enabled) {
    const uint32_t added = tok::AddedTokenCount(impl_->post, second != nullptr);
    if (t.max_length < added) {
      throw Error(ErrorCode::kTokenizer, "max_length " + std::to_string(t.max_length) +
                                             " is smaller than the " + std::to_string(added) +
                                             " special tokens the post-processor adds");
    }
    if (word_cut) {
      tok::TruncateLongestFirstPair(t.max_length - added, a, b, tok::WordCut(a_ends, a.size(), t.max_length),
                                    tok::WordCut(b_ends, b.size(), t.max_length));
    } else {
      tok::Truncate(t.strategy, t.max_length - added, a, second ? &b : nullptr);
    }
  }
  const size_t begin = out.size();
  tok::ApplyPostProcessor(impl_->post, a, second ? &b : nullptr, out);
  if (second_start != nullptr) {
    // The first segment is A plus the specials around it (cls, its own sep).
    const uint32_t first_len =
        static_cast<uint32_t>(a.size()) + (second ? tok::AddedTokenCount(impl_->post, false) : 0);
    *second_start = second ? first_len : static_cast<uint32_t>(out.size() - begin);
  }
}

void Tokenizer::EncodeBatch(const std::vector<TextInput>& inputs, unsigned threads,
                            std::vector<std::vector<int32_t>>& out,
                            std::vector<uint32_t>* second_starts) const {
  out.assign(inputs.size(), {});
  if (second_starts != nullptr) second_starts->assign(inputs.size(), 0);
  if (inputs.empty()) return;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, inputs.size()));

  // Work is handed out in small chunks from a shared counter, so a thread that
  // drew long texts does not hold the others up.
  constexpr size_t kChunk = 16;
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  size_t error_index = inputs.size();
  std::exception_ptr error;
  auto work = [&] {
    for (;;) {
      const size_t begin = next.fetch_add(kChunk);
      if (begin >= inputs.size()) return;
      const size_t end = std::min(begin + kChunk, inputs.size());
      for (size_t i = begin; i < end; i++) {
        try {
          const TextInput& in = inputs[i];
          const std::string_view second(in.second);
          Encode(in.first, in.has_second ? &second : nullptr, out[i],
                 second_starts != nullptr ? &(*second_starts)[i] : nullptr);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (i < error_index) {
            error_index = i;
            error = std::current_exception();
          }
        }
      }
    }
  };
  if (threads == 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned k = 1; k < threads; k++) {
      // Out of threads is not an error: the threads started do the work.
      try {
        pool.emplace_back(work);
      } catch (const std::exception&) {
        break;
      }
    }
    work();
    for (std::thread& th : pool) th.join();
  }
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    throw Error(e.code(), "input " + std::to_string(error_index) + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kRuntime, "input " + std::to_string(error_index) + ": " + e.what());
  }
}

int32_t Tokenizer::pad_id() const noexcept { return impl_->pad_id; }
int32_t Tokenizer::pair_type_id() const noexcept { return impl_->post.pair_type_id; }
const Truncation& Tokenizer::truncation() const noexcept { return impl_->truncation; }
size_t Tokenizer::vocab_size() const noexcept { return impl_->vocab_size; }

}  // namespace cappy
