// BERT cross-encoders (BertForSequenceClassification, one label) end to end,
// on a forged bert-tiny: the graph against an independent float64 forward
// pass with real segment ids, then the engine (our WordPiece tokenizer, our
// segment ids, our ORT session) against onnxruntime-node fed HF tokenizers'
// ids and type ids. Negative controls show each comparison can fail: zero
// type ids, RoBERTa positions and a missing pooler all move the scores.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgedWeights, forgeModel, PRESETS } from '../../lib/forge/index.js';
import { Scorer } from '../../lib/index.js';
import { hfEncodePairsWithTypes, hfTokenizer } from '../../support/hf.js';
import { makePairs } from '../support/pairs.js';
import { referenceBertLogit, type BertMistake } from '../support/reference-bert.js';

const SEED = 11;
const config = PRESETS['bert-tiny'];
const weights = forgedWeights('bert-tiny', SEED);
// float32 ORT vs float64: ~1e-7 here. Engine vs onnxruntime-node: the same
// graph on the same ids, different padding and batching.
const TIGHT = 1e-5;
let root: string;
let dir: string;
let session: ort.InferenceSession;
let scorer: Scorer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-bert-'));
  dir = join(root, 'bert-tiny');
  await forgeModel({ preset: 'bert-tiny', seed: SEED, outDir: dir });
  // The engine's ORT first: loaded after onnxruntime-node's, its symbols bind
  // to that library's and ORT rejects int64 inputs as the wrong int64 type.
  scorer = await Scorer.load(dir);
  session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
});
afterAll(async () => {
  await scorer?.dispose();
  await session?.release();
  await rm(root, { recursive: true, force: true });
});

interface Row {
  ids: number[];
  typeIds: number[];
}

