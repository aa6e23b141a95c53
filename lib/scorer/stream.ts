// Streaming scores: pairs from any (async) iterable come back as scores in
// input order. Read-ahead is bounded, so a huge or endless source never
// piles up in memory: at most `chunkSize x maxChunksInFlight` pairs are held.
import { InvalidInputError } from '../errors/index.js';
import { splitPairs, type Pair } from './pairs.js';

export interface StreamOptions {
  signal?: AbortSignal;
  /** Pairs per scoring call. Default 256. */
  chunkSize?: number;
  /** Calls running or finished-but-unyielded at once. Default 2 (one runs while the next fills). */
  maxChunksInFlight?: number;
}

export interface IndexedScore {
  index: number;
  score: number;
}

type ScoreChunk = (pairs: Pair[], signal?: AbortSignal) => Promise<Float32Array>;

export async function* streamScores(
  source: Iterable<Pair> | AsyncIterable<Pair>,
  scoreChunk: ScoreChunk,
  options: StreamOptions,
): AsyncGenerator<IndexedScore> {
  const chunkSize = options.chunkSize ?? 256;
  const maxInFlight = options.maxChunksInFlight ?? 2;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new InvalidInputError('chunkSize must be a positive integer');
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new InvalidInputError('maxChunksInFlight must be a positive integer');
  }
  if (
    source == null ||
    (typeof (source as AsyncIterable<Pair>)[Symbol.asyncIterator] !== 'function' &&
      typeof (source as Iterable<Pair>)[Symbol.iterator] !== 'function')
  ) {
    throw new InvalidInputError('scoreStream needs an Iterable or AsyncIterable of pairs');
  }
  const iterator =
    typeof (source as AsyncIterable<Pair>)[Symbol.asyncIterator] === 'function'
      ? (source as AsyncIterable<Pair>)[Symbol.asyncIterator]()
      : (source as Iterable<Pair>)[Symbol.iterator]();

  const inFlight: { start: number; scores: Promise<Float32Array> }[] = [];
  let next = 0;
  let done = false;
  const readChunk = async (): Promise<Pair[]> => {
    const chunk: Pair[] = [];
    while (chunk.length < chunkSize) {
      const r = await iterator.next();
      if (r.done) {
        done = true;
        break;
      }
      chunk.push(r.value);
    }
    return chunk;
  };
  try {
    for (;;) {
      while (!done && inFlight.length < maxInFlight) {
        const chunk = await readChunk();
        if (chunk.length === 0) break;
        splitPairs(chunk, `pairs ${next}..${next + chunk.length - 1}`); // fail on bad input here, with the range
        const scores = scoreChunk(chunk, options.signal);
        scores.catch(() => undefined); // rejection is surfaced when its turn comes
        inFlight.push({ start: next, scores });
        next += chunk.length;
      }
      const head = inFlight.shift();
      if (!head) return;
      const scores = await head.scores;
      for (let i = 0; i < scores.length; i++) yield { index: head.start + i, score: scores[i] };
    }
  } finally {
    // The consumer stopped early or something failed: close the source.
    if (!done) await iterator.return?.();
  }
}
