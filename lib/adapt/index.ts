// Adapting a cross-encoder to a task: `cappy adapt` and the library's adapt().
export { adapt, type AdaptEvent, type AdaptOptions, type AdaptResult, type DevSummary, type TrainingGraphFactory } from './train.js';
export type { MicroBatch, OpenTrainingGraph, ParameterSet, StepResult, TrainingGraph, TrainingGraphOptions } from './contract.js';
export type { EvalSummary, CheckpointMeta } from './checkpoint.js';
export { AdamW, clipGradNorm, globalGradNorm, linearSchedule, linearWarmupFactor, warmupStepsFor } from './optimize/index.js';
export { readLabelledPairs, meanSquaredError, spearman } from './data/index.js';
export { writeSafetensors } from './output/index.js';
export { readOnnxWeights } from './onnx-weights.js';
export { loadBaseModel } from './base-model.js';
