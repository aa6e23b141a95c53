// A fake scorer with the ScorerLike surface, for testing the server without a
// model: deterministic scores, optional latency, a bounded queue, tokenizer
// failures on demand, and a record of every abort it observed.
import { AbortError, QueueFullError, TokenizerError } from '../../lib/errors/index.js';
import type { IndexedScore, Pair, StreamOptions } from '../../lib/index.js';
import type { ScoreCallOptions, ScorerLike, ScorerStatsLike } from '../../lib/server/index.js';

/** Any pair containing this text fails as the real tokenizer would. */
export const BAD_TEXT = '<<tokenizer-fails>>';

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** The score the fake gives a pair: a float32 in about -0.1..1.1, like Cappy's. */
export function fakeScore(instruction: string, response: string): number {
  return Math.fround(((hash(`${instruction}\u0001${response}`) % 1000) / 1000) * 1.2 - 0.1);
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

function pairOf(p: Pair): [string, string] {
  return Array.isArray(p) ? [p[0], p[1]] : [(p as { instruction: string }).instruction, (p as { response: string }).response];
}

export class FakeScorer implements ScorerLike {
  readonly info = {
    model: { dir: '/models/fake-cappy', description: 'fake scorer for tests' } as { dir: string; description: string; dtype?: string },
    executionProvider: 'cpu',
    maxLength: 16,
    truncation: 'longest_first',
    options: { maxBatchTokens: 16384, maxBatchSize: 64, maxQueuedPairs: 100, maxConcurrentCalls: 2, tokenizerThreads: 2 },
  };
  /** One token per word plus RoBERTa's specials: <s> A </s> for a text, <s> A </s></s> B </s> for a pair. */
  readonly tokenizer = {
    encodeBatch: async (items: (string | [string, string])[]) =>
      items.map((t) => ({ ids: { length: typeof t === 'string' ? words(t) + 2 : words(t[0]) + words(t[1]) + 4 } })),
  };
  /** Latency of each scoreBatch call, ms. */
  delayMs = 0;
  /** Pairs in flight beyond which calls get QueueFullError. */
  queueLimit = Number.POSITIVE_INFINITY;
  /** Calls that started, and calls whose signal fired while they waited. */
  started = 0;
  aborted = 0;
  inFlight = 0;
  /** Most calls running at once, and the size of every call, in order. */
  maxInFlight = 0;
  callSizes: number[] = [];
  /** The options of every call, signal left out. */
  callOptions: Omit<ScoreCallOptions, 'signal'>[] = [];
  #stats: ScorerStatsLike = {
    calls: 0,
    pairs: 0,
    realTokens: 0,
    computedTokens: 0,
    padFraction: 0,
    batches: 0,
    tokenizeMs: 0,
    runMs: 0,
    queueMs: 0,
    queuedPairs: 0,
  };

  async scoreBatch(pairs: readonly Pair[], options: ScoreCallOptions = {}): Promise<Float32Array> {
    const { signal, ...call } = options;
    this.callOptions.push(call);
    if (signal?.aborted) throw new AbortError();
    const split = pairs.map(pairOf);
    if (this.#stats.queuedPairs + split.length > this.queueLimit) {
      throw new QueueFullError(`fake queue is full (${this.#stats.queuedPairs} waiting)`);
    }
    for (const [a, b] of split) {
      if (a.includes(BAD_TEXT) || b.includes(BAD_TEXT)) throw new TokenizerError('fake tokenizer cannot take this input');
    }
    this.started += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.callSizes.push(split.length);
    this.#stats.queuedPairs += split.length;
    try {
      if (this.delayMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }, this.delayMs);
          const onAbort = () => {
            clearTimeout(t);
            this.aborted += 1;
            reject(new AbortError());
          };
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      }
    } finally {
      this.inFlight -= 1;
      this.#stats.queuedPairs -= split.length;
    }
    const real = split.reduce((n, [a, b]) => n + words(a) + words(b) + 4, 0);
    const s = this.#stats;
    s.calls += 1;
    s.pairs += split.length;
    s.realTokens += real;
    s.computedTokens += real * 2;
    s.padFraction = 1 - s.realTokens / s.computedTokens;
    s.batches += 1;
    s.tokenizeMs += 1;
    s.runMs += 2;
    return Float32Array.from(split, ([a, b]) => fakeScore(a, b));
  }

  async *scoreStream(
    source: Iterable<Pair> | AsyncIterable<Pair>,
    options: StreamOptions & { withIndex: true },
  ): AsyncGenerator<IndexedScore> {
    const size = options.chunkSize ?? 256;
    let chunk: Pair[] = [];
    let index = 0;
    const flush = async function* (this: FakeScorer): AsyncGenerator<IndexedScore> {
      const scores = await this.scoreBatch(chunk, { signal: options.signal });
      chunk = [];
      for (const score of scores) yield { index: index++, score };
    }.bind(this);
    for await (const p of source as AsyncIterable<Pair>) {
      chunk.push(p);
      if (chunk.length >= size) yield* flush();
    }
    if (chunk.length > 0) yield* flush();
  }

  stats(): ScorerStatsLike {
    return { ...this.#stats };
  }
}
