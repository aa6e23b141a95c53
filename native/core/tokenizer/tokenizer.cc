// cappy::Tokenizer: glues the pipeline stages.
//   byte-level BPE: added tokens -> (add_prefix_space) -> GPT-2 pre-tokenize
//     -> BPE per piece -> truncate -> post-process
//   WordPiece: raw added tokens -> BERT normalizer -> normalized added tokens
//     -> BERT pre-tokenize -> WordPiece per piece -> truncate -> post-process
//   Unigram: raw added tokens -> normalizer Sequence -> normalized added
//     tokens -> Metaspace (or none) -> Unigram per piece -> truncate -> template
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <variant>

#include "cappy/cappy.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/models/bpe.h"
#include "tokenizer/models/unigram.h"
#include "tokenizer/models/wordpiece.h"
#include "tokenizer/normalizers/bert.h"
#include "tokenizer/normalizers/sequence.h"
#include "tokenizer/post_processors/post_processor.h"
#include "tokenizer/post_processors/truncation.h"
#include "tokenizer/pre_tokenizers/bert.h"
#include "tokenizer/pre_tokenizers/metaspace.h"
#include "tokenizer/pre_tokenizers/pre_tokenizer.h"
#include "tokenizer/stage_names.h"
#include "tokenizer/unicode/unicode.h"

namespace cappy {

namespace {
// The model that turns pre-tokens into ids: exactly one, by the spec's kind.
using ModelStage = std::variant<tok::Bpe, tok::WordPiece, tok::Unigram>;
// The normalizer: none, HF's BertNormalizer, or a sequence of steps.
using NormalizerStage = std::variant<std::monostate, tok::BertNormalizer, tok::SequenceNormalizer>;
}  // namespace

struct Tokenizer::Impl {
  explicit Impl(const TokenizerSpec& spec)
      : normalizer(MakeNormalizer(spec.normalizer)),
        added(spec.added_tokens, NormalizeAddedTokens()),
        model(MakeModel(spec)),
        // Byte-level BPE with nothing to normalize splits added tokens in one
        // pass and pre-tokenizes straight away.
        byte_level_path(std::holds_alternative<tok::Bpe>(model) && std::holds_alternative<std::monostate>(normalizer) &&
                        spec.pre_tokenizer == PreTokenizerKind::kByteLevel),
        metaspace(spec.metaspace),
        add_prefix_space(spec.add_prefix_space),
        pre_tokenizer(spec.pre_tokenizer),
        pad_id(spec.pad_id),
        model_kind(spec.model),
        normalizer_kind(spec.normalizer.kind),
        post(spec.post_processor),
        truncation(spec.truncation) {
    if (spec.pre_tokenizer == PreTokenizerKind::kMetaspace && !OneCharacter(spec.metaspace.replacement)) {
      throw Error(ErrorCode::kTokenizer, std::string(tok::TypeName(tok::PreTokenizerType::kMetaspace)) +
                                             " replacement must be exactly one character");
    }
    int32_t max_id = std::visit([](const auto& m) { return m.max_id(); }, model);
    for (const AddedToken& t : spec.added_tokens) {
      if (t.id < 0) throw Error(ErrorCode::kTokenizer, "added token '" + t.content + "' has a negative id");
      max_id = std::max(max_id, t.id);
    }
    if (post.kind != PostProcessorSpec::Kind::kNone && post.kind != PostProcessorSpec::Kind::kTemplate &&
        (post.cls_id < 0 || post.sep_id < 0)) {
      throw Error(ErrorCode::kTokenizer, "post-processor cls/sep ids must not be negative");
    }
    if (post.kind == PostProcessorSpec::Kind::kTemplate) tok::CheckTemplate(post);
    for (const int32_t id : post.single) max_id = std::max(max_id, id);
    for (const int32_t id : post.pair) max_id = std::max(max_id, id);
    vocab_size = static_cast<size_t>(max_id + 1);
  }

