// A Scorer with two CPU sessions (devices: ['cpu', 'cpu']) on the forged tiny
// model (random weights, seed 7; not Cappy), checked against a one-session
// Scorer with the same total threads: the scores are the same bits, in input
// order, for one big call and for a storm of concurrent calls of every size
// (empty, one pair, a few, thousands) with aborts landing at random moments;
// every call settles exactly once; both sessions really work; abort mid-flight
// and dispose with calls in flight end cleanly and leave nothing hanging.
//
// Why bit-for-bit can hold: the pool changes which pairs share a native batch,
// and ORT's fp32 CPU kernels compute each row independently of its batch-mates
// and of padding (the one-session scorer's own merged calls rely on the same).
// If a CPU broke that, these tests would fail, which is what they should do:
// the pool would then not give one session's scores.
//
// GPU pools cannot run here: the cuda:N path is checked up to its typed
// refusal where no GPU is visible, and the real run skips without one.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AbortError, DeviceUnavailableError, DisposedError, InvalidInputError, Scorer } from '../../lib/index.js';
import { loadAddon } from '../../lib/native.js';
import { nvidiaGpuVisible, prepareCuda } from '../../lib/runtime/execution-provider.js';
import { resolveOrtLibrary } from '../../lib/runtime/ort-library.js';
import { visibleGpuCount } from '../../lib/scorer/devices.js';
import { expectAbortFailure, fireCalls } from '../support/call-storm.js';
import { makePairs, mulberry32 } from '../support/pairs.js';

const dir = inject('tinyModelDir');
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const keyOf = (a: string, b: string) => `${a}\u0000${b}`;

let single: Scorer;
let pool: Scorer;
beforeAll(async () => {
  // The same total threads: one session with 2 intra-op threads, or two with 1 each.
  single = await Scorer.load(dir, { intraOpThreads: 2, tokenizerThreads: 2, maxQueuedPairs: 1_000_000 });
  pool = await Scorer.load(dir, { devices: ['cpu', 'cpu'], intraOpThreads: 2, tokenizerThreads: 2, maxQueuedPairs: 1_000_000 });
});
afterAll(async () => {
  await single?.dispose();
  await pool?.dispose();
});

/** The one-session truth for each distinct pair, scored in one call. */
async function truthFor(pairs: readonly (readonly [string, string])[]): Promise<Map<string, number>> {
  const distinct = [...new Map(pairs.map((p) => [keyOf(p[0], p[1]), p] as const)).values()];
  const scores = await single.scoreBatch(distinct);
  return new Map(distinct.map((p, i) => [keyOf(p[0], p[1]), scores[i]]));
}

