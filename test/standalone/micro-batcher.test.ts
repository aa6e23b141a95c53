// The micro-batcher's contract: merged calls keep every request's scores in
// its own order, the queue bound holds, aborts drop only their own work.
import { describe, expect, it } from 'vitest';
import { AbortError, QueueFullError } from '../../lib/errors/index.js';
import { MicroBatcher, type RunFn } from '../../lib/scorer/micro-batcher.js';

/** A fake runtime whose score for "q:r" is r's number, recording each call. */
function fakeRun(delayMs = 5) {
  const calls: string[][] = [];
  const run: RunFn = async (instructions, responses, signal) => {
    calls.push(instructions.slice());
    await new Promise((r) => setTimeout(r, delayMs));
    if (signal.aborted) throw new AbortError();
    return Float32Array.from(responses, Number);
  };
  return { run, calls };
}

const opts = { maxWaitMs: 2, maxPairsPerCall: 100, maxQueuedPairs: 1000, maxConcurrentCalls: 1 };

describe('MicroBatcher', () => {
  it('merges concurrent requests into one call and returns each its own scores', async () => {
    const { run, calls } = fakeRun();
    const b = new MicroBatcher(run, opts);
    const reqs = Array.from({ length: 20 }, (_, k) =>
      b.submit(Array.from({ length: 3 }, () => `q${k}`), Array.from({ length: 3 }, (_, j) => String(k * 10 + j))),
    );
    const out = await Promise.all(reqs);
    out.forEach((scores, k) => expect(Array.from(scores)).toEqual([k * 10, k * 10 + 1, k * 10 + 2]));
    expect(calls.length).toBe(1);
    expect(calls[0].length).toBe(60);
  });

  it('requests arriving while busy wait and leave together', async () => {
    const { run, calls } = fakeRun(20);
    const b = new MicroBatcher(run, { ...opts, maxWaitMs: 0 });
    const first = b.submit(['a'], ['1']);
    const later = Array.from({ length: 10 }, (_, k) => b.submit(['b'], [String(k)]));
    await Promise.all([first, ...later]);
    expect(calls.map((c) => c.length)).toEqual([1, 10]);
  });

  it('respects maxPairsPerCall', async () => {
    const { run, calls } = fakeRun();
    const b = new MicroBatcher(run, { ...opts, maxPairsPerCall: 8 });
    await Promise.all(Array.from({ length: 10 }, (_, k) => b.submit(['q', 'q', 'q'], ['1', '2', String(k)])));
    expect(calls.every((c) => c.length <= 8)).toBe(true);
    expect(calls.flat().length).toBe(30);
  });

  it('rejects with QueueFullError past the bound, and recovers', async () => {
    const { run } = fakeRun(30);
    const b = new MicroBatcher(run, { ...opts, maxQueuedPairs: 10, maxWaitMs: 50 });
    const ok = b.submit(Array(8).fill('q'), Array(8).fill('1'));
    await expect(b.submit(Array(5).fill('q'), Array(5).fill('1'))).rejects.toThrow(QueueFullError);
    expect((await ok).length).toBe(8);
    expect((await b.submit(['q'], ['7']))[0]).toBe(7);
  });

  it('an abort before dispatch drops the request; the others still run', async () => {
    const { run, calls } = fakeRun();
    const b = new MicroBatcher(run, { ...opts, maxWaitMs: 20 });
    const ac = new AbortController();
    const aborted = b.submit(['x'], ['1'], ac.signal);
    const kept = b.submit(['y'], ['2']);
    ac.abort();
    await expect(aborted).rejects.toThrow(AbortError);
    expect(Array.from(await kept)).toEqual([2]);
    expect(calls).toEqual([['y']]);
    expect(b.queuedPairs).toBe(0);
  });

  it('an already-aborted signal rejects at once', async () => {
    const { run, calls } = fakeRun();
    const b = new MicroBatcher(run, opts);
    await expect(b.submit(['x'], ['1'], AbortSignal.abort())).rejects.toThrow(AbortError);
    expect(calls.length).toBe(0);
  });
});
