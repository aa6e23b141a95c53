// The seam between the training graph (lib/adapt/graph/, lib/adapt/differentiate/)
// and the trainer built on it (optimizer, data, checkpoints, `cappy adapt`).
// Both sides code against these types; change them only additively.
import type { RobertaConfig } from '../forge/roberta-graph.js';

/** Parameters by HF PyTorch name, HF layout (Linear [out, in]), float32. */
export type ParameterSet = Map<string, Float32Array>;

export interface MicroBatch {
  rows: number;
  /** The padded length of every row. */
  seqLen: number;
  /** [rows * seqLen], padded with the pad id. */
  inputIds: BigInt64Array;
  /** [rows * seqLen], 1 real / 0 pad. */
  attentionMask: BigInt64Array;
  /** BERT only: 0 first segment and padding, 1 second segment. */
  tokenTypeIds?: BigInt64Array;
  /** [rows] */
  labels: Float32Array;
  /** [rows]: weight of each row's squared error; 1/(rows in the optimizer step) gives torch's per-step mean. */
  rowWeights: Float32Array;
}

export interface StepResult {
  /** sum_i w_i (logit_i - label_i)^2, in float64. */
  loss: number;
  /** logits[:, 0] of each row (with dropout as it was applied). */
  logits: Float32Array;
}

export interface TrainingGraphOptions {
  /** 0 turns every dropout site off (embeddings, attention probs, hidden, head). */
  dropout: number;
  intraOpThreads?: number;
  device?: 'cpu' | 'cuda';
  deviceId?: number;
}

export interface TrainingGraph {
  readonly config: RobertaConfig;
  /** Every trainable parameter, HF names, in a fixed order. */
  readonly parameterShapes: ReadonlyMap<string, readonly number[]>;
  /** forward + backward on one micro-batch; ADDS each parameter's gradient into `grads` (same names/shapes as weights). */
  accumulate(batch: MicroBatch, weights: ParameterSet, grads: ParameterSet, dropoutSeed: number, signal?: AbortSignal): Promise<StepResult>;
  /** eval mode (no dropout): logits[:, 0] for each row. */
  forward(batch: Omit<MicroBatch, 'labels' | 'rowWeights'>, weights: ParameterSet, signal?: AbortSignal): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** `openTrainingGraph` in lib/adapt/graph/index.ts has this type (import it from there). */
export type OpenTrainingGraph = (config: RobertaConfig, options: TrainingGraphOptions) => Promise<TrainingGraph>;
