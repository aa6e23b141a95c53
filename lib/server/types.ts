// The server's view of a scorer and its own options. The server depends on a
// small structural interface rather than the Scorer class, so its request
// handling is testable against a fake, and so it can only use what the public
// Scorer API offers.
import type { Pair } from '../scorer/pairs.js';
import type { IndexedScore, StreamOptions } from '../scorer/stream.js';
import { SERVER_OPTIONS } from '../options/serve.js';
import { resolveOptions, type GivenOptions, type ResolvedOptions } from '../options/spec.js';

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
    /** Long-input handling (absent on scorers that only truncate). */
    longInputs?: string;
    maxChunks?: number;
    chunkOverlap?: number;
    chunkAggregation?: string;
  };
}

/** Per-call options the server passes to scoreBatch. */
export interface ScoreCallOptions {
  signal?: AbortSignal;
  /** 'truncate' or 'chunk' for this call (TEI's truncate: true, Cohere's max_chunks_per_doc). */
  longInputs?: 'truncate' | 'chunk';
  maxChunks?: number;
}

/**
 * A tokenizer that encodes texts with their special tokens, on native
 * threads. Only used for `truncate: false`, to tell the client its input is
 * too long instead of silently cutting it.
 */
export interface TokenizerLike {
  /** Items are single texts or [first, second] pairs, encoded with the model's template. */
  encodeBatch(items: (string | [string, string])[]): Promise<{ ids: { length: number } }[]>;
}

/** What the server needs from a Scorer. `Scorer` satisfies it. */
export interface ScorerLike {
  readonly info: ScorerInfoLike;
  readonly tokenizer?: TokenizerLike;
  scoreBatch(pairs: readonly Pair[], options?: ScoreCallOptions): Promise<Float32Array>;
  scoreStream(source: Iterable<Pair> | AsyncIterable<Pair>, options: StreamOptions & { withIndex: true }): AsyncGenerator<IndexedScore>;
  stats(): ScorerStatsLike;
}

/** createServer's options; each is declared once in lib/options/serve.ts (SERVER_OPTIONS). */
export type ServerOptions = GivenOptions<typeof SERVER_OPTIONS>;
export type ResolvedServerOptions = ResolvedOptions<typeof SERVER_OPTIONS>;

/** Checks the server options; `alsoKnown` names the other keys the caller takes (createServer's logger, the plugin's scorer, ...). */
export function resolveServerOptions(
  o: ServerOptions = {},
  what = 'server options',
  alsoKnown: readonly string[] = [],
): ResolvedServerOptions {
  return resolveOptions(SERVER_OPTIONS, o, what, { strict: true, alsoKnown });
}
