// Scorer options: every default and every check lives here, so the native
// side receives complete, valid values.
import { availableParallelism } from 'node:os';
import { InvalidInputError } from '../errors/index.js';
import type { TruncationStrategy } from '../tokenizer/index.js';

export type Device = 'cpu';

/**
 * How a native call groups its pairs into batches.
 * - 'padding-aware' (default): sort each window of 2048 pairs by length, then
 *   cut batches under `maxBatchTokens` and `maxBatchSize`; little padding.
 * - 'fifo': keep input order and cut batches under the same limits; each batch
 *   pads to its longest pair. The planner switched off, for comparison.
 */
export type Planner = 'padding-aware' | 'fifo';

export interface ScorerOptions {
  /** Execution provider. Only 'cpu' in this release. */
  device?: Device;
  /** ONNX file inside the model folder; default onnx/model.onnx, then model.onnx. */
  onnxFile?: string;
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
  onnxFile: string | undefined;
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
  if (device !== 'cpu') {
    throw new InvalidInputError(`device must be 'cpu' in this release, got ${String(device)}`);
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
  const cores = availableParallelism();
  // 5: a pair needs 4 special tokens and at least one more to carry text.
  const maxLength = positiveInt('maxLength', options.maxLength, 512);
  if (maxLength < 5) throw new InvalidInputError(`maxLength must be at least 5 for pairs, got ${maxLength}`);
  const resolved: ResolvedScorerOptions = {
    device,
    onnxFile: options.onnxFile,
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
