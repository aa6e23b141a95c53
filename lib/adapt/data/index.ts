// Training data: reading and checking labelled pairs, tokenizing them, the
// seeded stream of rows and its micro-batches, and the dev-set metrics.
export { readLabelledPairs, toLabelledPair, type LabelledData, type LabelledPair } from './jsonl.js';
export { encodeRows, splitPoint, type EncodedRows, type EncodeOptions } from './tokenize.js';
export {
  buildMicroBatch,
  dropoutSeedFor,
  groupStep,
  mixSeed,
  planStep,
  rowsPerStep,
  stepSlice,
  streamOrder,
  totalStepsFor,
  type StreamSettings,
} from './plan.js';
export { averageRanks, meanSquaredError, pearson, spearman } from './metrics.js';