describe('two CPU sessions', () => {
  it('info reports the pool: the devices and the threads each', () => {
    expect(pool.info.pool).toEqual([
      { device: 'cpu', executionProvider: 'cpu', deviceId: 0, intraOpThreads: 1, tokenizerThreads: 1 },
      { device: 'cpu', executionProvider: 'cpu', deviceId: 0, intraOpThreads: 1, tokenizerThreads: 1 },
    ]);
    expect(single.info.pool).toEqual([{ device: 'cpu', executionProvider: 'cpu', deviceId: 0, intraOpThreads: 2, tokenizerThreads: 2 }]);
    expect(pool.info.options.devices).toEqual(['cpu', 'cpu']);
    expect(pool.info.executionProvider).toBe('cpu');
  });

  it('one large call: the same bits as one session, in input order, both sessions used', async () => {
    const pairs = makePairs(3000, 11); // every 17th is long enough to be truncated
    const before = pool.stats().sessions.map((s) => s.pairs);
    const a = await single.scoreBatch(pairs);
    const b = await pool.scoreBatch(pairs);
    expect(b.length).toBe(pairs.length);
    expect(bits(b)).toEqual(bits(a));
    const after = pool.stats().sessions.map((s) => s.pairs);
    const share = after.map((n, i) => n - before[i]);
    expect(share.every((n) => n > 0)).toBe(true);
    expect(share[0] + share[1]).toBe(pairs.length);
    // The reversed input gives the reversed scores: order comes from the index, not from who finished first.
    const r = await pool.scoreBatch([...pairs].reverse());
    expect(bits(r)).toEqual(bits(a).reverse());
  });

  it('a storm of concurrent calls of mixed sizes: each settles once, with its own scores, in order', async () => {
    const random = mulberry32(99);
    const corpus = makePairs(600, 12);
    const pick = (n: number) => Array.from({ length: n }, () => corpus[Math.floor(random() * corpus.length)]);
    const calls = Array.from({ length: 1500 }, (_, i) => {
      const kind = random();
      const n = i % 500 === 7 ? 4000 : kind < 0.05 ? 0 : kind < 0.75 ? 1 : 2 + Math.floor(random() * 12);
      return { pairs: pick(n), abort: random() < 0.1 ? Math.floor(random() * 3) : -1 };
    });
    const truth = await truthFor(corpus);
    const { outcomes, settled } = await fireCalls(pool, calls, random, 30);
    let aborted = 0;
    let empty = 0;
    let huge = 0;
    outcomes.forEach((o, i) => {
      const c = calls[i];
      if (!o.ok) {
        expectAbortFailure(o, c, i);
        aborted++;
        return;
      }
      if (c.pairs.length === 0) empty++;
      if (c.pairs.length === 4000) huge++;
      expect(o.scores.length).toBe(c.pairs.length);
      const want = Float32Array.from(c.pairs, ([a, b]) => truth.get(keyOf(a, b))!);
      expect(bits(o.scores), `call ${i}`).toEqual(bits(want));
    });
    expect(settled.every((n) => n === 1)).toBe(true);
    expect(aborted).toBeGreaterThan(0);
    expect(empty).toBeGreaterThan(0);
    expect(huge).toBeGreaterThan(0);
    expect(pool.stats().queuedPairs).toBe(0);
  });

  it("scoreIds runs on a pool and gives one session's bits", async () => {
    const packed = await single.tokenizer.encodeBatchPacked([['a question', 'an answer with more words']]);
    const len = packed.offsets[1];
    const ids = BigInt64Array.from(packed.ids.slice(0, len), (x) => BigInt(x));
    const mask = new BigInt64Array(len).fill(1n);
    const [a, b] = await Promise.all([single.scoreIds(ids, mask, 1, len), pool.scoreIds(ids, mask, 1, len)]);
    expect(bits(b)).toEqual(bits(a));
  });
});

