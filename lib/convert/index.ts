// Checkpoint conversion: weight readers (safetensors, torch zip, flax msgpack)
// behind one WeightSource interface, config validation, and convertModelDir.
export type { DType } from './dtypes.js';
export type { CheckpointFormat, TensorInfo, WeightSource } from './source.js';
export { SafetensorsSource } from './safetensors.js';
export { TorchBinSource } from './torch-bin.js';
export { FlaxSource } from './flax.js';
export { openCheckpoint, findWeightFile, WEIGHT_FILES } from './checkpoint.js';
export {
  SUPPORTED_ARCHITECTURES,
  parseEncoderConfig,
  expectedParameters,
  mapWeights,
  MappedWeights,
  type EncoderConfig,
} from './architecture.js';
export { convertModelDir, checkExportOptions, type ConvertOptions, type ConvertResult, type ExportDType } from './convert.js';
