// Score parity: the engine (our tokenizer + our ORT session + our batching)
// against onnxruntime-node fed ids from HF tokenizers, on the same forged
// model. Independent tokenizer, independent runtime binding, different
// padding: the scores must still agree within 1e-5.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Scorer } from '../../lib/index.js';
import { hfEncodePairs, hfTokenizer } from '../../support/hf.js';
import { makePairs } from '../support/pairs.js';
import { padRows, runRows, runRowsBatched } from '../../support/ort-rows.js';

const TOL = 1e-5;
const dir = inject('tinyModelDir');
let scorer: Scorer;
let session: ort.InferenceSession;

beforeAll(async () => {
  scorer = await Scorer.load(dir);
  session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
});
afterAll(async () => {
  await scorer?.dispose();
  await session?.release();
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('score parity with onnxruntime-node', () => {
  it('matches on 300 mixed pairs, some truncated at 512', async () => {
    const pairs = makePairs(300, 42);
    const hf = hfTokenizer(join(dir, 'tokenizer.json'), 512, 'LongestFirst');
    const rows = await hfEncodePairs(hf, pairs);
    expect(Math.max(...rows.map((r) => r.length))).toBe(512); // truncation really happened

    const expected = await runRowsBatched(ort, session, rows, 16); // input order, each batch padded to its longest
    const got = await scorer.scoreBatch(pairs);
    const diff = maxAbsDiff(got, expected);
    console.log(`score parity: ${pairs.length} pairs, max |engine - onnxruntime-node| = ${diff.toExponential(2)}`);
    expect(got.length).toBe(pairs.length);
    expect(diff).toBeLessThanOrEqual(TOL);
    // Random weights still give distinct scores; a constant output would hide bugs.
    expect(new Set(Array.from(got, (x) => x.toFixed(6))).size).toBeGreaterThan(pairs.length / 2);
  });

  it('feeds identical padded ids to both runtimes and agrees', async () => {
    const rows = [
      [0, 100, 200, 2, 2, 300, 2],
      [0, 5, 2, 2, 6, 7, 8, 9, 10, 2],
      [0, 50000, 2, 2, 42, 2],
    ];
    const len = 12;
    const { ids, mask } = padRows(rows, len);
    const native = await scorer.scoreIds(ids, mask, rows.length, len);
    const expected = await runRows(ort, session, rows, len);
    expect(maxAbsDiff(native, expected)).toBeLessThanOrEqual(TOL);
  });

  it('a pair scores the same alone and inside a padded batch', async () => {
    const pairs = makePairs(40, 9);
    const batch = await scorer.scoreBatch(pairs);
    for (const i of [0, 7, 39]) {
      const alone = await scorer.score(pairs[i][0], pairs[i][1]);
      expect(Math.abs(alone - batch[i])).toBeLessThanOrEqual(TOL);
    }
  });
});
