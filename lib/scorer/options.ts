// Scorer options: every default and every check lives here, so the native
// side receives complete, valid values.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../errors/index.js';
import { cacheRoot } from '../model/default-model.js';
import { isModelDType, MODEL_DTYPES, type ModelDType } from '../model/dtypes.js';
import type { TruncationStrategy } from '../tokenizer/index.js';

/**
 * Where the model runs. 'cuda': ONNX Runtime's CUDA plugin EP (npm
 * com.github.asus4.onnxruntime.linux-x64-gpu, or CAPPY_ORT_CUDA_EP).
 * 'tensorrt': TensorRT from a full ORT GPU build (CAPPY_ORT_LIB). 'auto':
 * TensorRT, then CUDA, then CPU, whichever loads first; `scorer.info.execution`
 * says which ran and why the others did not.
 */
export type Device = 'cpu' | 'cuda' | 'tensorrt' | 'auto';

/**
 * How a native call groups its pairs into batches.
 * - 'padding-aware' (default): sort each window of 2048 pairs by length, then
 *   cut batches under `maxBatchTokens` and `maxBatchSize`; little padding.
 * - 'fifo': keep input order and cut batches under the same limits; each batch
 *   pads to its longest pair. The planner switched off, for comparison.
 */
export type Planner = 'padding-aware' | 'fifo';

export interface ScorerOptions {
  /** Default 'cpu'. See Device. */
  device?: Device;
  /** CUDA device ordinal. Default 0. */
  deviceId?: number;
  /**
   * Bind inputs and outputs with ORT's IoBinding, inputs staged in reusable
   * (on a GPU: pinned) buffers. Default: on for GPU providers, off on CPU.
   */
  ioBinding?: boolean;
  /** Stage inputs in the GPU provider's pinned host memory. Default true; false keeps plain host memory. */
  pinnedBuffers?: boolean;
  /** Batches one call runs at once. Default 2 on a GPU (copies overlap compute), 1 on CPU. */
  batchesInFlight?: number;
  /**
   * Extra options for the GPU provider, passed as given: CUDA EP keys such as
   * { use_tf32: '0' } (exact fp32) or TensorRT keys (trt_*). Default none.
   */
  providerOptions?: Record<string, string>;
  /** TensorRT engine and timing cache folder. Default <CAPPY_HOME>/tensorrt. */
  tensorrtCacheDir?: string;
  /** Let TensorRT use fp16 kernels for an fp32 model. Default false. */
  tensorrtFp16?: boolean;
  /** ONNX file inside the model folder; default onnx/model.onnx, then model.onnx. Not with `dtype`. */
  onnxFile?: string;
  /**
   * Which graph of the folder to run: 'fp32' (onnx/model.onnx, the default),
   * 'int8' (onnx/model_int8.onnx), 'fp16' (onnx/model_fp16.onnx), or 'auto':
   * the best the folder has for the device (on the CPU int8, then fp32, then
   * fp16). `info.model.dtype` says which was chosen. Not with `onnxFile`.
   */
  dtype?: ModelDType | 'auto';
  /** Max tokens per pair including special tokens. Cappy: 512. */
  maxLength?: number;
  /** How a pair over maxLength is cut. Cappy: 'longest_first'. */
  truncation?: TruncationStrategy;
  /** ORT intra-op threads. Default: the core count. */
  intraOpThreads?: number;
  /**
   * Tokenizer threads. Default: half the cores (at least 1). Tokenizing the
   * next window overlaps running the current one, so the two pools share the
   * machine; ORT's pool is the one that matters for throughput.
   */
  tokenizerThreads?: number;
  /** Budget per batch, in padded tokens (rows x padded length). Default 16384. */
  maxBatchTokens?: number;
  /** Rows per batch. Default 64. */
  maxBatchSize?: number;
  /** Padded lengths round up to this multiple. Default 8. */
  padMultiple?: number;
  /** How long an idle scorer waits to merge concurrent calls, in ms. 0: dispatch at once. Default 2. */
  maxWaitMs?: number;
  /** Pairs per merged native call. Default 1024. */
  maxPairsPerCall?: number;
  /** Pairs allowed to wait; beyond this calls reject with QueueFullError. Default 65536. */
  maxQueuedPairs?: number;
  /** Native calls at once (one runs while the next tokenizes). Default 2. */
  maxConcurrentCalls?: number;
  /** Batch planning: 'padding-aware' (default) or 'fifo' (input order, for comparison). */
  planner?: Planner;
}

export interface ResolvedScorerOptions {
  device: Device;
  deviceId: number;
  /** undefined: by provider (on for GPU providers). */
  ioBinding: boolean | undefined;
  pinnedBuffers: boolean;
  /** undefined: by provider (2 on a GPU, 1 on CPU). */
  batchesInFlight: number | undefined;
  providerOptions: Record<string, string>;
  tensorrtCacheDir: string;
  tensorrtFp16: boolean;
  onnxFile: string | undefined;
  dtype: ModelDType | 'auto' | undefined;
  maxLength: number;
  truncation: TruncationStrategy;
  intraOpThreads: number;
  tokenizerThreads: number;
  maxBatchTokens: number;
  maxBatchSize: number;
  padMultiple: number;
  maxWaitMs: number;
  maxPairsPerCall: number;
  maxQueuedPairs: number;
  maxConcurrentCalls: number;
  planner: Planner;
}

