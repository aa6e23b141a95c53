// The forge: Cappy's RoBERTa graph builder and seeded random weights.
export { forgeModel } from './forge.js';
export type { ForgeOptions, ForgeResult } from './forge.js';
export { PRESETS, isPreset } from './presets.js';
export type { Preset } from './presets.js';
export { buildRobertaGraph, robertaParameterShapes } from './roberta-graph.js';
export type { RobertaConfig, Weight, WeightSource } from './roberta-graph.js';
export { forgedWeights, randomWeight } from './random-weights.js';
export { robertaConfigJson, tokenizerConfigJson, SPECIAL_TOKENS_MAP } from './hf-files.js';
export { buildRobertaTokenizerJson } from './tokenizer-json.js';
export { GraphBuilder } from './onnx/graph-builder.js';
