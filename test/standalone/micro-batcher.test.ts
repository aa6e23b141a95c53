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
      b.submit(
        Array.from({ length: 3 }, () => `q${k}`),
        Array.from({ length: 3 }, (_, j) => String(k * 10 + j)),
      ),
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

  it('with two calls allowed, requests trickling in while one runs still wait and leave together (HTTP arrivals)', async () => {
    // The first call runs until the test lets it finish.
    const calls: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher(
      async (instructions, responses) => {
        calls.push(instructions.length);
        if (calls.length === 1) await gate;
        return Float32Array.from(responses, Number);
      },
      { ...opts, maxWaitMs: 0, maxConcurrentCalls: 2 },
    );
    const first = b.submit(['a'], ['1']);
    // Ten requests a few ms apart, all while the first call runs.
    const later: Promise<Float32Array>[] = [];
    for (let k = 0; k < 10; k++) {
      await new Promise((r) => setTimeout(r, 2));
      later.push(b.submit(['b'], [String(k)]));
    }
    expect(calls).toEqual([1]);
    release();
    const out = await Promise.all([first, ...later]);
    expect(calls).toEqual([1, 10]);
    out.slice(1).forEach((scores, k) => expect(Array.from(scores)).toEqual([k]));
  });

  it('a second call runs beside the first when a full call is waiting', async () => {
    const { run, calls } = fakeRun(30);
    let running = 0;
    let most = 0;
    const counted = new MicroBatcher(
      async (i, r, s) => {
        running += 1;
        most = Math.max(most, running);
        try {
          return await run(i, r, s);
        } finally {
          running -= 1;
        }
      },
      { ...opts, maxWaitMs: 0, maxConcurrentCalls: 2, maxPairsPerCall: 4 },
    );
    const first = counted.submit(['a'], ['1']);
    const full = counted.submit(['b', 'b', 'b', 'b'], ['1', '2', '3', '4']);
    await Promise.all([first, full]);
    expect(calls.map((c) => c.length)).toEqual([1, 4]);
    expect(most).toBe(2);
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
