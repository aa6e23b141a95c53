// The Cappy paper's adaptation data (issue 24): task rows -> gold pairs,
// in-task negatives and LLM samples labelled by Rouge-L.
export { makeAdaptData, writeAtomically, type AdaptDataOptions, type AdaptDataProgress, type AdaptDataResult } from './make-data.js';
export { buildPairs, pairLine, byCodePoint, type BuildPairsOptions, type LabelledPair, type PairSource, type PairStats } from './pairs.js';
export { parseTaskRow, parseTaskRows, readTaskRows, type TaskRow } from './task-rows.js';
export { llmCandidates, parseRetryAfter, retryDelayMs, type LlmCandidateOptions, type LlmProgress } from './llm-candidates.js';
export {
  samplingPlan,
  requestBody,
  GREEDY,
  SAMPLING_DECODINGS,
  MIN_TOKENS,
  type Decoding,
  type DecodingName,
  type PlannedDecoding,
} from './sampling.js';
export { GenerationCache } from './generation-cache.js';
export { LlmError } from './errors.js';
export { readDevSet, devBestOfN, type DevSet, type DevBestOfN } from './dev-set.js';
export type { MadeFrom, DataStepEvent } from './from-tasks.js';
