// Per-request scoring with TEI's timing headers, and cancellation when the
// client goes away.
//
// The public Scorer API reports totals (stats()), not per-request phases, and
// the micro-batcher merges concurrent requests into shared native calls. So a
// request's phases are estimated from the stats that moved while it ran: the
// native calls that finished in its window are averaged, which is exact when
// it ran alone and a fair share under concurrency. Compute time is measured.
import type { FastifyReply } from 'fastify';
import { AbortError } from '../errors/index.js';
import type { Pair } from '../scorer/pairs.js';
import type { ScoreCallOptions, ScorerLike } from './types.js';

export interface Timings {
  /** Wall time inside the scorer: queue + tokenization + inference, measured. */
  computeMs: number;
  tokenizationMs: number;
  queueMs: number;
  inferenceMs: number;
  /** Tokens after truncation, with special tokens (estimated share under concurrency). */
  tokens: number;
}

/**
 * Scores a request bigger than `chunk` as calls of `chunk` pairs, two at a
 * time (one runs while the next queues), so a huge request neither fills the
 * scorer's queue alone nor holds it against other requests; the scores come
 * back in input order. The first failure cancels the calls not yet done.
 */
export async function scoreInChunks(
  scorer: ScorerLike,
  pairs: readonly Pair[],
  chunk: number,
  signal: AbortSignal,
  call: Omit<ScoreCallOptions, 'signal'> = {},
): Promise<Float32Array> {
  if (pairs.length <= chunk) return scorer.scoreBatch(pairs, { ...call, signal });
  const out = new Float32Array(pairs.length);
  const local = new AbortController();
  const stop = () => local.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  let next = 0;
  const worker = async () => {
    try {
      for (let start = next; start < pairs.length && !local.signal.aborted; start = next) {
        next = start + chunk;
        out.set(await scorer.scoreBatch(pairs.slice(start, start + chunk), { ...call, signal: local.signal }), start);
      }
    } catch (e) {
      local.abort(e); // at once, so the other worker starts nothing more
      throw e;
    }
  };
  try {
    await Promise.all([worker(), worker()]);
  } finally {
    signal.removeEventListener('abort', stop);
  }
  // Cancelled between two calls: never answer with scores left out.
  if (local.signal.aborted) throw new AbortError(undefined, { cause: local.signal.reason });
  return out;
}

/** Scores pairs (in chunks past `chunk`) and estimates how the time split between the phases. */
export async function scoreTimed(
  scorer: ScorerLike,
  pairs: readonly Pair[],
  signal: AbortSignal,
  chunk = Number.POSITIVE_INFINITY,
  call: Omit<ScoreCallOptions, 'signal'> = {},
): Promise<{ scores: Float32Array; timings: Timings }> {
  const before = scorer.stats();
  const t0 = performance.now();
  const scores = await scoreInChunks(scorer, pairs, chunk, signal, call);
  const computeMs = performance.now() - t0;
  const after = scorer.stats();
  const calls = after.calls - before.calls;
  const dPairs = after.pairs - before.pairs;
  let tokenizationMs = calls > 0 ? (after.tokenizeMs - before.tokenizeMs) / calls : 0;
  let inferenceMs = calls > 0 ? (after.runMs - before.runMs) / calls : 0;
  // Averages over other requests' calls can exceed this one's wall time.
  const scale = tokenizationMs + inferenceMs > computeMs ? computeMs / (tokenizationMs + inferenceMs) : 1;
  tokenizationMs *= scale;
  inferenceMs *= scale;
  const queueMs = Math.max(0, computeMs - tokenizationMs - inferenceMs);
  const tokens = dPairs > 0 ? Math.round(((after.realTokens - before.realTokens) * pairs.length) / dPairs) : 0;
  return { scores, timings: { computeMs, tokenizationMs, queueMs, inferenceMs, tokens } };
}

const ms = (v: number) => String(Math.round(v));

/** TEI's headers, in whole milliseconds as TEI sends them. x-total-time is set on send. */
export function setTimingHeaders(reply: FastifyReply, t: Timings): void {
  reply.header('x-compute-time', ms(t.computeMs));
  reply.header('x-tokenization-time', ms(t.tokenizationMs));
  reply.header('x-queue-time', ms(t.queueMs));
  reply.header('x-inference-time', ms(t.inferenceMs));
  reply.header('x-compute-tokens', String(t.tokens));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
