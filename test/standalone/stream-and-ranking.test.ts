import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors/index.js';
import { argmax, rankScores } from '../../lib/scorer/ranking.js';
import { streamScores } from '../../lib/scorer/stream.js';
import { multipleChoiceAccuracy, parseMcRow } from '../../lib/eval/multiple-choice.js';
import type { Pair } from '../../lib/scorer/pairs.js';

describe('streamScores', () => {
  it('yields every score in input order with bounded read-ahead', async () => {
    let produced = 0;
    let maxAhead = 0;
    let consumed = 0;
    async function* source(): AsyncGenerator<Pair> {
      for (let i = 0; i < 1000; i++) {
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield ['q', String(i)];
      }
    }
    // Later chunks finish first: order must still hold.
    const score = async (pairs: Pair[]) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      return Float32Array.from(pairs, (p) => Number((p as [string, string])[1]));
    };
    const seen: number[] = [];
    for await (const { index, score: s } of streamScores(source(), score, { chunkSize: 50, maxChunksInFlight: 3 })) {
      expect(s).toBe(index);
      seen.push(index);
      consumed++;
    }
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(maxAhead).toBeLessThanOrEqual(50 * 4);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    function* source(): Generator<Pair> {
      try {
        for (let i = 0; ; i++) yield ['q', String(i)];
      } finally {
        closed = true;
      }
    }
    const score = async (pairs: Pair[]) => new Float32Array(pairs.length);
    for await (const { index } of streamScores(source(), score, { chunkSize: 10 })) if (index === 25) break;
    expect(closed).toBe(true);
  });

  it('reports a bad pair with its position', async () => {
    const it = streamScores([['a', 'b'], ['c', 5] as never], async (p) => new Float32Array(p.length), { chunkSize: 10 });
    await expect(it.next()).rejects.toThrow(/pairs 0\.\.1\[1\]: response must be a string/);
  });
});

describe('ranking', () => {
  it('sorts descending and keeps input order on ties', () => {
    expect(rankScores(Float32Array.from([0.1, 0.9, 0.5, 0.9]))).toEqual([
      { index: 1, score: Math.fround(0.9) },
      { index: 3, score: Math.fround(0.9) },
      { index: 2, score: 0.5 },
      { index: 0, score: Math.fround(0.1) },
    ]);
    expect(rankScores(Float32Array.from([1, 3, 2]), 2).map((r) => r.index)).toEqual([1, 2]);
    expect(() => rankScores(Float32Array.from([1]), 0)).toThrow(InvalidInputError);
    expect(argmax(Float32Array.from([2, 7, 7]))).toEqual({ index: 1, score: 7 });
  });
});

describe('multiple-choice accuracy', () => {
  it('takes the argmax per (dataset, group) and averages datasets unweighted', () => {
    const rows = [
      { group: 'g1', dataset: 'A', label: 1 },
      { group: 'g1', dataset: 'A', label: 0 },
      { group: 'g2', dataset: 'A', label: 0 },
      { group: 'g2', dataset: 'A', label: 1 },
      { group: 'g1', dataset: 'B', label: 0 },
      { group: 'g1', dataset: 'B', label: 1 },
    ].map((r, i) => parseMcRow({ ...r, instruction: 'q', response: `r${i}` }, `row ${i}`));
    // A/g1: gold wins; A/g2: wrong wins; B/g1: gold wins.
    const result = multipleChoiceAccuracy(rows, Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.3, 0.6]));
    expect(result.datasets).toEqual([
      { dataset: 'A', groups: 2, correct: 1, accuracy: 0.5 },
      { dataset: 'B', groups: 1, correct: 1, accuracy: 1 },
    ]);
    expect(result.average).toBe(0.75);
    expect(() => parseMcRow({ group: 'g', instruction: 'q', response: 'r' }, 'line 3')).toThrow(/line 3: label/);
  });
});
