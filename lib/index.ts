// cappy-engine's public API.
export { Scorer } from './scorer/scorer.js';
export type { CallOptions, ScorerInfo, ScorerStats } from './scorer/scorer.js';
export type { ScorerOptions, Device, Planner } from './scorer/options.js';
export type { ExecutionInfo } from './runtime/execution-provider.js';
export type { ModelDType } from './model/dtypes.js';
export type { Pair } from './scorer/pairs.js';
export type { Ranked } from './scorer/ranking.js';
export type { IndexedScore, StreamOptions } from './scorer/stream.js';
export { warmUp } from './scorer/warmup.js';
export type { LongInputs, ChunkAggregation } from './scorer/windows.js';
export type { WarmUpOptions, WarmUpShape } from './scorer/warmup.js';
export { multipleChoiceAccuracy } from './eval/multiple-choice.js';
export type { McRow, McResult } from './eval/multiple-choice.js';
export { bestOfN } from './eval/best-of-n.js';
export type { BonRow, BonResult } from './eval/best-of-n.js';
export { rougeL, rougeLBest, rougeLMulti, rougeTokens } from './eval/rouge.js';
export type { RougeScore, RougeOptions } from './eval/rouge.js';
export { porterStem } from './eval/porter-stemmer.js';
export { makeAdaptData, buildPairs, parseTaskRows, LlmError } from './adapt/recipe/index.js';
export type {
  AdaptDataOptions,
  AdaptDataProgress,
  AdaptDataResult,
  DevBestOfN,
  LabelledPair,
  MadeFrom,
  PairStats,
  TaskRow,
} from './adapt/recipe/index.js';
export { Tokenizer } from './tokenizer/index.js';
export type { TruncationStrategy } from './tokenizer/index.js';
export {
  CappyError,
  ModelLoadError,
  TokenizerError,
  InvalidInputError,
  QueueFullError,
  AbortError,
  DisposedError,
  RuntimeError,
  InternalError,
  DeviceUnavailableError,
  ShardError,
  MissingPartError,
  RemoteError,
  ERROR_TABLE,
} from './errors/index.js';
export type { CappyErrorCode, CappyErrorReason, ErrorCode, ErrorKind, ServerErrorCode, TeiErrorKind } from './errors/index.js';
export { RemoteScorer } from './remote/index.js';
export type { RemoteScorerOptions, RemoteCallOptions, EndpointStatus, EndpointLimits } from './remote/index.js';
export { forgeModel } from './forge/index.js';
export { ensureDefaultModel } from './forge/default-model.js';
export { cacheRoot } from './model/cache.js';
export { resolveOrtLibrary } from './runtime/ort-library.js';
export { cpuFeatures } from './runtime/cpu-features.js';
export type { CpuFeatures, CpuFlags, Int8Kernel } from './runtime/cpu-features.js';
export type { OrtLoadMode } from './runtime/ort-load.js';
export { adapt } from './adapt/index.js';
export type { AdaptEvent, AdaptOptions, AdaptResult, DevSummary, EvalSummary, TrainingGraphFactory } from './adapt/index.js';
