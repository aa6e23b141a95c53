// The forged graph, run by onnxruntime-node, against an independent float64
// forward pass written from HF's semantics, both on the same seeded weights.
// Negative controls show the tolerance is tight enough to catch each
// plausible mistake (wrong GELU, mask, scaling, positions, LayerNorm order).
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { forgedWeights, PRESETS } from '../../lib/forge/index.js';
import { referenceLogit, referenceLogits, type Mistake } from '../support/reference-roberta.js';

const dir = inject('tinyModelDir'); // forged tiny, seed 7
const modelPath = join(dir, 'onnx', 'model.onnx');
const config = PRESETS.tiny;
const weights = forgedWeights('tiny', 7);
const TOL = 1e-4; // the bar the brief sets
// float32 ORT lands within ~2e-7 of float64 here; the smallest mistake
// (tanh-GELU) lands ~1e-4 away, too close to TOL, so the graph must also be
// within TIGHT and every mistake must miss by 5 x TIGHT.
const TIGHT = 1e-5;

/** Right-pads rows with <pad> = 1 and mask 0, as a tokenizer with padding does. */
export function padBatch(rows: number[][]): { ids: number[][]; masks: number[][] } {
  const len = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...r, ...Array<number>(len - r.length).fill(config.padId)]),
    masks: rows.map((r) => [...r.map(() => 1), ...Array<number>(len - r.length).fill(0)]),
  };
}

async function run(session: ort.InferenceSession, rows: number[][]): Promise<Float32Array> {
  const { ids, masks } = padBatch(rows);
  const dims = [rows.length, ids[0].length];
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat(), BigInt), dims),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(masks.flat(), BigInt), dims),
  });
  expect(out.logits.dims).toEqual([rows.length, 1]);
  return out.logits.data as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// Rows of different lengths, so the batch is padded: a pair, <mask>, an
// empty pair, a long row, and a typed <pad> (id 1, mask 1) inside the text,
// which takes position id pad_id as HF's create_position_ids does.
const ROWS = [
  [0, 31414, 232, 2, 2, 5, 2],
  [0, 50264, 2, 2, 713, 16, 10, 1296, 9, 5, 3034, 8, 4, 2],
  [0, 2, 2, 2],
  [0, ...Array.from({ length: 60 }, (_, i) => 1000 + i * 13), 2, 2, 7, 2],
  [0, 713, 1, 16, 2, 2, 10, 1, 2],
];

describe('forged RoBERTa graph', () => {
  it('declares input_ids/attention_mask int64 [batch, sequence] and logits float32 [batch, 1]', async () => {
    const s = await ort.InferenceSession.create(modelPath);
    try {
      expect(s.inputNames).toEqual(['input_ids', 'attention_mask']);
      expect(s.outputNames).toEqual(['logits']);
      const meta = [...s.inputMetadata, ...s.outputMetadata].map((m) => (m.isTensor ? [m.name, m.type, m.shape] : [m.name]));
      expect(meta).toEqual([
        ['input_ids', 'int64', ['batch', 'sequence']],
        ['attention_mask', 'int64', ['batch', 'sequence']],
        ['logits', 'float32', ['batch', 1]],
      ]);
    } finally {
      await s.release();
    }
  });

  it('matches the float64 reference within 1e-4 on a padded batch, and every mistake misses by far more than the graph does', async () => {
    const s = await ort.InferenceSession.create(modelPath);
    const got = await run(s, ROWS);
    await s.release();
    const { ids, masks } = padBatch(ROWS);
    const want = referenceLogits(config, weights, ids, masks);
    const diff = maxDiff(got, want);
    // The reference itself: a padded row gives its unpadded logit.
    const unpadded = ROWS.map((r) => referenceLogit(config, weights, r));
    expect(maxDiff(want, unpadded)).toBeLessThan(1e-12);

    const misses: Record<string, number> = {};
    for (const m of ['tanh-gelu', 'no-mask', 'unscaled-scores', 'positions-from-zero', 'no-token-type', 'pre-ln'] as Mistake[]) {
      misses[m] = maxDiff(got, referenceLogits(config, weights, ids, masks, m));
    }
    console.log(
      `forge vs reference: max |diff| = ${diff.toExponential(2)} over ${ROWS.length} padded rows; logits ${Array.from(got, (v) => v.toFixed(4))}\n` +
        `  a graph with one mistake would miss by: ${Object.entries(misses)
          .map(([k, v]) => `${k} ${v.toExponential(1)}`)
          .join(', ')}`,
    );
    expect(diff).toBeLessThanOrEqual(TOL);
    expect(diff).toBeLessThanOrEqual(TIGHT);
    for (const [m, miss] of Object.entries(misses)) expect(miss, m).toBeGreaterThan(5 * TIGHT);
    // Forged logits depend on the input (the weights are not too small to matter).
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.01);
  });

  it('reaches the last position embedding: a 512-token row beside a short one', async () => {
    const long = [0, ...Array.from({ length: 510 }, (_, i) => 3 + ((i * 7919) % 50000)), 2];
    const rows = [long, ROWS[0]];
    const s = await ort.InferenceSession.create(modelPath);
    const got = await run(s, rows);
    await s.release();
    const { ids, masks } = padBatch(rows);
    const diff = maxDiff(got, referenceLogits(config, weights, ids, masks));
    console.log(`512-token row: max |diff| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
  });

  it('padding does not change a row’s logit (each row alone vs in the padded batch, within 1e-5)', async () => {
    const s = await ort.InferenceSession.create(modelPath);
    try {
      const batch = await run(s, ROWS);
      let worst = 0;
      for (let i = 0; i < ROWS.length; i++) worst = Math.max(worst, Math.abs((await run(s, [ROWS[i]]))[0] - batch[i]));
      // The same row padded much further (to 128) still gives its logit.
      const far = await run(s, [ROWS[0], Array.from({ length: 128 }, (_, t) => (t === 0 ? 0 : 5))]);
      worst = Math.max(worst, Math.abs(far[0] - batch[0]));
      console.log(`padding invariance: max |alone - padded| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-5);
    } finally {
      await s.release();
    }
  });
});
