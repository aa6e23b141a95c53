// The scorer under a storm of concurrent calls, checked against a plain
// one-by-one run: every call settles once, with its own scores, in order;
// aborted calls reject with AbortError or (when the abort came too late)
// resolve with the right scores; nothing is left queued. Also: the FIFO
// planner gives the same scores with more padding, and a slow stream
// consumer holds read-ahead to its bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { seededRandom } from '../../lib/bench/workload.js';
import { expectAbortFailure, fireCalls } from '../support/call-storm.js';

const WORDS = 'the cat sat on a mat while seven quick foxes jumped over lazy dogs near one old river bank'.split(' ');

let scorer: Scorer;
beforeAll(async () => {
  scorer = await Scorer.load(inject('tinyModelDir'), { maxQueuedPairs: 1_000_000 });
});
afterAll(async () => {
  await scorer.dispose();
});

describe('10,000 concurrent calls', () => {
  it('each settles once with its own scores; random aborts reject or resolve correctly', async () => {
    const random = seededRandom(2024);
    const text = (maxWords: number) =>
      Array.from({ length: 1 + Math.floor(random() * maxWords) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
    // 10,000 calls: most are one pair (score), a quarter are 2..4 pairs (scoreBatch).
    const calls = Array.from({ length: 10_000 }, () => {
      const n = random() < 0.75 ? 1 : 2 + Math.floor(random() * 3);
      const pairs = Array.from({ length: n }, () => [text(12), text(random() < 0.1 ? 120 : 30)] as [string, string]);
      return { pairs, abort: random() < 0.1 ? Math.floor(random() * 3) : -1 };
    });

    // The truth: a separate scorer, one pair at a time, nothing merged.
    const plain = await Scorer.load(inject('tinyModelDir'), { maxWaitMs: 0, maxConcurrentCalls: 1 });
    const expected = new Map<string, number>();
    for (const c of calls) {
      for (const [a, b] of c.pairs) {
        const key = `${a}\u0000${b}`;
        if (!expected.has(key)) expected.set(key, await plain.score(a, b));
      }
    }
    await plain.dispose();

    const { outcomes, settled: settledCount } = await fireCalls(scorer, calls, random, 20);

    let aborted = 0;
    outcomes.forEach((o, i) => {
      const c = calls[i];
      if (!o.ok) {
        expectAbortFailure(o, c, i);
        aborted++;
        return;
      }
      expect(o.scores.length).toBe(c.pairs.length);
      c.pairs.forEach(([a, b], k) => expect(o.scores[k]).toBeCloseTo(expected.get(`${a}\u0000${b}`)!, 4));
    });
    expect(settledCount.every((n) => n === 1)).toBe(true);
    expect(aborted).toBeGreaterThan(0); // the aborts were real, not all too late
    expect(scorer.stats().queuedPairs).toBe(0);
    // Merging happened: far fewer native calls than API calls.
    expect(scorer.stats().calls).toBeLessThan(calls.length / 4);
  });

  it('dispose with many calls in flight lets every accepted call finish, then refuses', async () => {
    const s = await Scorer.load(inject('tinyModelDir'));
    const pending = Array.from({ length: 2000 }, (_, i) => s.score(`q ${i}`, `a ${'x '.repeat(i % 40)}`));
    const closing = s.dispose();
    const scores = await Promise.all(pending);
    await closing;
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(scores[7]).toBeCloseTo(await scorer.score('q 7', `a ${'x '.repeat(7)}`), 4);
    await expect(s.score('a', 'b')).rejects.toThrow(/disposed/);
  });
});

describe('planner', () => {
  it("'fifo' gives the same scores as 'padding-aware', with more padding on mixed lengths", async () => {
    const random = seededRandom(5);
    const pairs = Array.from(
      { length: 400 },
      (_, i) => [`q${i}`, 'word '.repeat(1 + Math.floor(random() * random() * 400))] as [string, string],
    );
    const fifo = await Scorer.load(inject('tinyModelDir'), { planner: 'fifo' });
    const a = await fifo.scoreBatch(pairs);
    const before = scorer.stats();
    const b = await scorer.scoreBatch(pairs);
    const after = scorer.stats();
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
    const awarePad = 1 - (after.realTokens - before.realTokens) / (after.computedTokens - before.computedTokens);
    expect(fifo.stats().padFraction).toBeGreaterThan(0.3);
    expect(awarePad).toBeLessThan(0.1);
    expect(fifo.info.options.planner).toBe('fifo');
    await fifo.dispose();
    await expect(Scorer.load(inject('tinyModelDir'), { planner: 'lifo' as never })).rejects.toThrow(/planner must be one of/);
  });
});

describe('scoreStream backpressure', () => {
  it('a slow consumer holds read-ahead to chunkSize x (maxChunksInFlight + 1)', async () => {
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    function* source() {
      for (let i = 0; i < 2000; i++) {
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield [`q${i}`, `answer ${i}`] as [string, string];
      }
    }
    const ordered: number[] = [];
    for await (const { index } of scorer.scoreStream(source(), { withIndex: true, chunkSize: 50, maxChunksInFlight: 2 })) {
      ordered.push(index);
      consumed++;
      // Slow: a timer hop every ten items gives the producer every chance to run ahead.
      if (index % 10 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(ordered).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(maxAhead).toBeLessThanOrEqual(50 * 3);
  });
});