const DEVICES: readonly Device[] = ['cpu', 'cuda', 'tensorrt', 'auto'];
const TRUNCATIONS: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];
const PLANNERS: readonly Planner[] = ['padding-aware', 'fifo'];

function positiveInt(name: string, value: unknown, fallback: number, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidInputError(`${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 60_000) {
    throw new InvalidInputError(`${name} must be a number of ms from 0 to 60000, got ${String(value)}`);
  }
  return value;
}

export function resolveScorerOptions(options: ScorerOptions = {}): ResolvedScorerOptions {
  if (options === null || typeof options !== 'object') throw new InvalidInputError('options must be an object');
  const device = options.device ?? 'cpu';
  if (!DEVICES.includes(device)) {
    throw new InvalidInputError(`device must be one of ${DEVICES.join(', ')}, got ${String(device)}`);
  }
  const deviceId = options.deviceId ?? 0;
  if (typeof deviceId !== 'number' || !Number.isInteger(deviceId) || deviceId < 0 || deviceId > 255) {
    throw new InvalidInputError(`deviceId must be an integer from 0 to 255, got ${String(deviceId)}`);
  }
  for (const key of ['ioBinding', 'pinnedBuffers', 'tensorrtFp16'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new InvalidInputError(`${key} must be a boolean, got ${String(options[key])}`);
    }
  }
  const providerOptions = options.providerOptions ?? {};
  if (
    providerOptions === null ||
    typeof providerOptions !== 'object' ||
    Array.isArray(providerOptions) ||
    !Object.values(providerOptions).every((v) => typeof v === 'string')
  ) {
    throw new InvalidInputError('providerOptions must be an object of string values, e.g. { use_tf32: "0" }');
  }
  if (options.tensorrtCacheDir !== undefined && (typeof options.tensorrtCacheDir !== 'string' || options.tensorrtCacheDir === '')) {
    throw new InvalidInputError('tensorrtCacheDir must be a non-empty string');
  }
  const truncation = options.truncation ?? 'longest_first';
  if (!TRUNCATIONS.includes(truncation)) {
    throw new InvalidInputError(`truncation must be one of ${TRUNCATIONS.join(', ')}, got ${String(truncation)}`);
  }
  const planner = options.planner ?? 'padding-aware';
  if (!PLANNERS.includes(planner)) {
    throw new InvalidInputError(`planner must be one of ${PLANNERS.join(', ')}, got ${String(planner)}`);
  }
  if (options.onnxFile !== undefined && typeof options.onnxFile !== 'string') {
    throw new InvalidInputError('onnxFile must be a string');
  }
  const dtype = options.dtype;
  if (dtype !== undefined && dtype !== 'auto' && !isModelDType(dtype)) {
    throw new InvalidInputError(`dtype must be 'auto' or one of ${MODEL_DTYPES.join(', ')}, got ${String(dtype)}`);
  }
  if (dtype !== undefined && options.onnxFile !== undefined) {
    throw new InvalidInputError('give onnxFile or dtype, not both: onnxFile names one file, dtype picks one of the folder');
  }
  const cores = availableParallelism();
  // 5: a pair needs 4 special tokens and at least one more to carry text.
  const maxLength = positiveInt('maxLength', options.maxLength, 512);
  if (maxLength < 5) throw new InvalidInputError(`maxLength must be at least 5 for pairs, got ${maxLength}`);
  const resolved: ResolvedScorerOptions = {
    device,
    deviceId,
    ioBinding: options.ioBinding,
    pinnedBuffers: options.pinnedBuffers ?? true,
    batchesInFlight:
      options.batchesInFlight === undefined ? undefined : positiveInt('batchesInFlight', options.batchesInFlight, 1, 8),
    providerOptions: { ...providerOptions },
    tensorrtCacheDir: options.tensorrtCacheDir ?? join(cacheRoot(), 'tensorrt'),
    tensorrtFp16: options.tensorrtFp16 ?? false,
    onnxFile: options.onnxFile,
    dtype,
    maxLength,
    truncation,
    intraOpThreads: positiveInt('intraOpThreads', options.intraOpThreads, cores, 1024),
    tokenizerThreads: positiveInt('tokenizerThreads', options.tokenizerThreads, Math.max(1, Math.floor(cores / 2)), 1024),
    maxBatchTokens: positiveInt('maxBatchTokens', options.maxBatchTokens, 16384),
    maxBatchSize: positiveInt('maxBatchSize', options.maxBatchSize, 64, 65536),
    padMultiple: positiveInt('padMultiple', options.padMultiple, 8, 512),
    maxWaitMs: nonNegative('maxWaitMs', options.maxWaitMs, 2),
    maxPairsPerCall: positiveInt('maxPairsPerCall', options.maxPairsPerCall, 1024),
    maxQueuedPairs: positiveInt('maxQueuedPairs', options.maxQueuedPairs, 65536),
    maxConcurrentCalls: positiveInt('maxConcurrentCalls', options.maxConcurrentCalls, 2, 64),
    planner,
  };
  return resolved;
}