  // Each returns one prvalue, so the variant (whose Bpe cannot move) is built in place.
  static ModelStage MakeModel(const TokenizerSpec& spec) {
    switch (spec.model) {
      case ModelKind::kWordPiece:
        return ModelStage(std::in_place_type<tok::WordPiece>, spec);
      case ModelKind::kUnigram:
        return ModelStage(std::in_place_type<tok::Unigram>, spec);
      case ModelKind::kBpe:
        break;
    }
    return ModelStage(std::in_place_type<tok::Bpe>, spec);
  }

  static NormalizerStage MakeNormalizer(const NormalizerSpec& spec) {
    switch (spec.kind) {
      case NormalizerSpec::Kind::kBert:
        return NormalizerStage(std::in_place_type<tok::BertNormalizer>, spec);
      case NormalizerSpec::Kind::kSequence:
        return NormalizerStage(std::in_place_type<tok::SequenceNormalizer>, spec.steps);
      case NormalizerSpec::Kind::kNone:
        break;
    }
    return NormalizerStage();
  }

  static bool OneCharacter(std::string_view s) {
    if (s.empty()) return false;
    size_t len = 0;
    tok::DecodeUtf8(s, 0, len);
    return len == s.size();
  }

  // Normalized added tokens are matched as the normalizer writes them; with
  // no normalizer they are matched as they are. `normalizer` is built before
  // `added` and lives as long, so the matcher may call it while it builds.
  tok::AddedTokenMatcher::Normalize NormalizeAddedTokens() const {
    if (std::holds_alternative<std::monostate>(normalizer)) return {};
    return [this](std::string_view in, std::string& out) { Normalize(in, out); };
  }

  // Normalizes one raw segment; returns whether its start is still the
  // segment's first character (see SequenceNormalizer::Normalize).
  bool Normalize(std::string_view in, std::string& out) const {
    if (const auto* sequence = std::get_if<tok::SequenceNormalizer>(&normalizer)) return sequence->Normalize(in, out);
    if (const auto* bert = std::get_if<tok::BertNormalizer>(&normalizer)) {
      bert->Normalize(in, out);
    } else {
      out.assign(in);
    }
    return true;
  }

  // Ids of one text, before truncation and special tokens.
  // `limit`: HF stops encoding a text once, after some pre-token, it has at
  // least max_length ids (truncation on). The ids past that point are cut
  // anyway, but the length reached decides which side of a long pair keeps
  // longest_first's odd token, so the stop must fall where HF's does: after
  // a whole pre-token, counting added tokens but never stopping on one.
  void EncodeText(std::string_view text, std::vector<int32_t>& out, size_t limit) const {
    // One dispatch per text, so the per-piece loop calls the model directly.
    std::visit(
        [&](const auto& m) {
          if constexpr (std::is_same_v<std::decay_t<decltype(m)>, tok::Bpe>) {
            if (byte_level_path) return EncodeByteLevel(m, text, out, limit);
          }
          EncodeNormalized(m, text, out, limit);
        },
        model);
  }

  // The general pipeline: normalize between raw added tokens, then match the
  // normalized ones, then pre-tokenize and run the model on each piece.
  template <class M>
  void EncodeNormalized(const M& m, std::string_view text, std::vector<int32_t>& out, size_t limit) const {
    const size_t base = out.size();
    thread_local std::vector<tok::Segment> raw_segments;
    thread_local std::vector<tok::Segment> segments;
    thread_local std::vector<tok::Span> spans;
    thread_local std::string normalized;
    thread_local std::string rewritten;
    added.SplitRaw(text, raw_segments);
    for (const tok::Segment& raw : raw_segments) {
      if (raw.id >= 0) {
        out.push_back(raw.id);
        continue;
      }
      const std::string_view piece = text.substr(raw.begin, raw.end - raw.begin);
      const bool start_kept = Normalize(piece, normalized);
      added.SplitNormalized(normalized, segments);
      for (const tok::Segment& seg : segments) {
        if (seg.id >= 0) {
          out.push_back(seg.id);
          continue;
        }
        // HF drops empty text before pre-tokenizing it (Metaspace would
        // otherwise turn it into a lone replacement character).
        if (seg.begin == seg.end) continue;
        std::string_view part = std::string_view(normalized).substr(seg.begin, seg.end - seg.begin);
        switch (pre_tokenizer) {
          case PreTokenizerKind::kBert:
            tok::BertPreTokenize(part, spans);
            break;
          case PreTokenizerKind::kByteLevel:
            tok::PreTokenize(part, spans);
            break;
          case PreTokenizerKind::kMetaspace:
            // "first" means: this text begins at offset 0 of the input.
            tok::MetaspacePreTokenize(part, metaspace, raw.begin == 0 && seg.begin == 0 && start_kept, rewritten,
                                      spans);
            part = rewritten;
            break;
          case PreTokenizerKind::kNone:
            spans.assign(1, tok::Span{0, static_cast<uint32_t>(part.size())});
            break;
        }
        for (const tok::Span& sp : spans) {
          m.Encode(part.substr(sp.begin, sp.end - sp.begin), out);
          if (out.size() - base >= limit) return;
        }
      }
    }
  }

