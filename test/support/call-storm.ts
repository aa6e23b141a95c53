// Fires many score()/scoreBatch() calls at once, some aborted at one of three
// moments (before dispatch, after a tick, later), and records how each call
// settled and how many times. Shared by the concurrency tests of a single
// session (concurrency.test.ts) and of a device pool (device-pool.test.ts).
import { expect } from 'vitest';
import { AbortError, type Scorer } from '../../lib/index.js';

export interface StormCall {
  pairs: [string, string][];
  /** -1: never aborted; 0: in a microtask; 1: after setImmediate; 2: after a random delay. */
  abort: number;
}

export type StormOutcome = { ok: true; scores: Float32Array } | { ok: false; error: unknown };

export async function fireCalls(
  scorer: Pick<Scorer, 'score' | 'scoreBatch'>,
  calls: readonly StormCall[],
  random: () => number,
  maxDelayMs: number,
): Promise<{ outcomes: StormOutcome[]; settled: number[] }> {
  const settled = new Array<number>(calls.length).fill(0);
  const outcomes = await Promise.all(
    calls.map((c, i) => {
      const ac = c.abort >= 0 ? new AbortController() : undefined;
      if (c.abort === 0) queueMicrotask(() => ac!.abort());
      else if (c.abort === 1) setImmediate(() => ac!.abort());
      else if (c.abort === 2) setTimeout(() => ac!.abort(), 1 + Math.floor(random() * maxDelayMs));
      // One pair goes through score(), the single-pair path; others through scoreBatch().
      const p: Promise<Float32Array> =
        c.pairs.length === 1
          ? scorer.score(c.pairs[0][0], c.pairs[0][1], { signal: ac?.signal }).then((s) => Float32Array.of(s))
          : scorer.scoreBatch(c.pairs, { signal: ac?.signal });
      return p.then(
        (scores): StormOutcome => ((settled[i] += 1), { ok: true, scores }),
        (error: unknown): StormOutcome => ((settled[i] += 1), { ok: false, error }),
      );
    }),
  );
  return { outcomes, settled };
}

/** A call may fail only because it was aborted, and then with AbortError. */
export function expectAbortFailure(outcome: { error: unknown }, call: StormCall, i: number): void {
  expect(call.abort, `call ${i} failed without an abort: ${String(outcome.error)}`).toBeGreaterThanOrEqual(0);
  expect(outcome.error).toBeInstanceOf(AbortError);
}
