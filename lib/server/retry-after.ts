// Retry-After for a 429 (RFC 6585 §4; RFC 9110 §10.2.3), derived from the
// model's queue: the time the pairs waiting now take to clear at the rate
// this scorer has worked so far. TEI sends none, but the Cohere and OpenAI
// SDKs and our own RemoteScorer read it before retrying.
import type { RouteContext } from './context.js';
import type { ScorerLike } from './types.js';

/** Bounds: a client should try again soon, and never be told to wait minutes for a queue that moves. */
export const RETRY_AFTER_MIN_S = 1;
export const RETRY_AFTER_MAX_S = 60;

/**
 * Seconds until the queue has drained:
 *   queued pairs × (tokenize ms + run ms) per pair scored so far
 *   ÷ native calls that run at once (maxConcurrentCalls),
 * rounded up and kept within [1, 60]. 1 before anything was scored (no rate
 * to go by) and when the scorer is unknown.
 */
export function queueRetryAfter(scorer: ScorerLike | undefined): number {
  if (!scorer) return RETRY_AFTER_MIN_S;
  const s = scorer.stats();
  const busyMs = s.tokenizeMs + s.runMs;
  if (!(s.pairs > 0) || !(busyMs > 0) || !(s.queuedPairs > 0)) return RETRY_AFTER_MIN_S;
  const parallel = Math.max(1, scorer.info.options.maxConcurrentCalls);
  const seconds = (s.queuedPairs * (busyMs / s.pairs)) / parallel / 1000;
  return Math.min(RETRY_AFTER_MAX_S, Math.max(RETRY_AFTER_MIN_S, Math.ceil(seconds)));
}

/** Retry-After seconds for a 429 on the served model `model` (undefined or unknown: 1). */
export function retryAfterFor(ctx: RouteContext, model: string | undefined): number {
  const served = model ? ctx.models.all().find((m) => m.name === model) : undefined;
  return queueRetryAfter(served?.scorer);
}
