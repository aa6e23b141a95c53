// cappy-engine core: the C++ API, in one include (the stages' own headers
// below: error.h, tokenizer.h, model.h, session.h, graph_session.h; plan and
// collect here).
//
// The core is plain C++17 with no Node-API dependency. The Node addon in
// native/node and the C ABI (cappy/cappy_c.h, the stable interface that
// libcappy.so/.a export to other hosts) are thin bindings over these classes;
// builds from this source tree may link libcappy_core.a and use them directly.
//
// Pipeline: load (OpenModelFolder reads config.json and picks the ONNX file;
// ResolveLoad turns a LoadConfig into every stage's options, with the
// defaults both bindings share; Tokenizer::FromFile reads tokenizer.json) -> tokenize (Tokenizer) -> plan
// (PlanBatches) -> run (Session, behind the BatchRunner seam) -> collect
// (Scorer scatters scores back into input order).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "cappy/cancel.h"
#include "cappy/error.h"
#include "cappy/graph_session.h"
#include "cappy/load.h"
#include "cappy/model.h"
#include "cappy/plan.h"
#include "cappy/session.h"
#include "cappy/tokenizer.h"

namespace cappy {

// ---------------------------------------------------------------- plan
// PlanOptions and ScorerOptions: cappy/plan.h.
struct Batch {
  std::vector<uint32_t> rows;  // indices into the caller's items
  uint32_t padded_length = 0;
};

// Groups items of similar length so little compute is spent on padding.
// Every index 0..lengths.size()-1 appears in exactly one batch.
std::vector<Batch> PlanBatches(const std::vector<uint32_t>& lengths, const PlanOptions& options);

// ---------------------------------------------------------------- collect
struct ScoreStats {
  uint64_t real_tokens = 0;      // tokens the inputs really have
  uint64_t computed_tokens = 0;  // padded tokens the model ran over
  uint64_t batches = 0;
  double tokenize_ms = 0;
  double run_ms = 0;
};

// Tokenize -> plan -> run -> collect for one call.
class Scorer {
 public:
  // `runner` is the Session in production.
  Scorer(std::shared_ptr<const Tokenizer> tokenizer, std::shared_ptr<const BatchRunner> runner, ScorerOptions options);

  // Scores every (first, second) pair and returns scores in input order.
  // `cancel`, when non-null, stops the call once raised: the batch in flight
  // is cut short where the runner can (BatchRunner::RunRowsCancellable),
  // the batches left never run, and the call throws Error(kCancelled).
  std::vector<float> Score(const std::vector<TextInput>& inputs, const CancelFlag* cancel, ScoreStats* stats) const;

  const Tokenizer& tokenizer() const noexcept { return *tokenizer_; }

 private:
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::shared_ptr<const BatchRunner> runner_;
  ScorerOptions options_;
};

}  // namespace cappy