describe('abort and dispose', () => {
  it('aborting a large call mid-flight rejects it, drops its queued chunks, and leaves the pool working', async () => {
    const big = makePairs(20_000, 21, 60);
    const before = pool.stats().sessions.reduce((n, s) => n + s.pairs, 0);
    const ac = new AbortController();
    const small = makePairs(40, 22);
    const call = pool.scoreBatch(big, { signal: ac.signal });
    const beside = pool.scoreBatch(small); // queued behind the big call's chunks
    // Abort once the first chunk has come back, so the call is surely mid-flight.
    while (pool.stats().sessions.reduce((n, s) => n + s.pairs, 0) === before) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    expect(bits(await beside)).toEqual(bits(await single.scoreBatch(small)));
    const after = pool.stats().sessions.reduce((n, s) => n + s.pairs, 0);
    // Chunks not yet started were dropped: far from all 20,000 pairs ran.
    expect(after - before - small.length).toBeLessThan(big.length);
    const again = makePairs(100, 23);
    expect(bits(await pool.scoreBatch(again))).toEqual(bits(await single.scoreBatch(again)));
  });

  it('dispose waits for calls in flight, then refuses new ones; dispose right after an abort does not hang', async () => {
    const scorer = await Scorer.load(dir, { devices: 2, intraOpThreads: 2, tokenizerThreads: 2 });
    const work = [makePairs(1500, 31), makePairs(3, 32), [], makePairs(1, 33)];
    const calls = work.map((p) => scorer.scoreBatch(p));
    await scorer.dispose();
    const results = await Promise.all(calls);
    for (const [i, r] of results.entries()) expect(bits(r)).toEqual(bits(await single.scoreBatch(work[i])));
    await expect(scorer.score('a', 'b')).rejects.toBeInstanceOf(DisposedError);
    await scorer.dispose(); // a second dispose is harmless

    const other = await Scorer.load(dir, { devices: ['cpu', 'cpu'], intraOpThreads: 2 });
    const ac = new AbortController();
    const call = other.scoreBatch(makePairs(20_000, 34, 60), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(call).rejects.toBeInstanceOf(AbortError);
    await other.dispose();
    await expect(other.scoreBatch(makePairs(2, 35))).rejects.toBeInstanceOf(DisposedError);
  });

  // The exit case once died of SIGSEGV under load (ORT's static objects torn
  // down under running kernels); test/model/exit-in-flight.test.ts runs it
  // 200 times with varied delays.
  it('a process that aborts a pooled call mid-flight and disposes ends on its own, as does one that exits with chunks in flight', () => {
    const root = resolve(import.meta.dirname, '..', '..');
    const load = `const s = await Scorer.load(${JSON.stringify(dir)}, { devices: ['cpu', 'cpu'], intraOpThreads: 2 });
      const pairs = Array.from({ length: 20000 }, (_, i) => ['question ' + i, 'answer '.repeat(60)]);`;
    const aborting = `import { Scorer } from 'cappy-engine';
      ${load}
      const ac = new AbortController();
      const call = s.scoreBatch(pairs, { signal: ac.signal });
      while (s.stats().sessions.every((x) => x.calls === 0)) await new Promise((r) => setTimeout(r, 5));
      ac.abort();
      const outcome = await call.then(() => 'resolved', (e) => e.name);
      await s.dispose();
      console.log(outcome);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', aborting], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('AbortError');
    const exiting = `import { Scorer } from 'cappy-engine';
      ${load}
      s.scoreBatch(pairs).catch(() => {});
      setTimeout(() => process.exit(0), 50);`;
    const x = spawnSync(process.execPath, ['--input-type=module', '-e', exiting], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(x.signal, x.stderr).toBeNull();
    expect(x.status, x.stderr).toBe(0);
    expect(x.stderr).toBe(''); // ORT's kernels never ran into its destroyed statics
  });
});

describe('GPU device strings', () => {
  it('a bad devices value fails before anything loads, as an InvalidInputError', async () => {
    await expect(Scorer.load(dir, { devices: ['cuda'] })).rejects.toThrow(/needs its GPU ordinal/);
    await expect(Scorer.load(dir, { devices: ['cuda:0', 'cpu'] })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(Scorer.load(dir, { devices: ['cuda:0'], deviceId: 1 })).rejects.toThrow(/not both/);
  });

  it.skipIf(nvidiaGpuVisible())('cuda:0,cuda:1 where no GPU is visible: DeviceUnavailableError naming what is missing', async () => {
    const err = await Scorer.load(dir, { devices: ['cuda:0', 'cuda:1'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as DeviceUnavailableError).message).toMatch(/cuda/);
    await expect(Scorer.load(dir, { device: 'cuda', devices: 'all' })).rejects.toThrow(/found no GPU/);
  });

  const cudaPool = (() => {
    if (visibleGpuCount() < 2) return false;
    try {
      prepareCuda(resolveOrtLibrary(), loadAddon());
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!cudaPool)('two GPUs: a cuda:0,cuda:1 pool agrees with the CPU', async () => {
    const gpus = await Scorer.load(dir, { devices: ['cuda:0', 'cuda:1'], providerOptions: { use_tf32: '0' } });
    try {
      expect(gpus.info.pool.map((s) => s.device)).toEqual(['cuda:0', 'cuda:1']);
      const pairs = makePairs(2000, 41);
      const [g, c] = await Promise.all([gpus.scoreBatch(pairs), single.scoreBatch(pairs)]);
      g.forEach((v, i) => expect(v).toBeCloseTo(c[i], 3));
      expect(gpus.stats().sessions.every((s) => s.calls > 0)).toBe(true);
    } finally {
      await gpus.dispose();
    }
  });
});