  void EncodeByteLevel(const tok::Bpe& bpe, std::string_view text, std::vector<int32_t>& out, size_t limit) const {
    const size_t base = out.size();
    thread_local std::vector<tok::Segment> segments;
    thread_local std::vector<tok::Span> spans;
    thread_local std::string prefixed;
    added.Split(text, segments);
    for (const tok::Segment& seg : segments) {
      if (seg.id >= 0) {
        out.push_back(seg.id);
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
        bpe.Encode(piece.substr(sp.begin, sp.end - sp.begin), out);
        if (out.size() - base >= limit) return;
      }
    }
  }

  // In this order: the matcher normalizes added tokens with `normalizer`.
  NormalizerStage normalizer;
  tok::AddedTokenMatcher added;
  ModelStage model;
  bool byte_level_path;
  MetaspaceSpec metaspace;
  bool add_prefix_space;
  PreTokenizerKind pre_tokenizer;
  int32_t pad_id;
  ModelKind model_kind;
  NormalizerSpec::Kind normalizer_kind;
  PostProcessorSpec post;
  Truncation truncation;
  size_t vocab_size = 0;
};

Tokenizer::Tokenizer(const TokenizerSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
Tokenizer::~Tokenizer() = default;

void Tokenizer::Encode(std::string_view first, const std::string_view* second, std::vector<int32_t>& out,
                       uint32_t* second_start) const {
  std::vector<int32_t> a;
  std::vector<int32_t> b;
  a.reserve(first.size() / 3 + 4);
  const Truncation& t = impl_->truncation;
  const size_t limit = t.enabled ? t.max_length : SIZE_MAX;
  impl_->EncodeText(first, a, limit);
  if (second) impl_->EncodeText(*second, b, limit);
  if (t.enabled) {
    const uint32_t added = tok::AddedTokenCount(impl_->post, second != nullptr);
    if (t.max_length < added) {
      throw Error(ErrorCode::kTokenizer, "max_length " + std::to_string(t.max_length) + " is smaller than the " +
                                             std::to_string(added) + " special tokens the post-processor adds");
    }
    tok::Truncate(t.strategy, t.max_length - added, a, second ? &b : nullptr);
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
                            std::vector<std::vector<int32_t>>& out, std::vector<uint32_t>* second_starts) const {
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

TokenizerInfo Tokenizer::info() const {
  TokenizerInfo out;
  out.model = impl_->model_kind;
  out.normalizer = impl_->normalizer_kind;
  out.pre_tokenizer = impl_->pre_tokenizer;
  out.post_processor = impl_->post.kind;
  out.pair_type_id = impl_->post.pair_type_id;
  out.pad_id = impl_->pad_id;
  out.vocab_size = impl_->vocab_size;
  out.truncation = impl_->truncation;
  return out;
}

std::string Tokenizer::Normalize(std::string_view text) const {
  std::string out;
  impl_->Normalize(text, out);
  return out;
}

}  // namespace cappy
