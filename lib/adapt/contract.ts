import type { RobertaConfig } from '../forge/roberta-graph.js';
/** Parameters by HF PyTorch name, HF layout (Linear [out, in]), float32. */
export type ParameterSet = Map<string, Float32Array>;
export interface MicroBatch {
  rows: number;
  seqLen: number;               // padded length
  inputIds: BigInt64Array;      // [rows * seqLen], padded with the pad id
  attentionMask: BigInt64Array; // [rows * seqLen], 1 real / 0 pad
  tokenTypeIds?: BigInt64Array; // BERT only: 0 first segment and padding, 1 second segment
  labels: Float32Array;         // [rows]
  rowWeights: Float32Array;     // [rows]: weight of each row's squared error; 1/(rows in the optimizer step) gives torch's per-step mean
}
export interface StepResult { loss: number; /* sum_i w_i (logit_i - label_i)^2 in float64 */ logits: Float32Array; }
export interface TrainingGraphOptions {
  dropout: number;              // 0 turns every dropout site off (embeddings, attention probs, hidden, head)
  intraOpThreads?: number;
  device?: 'cpu' | 'cuda';
  deviceId?: number;
}
export interface TrainingGraph {
  readonly config: RobertaConfig;
  readonly parameterShapes: ReadonlyMap<string, readonly number[]>; // every trainable parameter, HF names, in a fixed order
  /** forward + backward on one micro-batch; ADDS each parameter's gradient into `grads` (same names/shapes as weights). */
  accumulate(batch: MicroBatch, weights: ParameterSet, grads: ParameterSet, dropoutSeed: number, signal?: AbortSignal): Promise<StepResult>;
  /** eval mode (no dropout): logits[:, 0] for each row. */
  forward(batch: Omit<MicroBatch, 'labels' | 'rowWeights'>, weights: ParameterSet, signal?: AbortSignal): Promise<Float32Array>;
  dispose(): Promise<void>;
}
export declare function openTrainingGraph(config: RobertaConfig, options: TrainingGraphOptions): Promise<TrainingGraph>; // implemented in lib/adapt/graph/ by i21a
