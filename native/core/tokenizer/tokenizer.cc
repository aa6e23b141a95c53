// cappy::Tokenizer: glues the pipeline stages.
//   added tokens -> (add_prefix_space) -> pre-tokenize -> BPE per piece
//   -> truncate -> post-process
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "cappy/cappy.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/truncation.h"

namespace cappy {

struct Tokenizer::Impl {
  explicit Impl(const TokenizerSpec& spec)
      : bpe(spec),
        added(spec.added_tokens),
        add_prefix_space(spec.add_prefix_space),
        pad_id(spec.pad_id),
        post(spec.post_processor),
        truncation(spec.truncation) {
    int32_t max_id = bpe.max_id();
    for (const AddedToken& t : spec.added_tokens) {
      if (t.id < 0) throw Error(ErrorCode::kTokenizer, "added token '" + t.content + "' has a negative id");
      max_id = std::max(max_id, t.id);
    }
    if (post.kind == PostProcessorSpec::Kind::kRoberta && (post.cls_id < 0 || post.sep_id < 0)) {
      throw Error(ErrorCode::kTokenizer, "post-processor cls/sep ids must not be negative");
    }
    vocab_size = static_cast<size_t>(max_id + 1);
  }

  // Ids of one text, before truncation and special tokens.
  void EncodeText(std::string_view text, std::vector<int32_t>& out) const {
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
      for (const tok::Span& sp : spans) bpe.Encode(piece.substr(sp.begin, sp.end - sp.begin), out);
    }
  }

  tok::Bpe bpe;
  tok::AddedTokenMatcher added;
  bool add_prefix_space;
  int32_t pad_id;
  PostProcessorSpec post;
  Truncation truncation;
  size_t vocab_size = 0;
};

Tokenizer::Tokenizer(const TokenizerSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
Tokenizer::~Tokenizer() = default;

void Tokenizer::Encode(std::string_view first, const std::string_view* second,
                       std::vector<int32_t>& out) const {
  std::vector<int32_t> a;
  std::vector<int32_t> b;
  a.reserve(first.size() / 3 + 4);
  impl_->EncodeText(first, a);
  if (second) impl_->EncodeText(*second, b);
  const Truncation& t = impl_->truncation;
  if (t.enabled) {
    const uint32_t added = tok::AddedTokenCount(impl_->post, second != nullptr);
    if (t.max_length < added) {
      throw Error(ErrorCode::kTokenizer, "max_length " + std::to_string(t.max_length) +
                                             " is smaller than the " + std::to_string(added) +
                                             " special tokens the post-processor adds");
    }
    tok::Truncate(t.strategy, t.max_length - added, a, second ? &b : nullptr);
  }
  tok::ApplyPostProcessor(impl_->post, a, second ? &b : nullptr, out);
}

void Tokenizer::EncodeBatch(const std::vector<TextInput>& inputs, unsigned threads,
                            std::vector<std::vector<int32_t>>& out) const {
  out.assign(inputs.size(), {});
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
          Encode(in.first, in.has_second ? &second : nullptr, out[i]);
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
const Truncation& Tokenizer::truncation() const noexcept { return impl_->truncation; }
size_t Tokenizer::vocab_size() const noexcept { return impl_->vocab_size; }

}  // namespace cappy
