// A load driver: C clients call the scorer at once, each with its next pairs
// as soon as its last call returns (a closed loop, the way a busy server's
// handlers behave). It measures what a user of the engine feels: pairs per
// second, per-call latency and the event loop's delay while scoring runs.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Scorer } from '../scorer/scorer.js';

export interface LoadOptions {
  /** Clients calling at once. */
  concurrency: number;
  /** Pairs per call: 1 uses `score`, more use `scoreBatch`. */
  pairsPerCall: number;
}

export interface LoadReport {
  pairs: number;
  calls: number;
  seconds: number;
  pairsPerSec: number;
  /** Real tokens (special tokens included, no padding) per second. */
  tokensPerSec: number;
  /** Share of computed tokens that were padding, over this run only. */
  padFraction: number;
  /** Native calls (after micro-batching) and ORT batches, over this run. */
  nativeCalls: number;
  batches: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** perf_hooks.monitorEventLoopDelay over the run, 1 ms resolution. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs every pair through the scorer with `concurrency` clients and reports. */
export async function runLoad(scorer: Scorer, pairs: readonly (readonly [string, string])[], opts: LoadOptions): Promise<LoadReport> {
  const before = scorer.stats();
  const latencies = new Float64Array(Math.ceil(pairs.length / opts.pairsPerCall));
  let calls = 0;
  let next = 0;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = performance.now();
  const client = async () => {
    while (next < pairs.length) {
      const start = next;
      next = Math.min(pairs.length, next + opts.pairsPerCall);
      const t = performance.now();
      if (next - start === 1) await scorer.score(pairs[start][0], pairs[start][1]);
      else await scorer.scoreBatch(pairs.slice(start, next));
      latencies[calls++] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, client));
  const seconds = (performance.now() - t0) / 1000;
  loop.disable();
  const after = scorer.stats();
  const lat = latencies.subarray(0, calls).sort();
  const real = after.realTokens - before.realTokens;
  const computed = after.computedTokens - before.computedTokens;
  const ns = (q: number) => loop.percentile(q) / 1e6;
  return {
    pairs: pairs.length,
    calls,
    seconds,
    pairsPerSec: pairs.length / seconds,
    tokensPerSec: real / seconds,
    padFraction: computed === 0 ? 0 : 1 - real / computed,
    nativeCalls: after.calls - before.calls,
    batches: after.batches - before.batches,
    latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1] : 0 },
    eventLoopDelayMs: { p50: ns(50), p99: ns(99), max: loop.max / 1e6 },
  };
}