/** onnxruntime-node on rows right-padded with [PAD] = 0, mask 0 and type 0 (as HF pads). */
async function ortScores(rows: Row[], batchSize = 16, zeroTypes = false): Promise<Float32Array> {
  const out = new Float32Array(rows.length);
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    const len = Math.max(...batch.map((r) => r.ids.length));
    const ids = new BigInt64Array(batch.length * len).fill(BigInt(config.padId));
    const mask = new BigInt64Array(batch.length * len);
    const types = new BigInt64Array(batch.length * len);
    batch.forEach((r, i) =>
      r.ids.forEach((id, t) => {
        ids[i * len + t] = BigInt(id);
        mask[i * len + t] = 1n;
        types[i * len + t] = zeroTypes ? 0n : BigInt(r.typeIds[t]);
      }),
    );
    const dims = [batch.length, len];
    const res = await session.run({
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', types, dims),
    });
    const logits = res.logits.data as Float32Array;
    batch.forEach((_, i) => (out[start + i] = logits[i]));
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// [CLS]=2, [SEP]=3: pairs of different lengths, so rows get padding, and one
// row whose second segment is long (type 1 on most tokens).
const ROWS: Row[] = [
  { ids: [2, 100, 200, 3, 300, 400, 3], typeIds: [0, 0, 0, 0, 1, 1, 1] },
  { ids: [2, 5, 3, 6, 7, 8, 9, 10, 11, 3], typeIds: [0, 0, 0, 1, 1, 1, 1, 1, 1, 1] },
  { ids: [2, 3999, 1, 3, 42, 3], typeIds: [0, 0, 0, 0, 1, 1] },
];

/** The float64 reference on ROWS padded as ortScores pads one batch (optionally with a deliberate mistake). */
function referenceOnPaddedRows(mistake?: BertMistake): number[] {
  const padded = Math.max(...ROWS.map((r) => r.ids.length));
  return ROWS.map((r) => {
    const pad = padded - r.ids.length;
    return referenceBertLogit(
      config,
      weights,
      [...r.ids, ...Array<number>(pad).fill(config.padId)],
      [...r.typeIds, ...Array<number>(pad).fill(0)],
      [...r.ids.map(() => 1), ...Array<number>(pad).fill(0)],
      mistake,
    );
  });
}

describe('forged BERT graph vs float64 reference', () => {
  it('agrees with real segment ids, padding included', async () => {
    const graph = await ortScores(ROWS);
    const ref = referenceOnPaddedRows();
    const diff = maxAbsDiff(graph, ref);
    console.log(`bert graph vs float64 reference: max diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TIGHT);
  });

  it.each<BertMistake>(['ignore-type-ids', 'roberta-positions', 'no-pooler', 'tanh-gelu', 'no-mask'])(
    'the reference with %s misses by far more than the tolerance',
    async (mistake) => {
      const graph = await ortScores(ROWS);
      const wrong = referenceOnPaddedRows(mistake);
      expect(maxAbsDiff(graph, wrong)).toBeGreaterThan(5 * TIGHT);
    },
  );
});

describe('BERT score parity with onnxruntime-node', () => {
  it('matches HF ids and type ids on 150 mixed pairs, some truncated at 512; zero type ids do not', async () => {
    const pairs = makePairs(150, 42);
    const hf = hfTokenizer(join(dir, 'tokenizer.json'), 512, 'LongestFirst');
    const rows = await hfEncodePairsWithTypes(hf, pairs);
    expect(Math.max(...rows.map((r) => r.ids.length))).toBe(512); // truncation really happened
    // The BERT template: type 0 through the first [SEP], type 1 after it.
    const r0 = rows[0];
    const firstSep = r0.ids.indexOf(3);
    expect(r0.typeIds).toEqual(r0.ids.map((_, t) => (t <= firstSep ? 0 : 1)));

    const expected = await ortScores(rows);
    const got = await scorer.scoreBatch(pairs);
    const diff = maxAbsDiff(got, expected);
    // Negative control: the same ids with all-zero segment ids (what the
    // engine fed before it carried type ids) give different scores.
    const zeroTypes = await ortScores(rows, 16, true);
    const control = maxAbsDiff(zeroTypes, expected);
    console.log(
      `bert score parity: ${pairs.length} pairs, max |engine - onnxruntime-node| = ${diff.toExponential(2)}; zero type ids move scores by up to ${control.toExponential(2)}`,
    );
    expect(diff).toBeLessThanOrEqual(TIGHT);
    expect(control).toBeGreaterThan(100 * TIGHT);
    expect(new Set(Array.from(got, (x) => x.toFixed(6))).size).toBeGreaterThan(pairs.length / 2);
  });

  it("scoreIds feeds the caller's segment ids, and zeros without them", async () => {
    const len = Math.max(...ROWS.map((r) => r.ids.length));
    const ids = new BigInt64Array(ROWS.length * len);
    const mask = new BigInt64Array(ROWS.length * len);
    const types = new BigInt64Array(ROWS.length * len);
    ROWS.forEach((r, i) =>
      r.ids.forEach((id, t) => ((ids[i * len + t] = BigInt(id)), (mask[i * len + t] = 1n), (types[i * len + t] = BigInt(r.typeIds[t])))),
    );
    const withTypes = await scorer.scoreIds(ids, mask, ROWS.length, len, types);
    expect(maxAbsDiff(withTypes, await ortScores(ROWS))).toBeLessThanOrEqual(TIGHT);
    const without = await scorer.scoreIds(ids, mask, ROWS.length, len);
    expect(maxAbsDiff(without, await ortScores(ROWS, 16, true))).toBeLessThanOrEqual(TIGHT);
    expect(maxAbsDiff(without, withTypes)).toBeGreaterThan(100 * TIGHT);
    await expect(scorer.scoreIds(ids, mask, ROWS.length, len, types.subarray(1))).rejects.toThrow(/tokenTypeIds must hold/);
  });

  it('a pair scores the same alone and in a batch', async () => {
    const pairs = makePairs(40, 9);
    const batch = await scorer.scoreBatch(pairs);
    for (const i of [0, 7, 39]) {
      const alone = await scorer.score(pairs[i][0], pairs[i][1]);
      expect(Math.abs(alone - batch[i])).toBeLessThanOrEqual(TIGHT);
    }
  });
});
