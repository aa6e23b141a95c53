// The forge: the RoBERTa/BERT sequence-classification graph builder and seeded random weights.
export { forgeModel, FORGED_NOTE } from './forge.js';
export type { ForgeOptions, ForgeResult } from './forge.js';
export { PRESETS, isPreset, presetFamily } from './presets.js';
export type { Preset } from './presets.js';
export { buildRobertaGraph, robertaConfig, robertaParameterShapes } from './roberta-graph.js';
export type {
  EncoderGraphConfig,
  GraphOptions,
  LazyWeight,
  ModelFamily,
  RobertaConfig,
  RobertaConfigInput,
  Weight,
  WeightSource,
} from './roberta-graph.js';
export { DEFAULT_INT8, dequantizePerColumn, fromHalf, quantizePerColumn, toHalf } from './precision.js';
export type { Int8Options, LinearKind, ModelDType, QuantizedWeight } from './precision.js';
export { forgedWeightEntries, forgedWeights, lazyForgedWeight, randomWeight } from './random-weights.js';
export {
  bertConfigJson,
  bertTokenizerConfigJson,
  BERT_SPECIAL_TOKENS_MAP,
  modelConfigJson,
  robertaConfigJson,
  tokenizerConfigJson,
  SPECIAL_TOKENS_MAP,
} from './hf-files.js';
export type { ForgedMark } from './hf-files.js';
export { buildBertTokenizerJson, buildForgedBertTokenizerJson, buildRobertaTokenizerJson, forgedBertTexts } from './tokenizer-json.js';
export { GraphBuilder } from './onnx/graph-builder.js';
export type { AttrValue, Dim, TensorData, TensorSource, WriteOptions, WriteResult } from './onnx/graph-builder.js';
export { DataType, ModelProto, TensorProto } from './onnx/schema.js';
