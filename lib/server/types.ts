// The server's view of a scorer and its own options. The server depends on a
// small structural interface rather than the Scorer class, so its request
// handling is testable against a fake, and so it can only use what the public
// Scorer API offers.
import type { Pair } from '../scorer/pairs.js';
import type { IndexedScore, StreamOptions } from '../scorer/stream.js';

/** The counters of `Scorer.stats()` that the server reads. */
export interface ScorerStatsLike {
  calls: number;
  pairs: number;
  realTokens: number;
  computedTokens: number;
  padFraction: number;
  batches: number;
  tokenizeMs: number;
  runMs: number;
  queueMs: number;
  queuedPairs: number;
}

/** The parts of `Scorer.info` the server reports on /info. */
export interface ScorerInfoLike {
  /** `dtype`: the graph's number format (fp32, fp16, int8), when known. */
  model: { dir: string; description: string; forged?: unknown; dtype?: string };
  executionProvider: string;
  maxLength: number;
  truncation: string;
  options: {
    maxBatchTokens: number;
    maxBatchSize: number;
    maxQueuedPairs: number;
    maxConcurrentCalls: number;
    tokenizerThreads: number;
  };
}

/**
 * A tokenizer that encodes texts with their special tokens, on native
 * threads. Only used for `truncate: false`, to tell the client its input is
 * too long instead of silently cutting it.
 */
export interface TokenizerLike {
  encodeBatch(items: string[]): Promise<{ ids: { length: number } }[]>;
}

/** What the server needs from a Scorer. `Scorer` satisfies it. */
export interface ScorerLike {
  readonly info: ScorerInfoLike;
  readonly tokenizer?: TokenizerLike;
  scoreBatch(pairs: readonly Pair[], options?: { signal?: AbortSignal }): Promise<Float32Array>;
  scoreStream(
    source: Iterable<Pair> | AsyncIterable<Pair>,
    options: StreamOptions & { withIndex: true },
  ): AsyncGenerator<IndexedScore>;
  stats(): ScorerStatsLike;
}

export interface ServerOptions {
  /** When set, every route except /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Items (texts, documents, pairs) one request may carry; more is a 413. Default 1024. */
  maxClientBatchSize?: number;
  /** Request body limit in bytes; more is a 413. For NDJSON streams it bounds one line. Default 8 MiB. */
  bodyLimit?: number;
  /** Name reported as `model_id` on /info. Default: the model folder's name. */
  modelId?: string;
  /** Pairs per scoring call on the NDJSON stream route. Default 256. */
  streamChunkSize?: number;
}

export interface ResolvedServerOptions {
  apiKey: string | undefined;
  maxClientBatchSize: number;
  bodyLimit: number;
  modelId: string | undefined;
  streamChunkSize: number;
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function resolveServerOptions(o: ServerOptions = {}): ResolvedServerOptions {
  if (o.apiKey !== undefined && (typeof o.apiKey !== 'string' || o.apiKey.length === 0)) {
    throw new TypeError('apiKey must be a non-empty string when given');
  }
  return {
    apiKey: o.apiKey,
    maxClientBatchSize: positiveInt('maxClientBatchSize', o.maxClientBatchSize, 1024),
    bodyLimit: positiveInt('bodyLimit', o.bodyLimit, 8 * 1024 * 1024),
    modelId: o.modelId,
    streamChunkSize: positiveInt('streamChunkSize', o.streamChunkSize, 256),
  };
}
