// The forged graph against an independent float64 forward pass written from
// HF's semantics, both on the same seeded weights, run by onnxruntime-node.
import { mkdtemp, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { forgedWeights, forgeModel, PRESETS } from '../../lib/forge/index.js';
import { referenceLogit } from '../support/reference-roberta.js';

const dir = inject('tinyModelDir'); // forged tiny, seed 7
const config = PRESETS.tiny;
const weights = forgedWeights(config, 7);

async function run(modelPath: string, rows: number[][]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelPath);
  const len = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * len).fill(1n);
  const mask = new BigInt64Array(rows.length * len);
  rows.forEach((r, i) => r.forEach((id, t) => ((ids[i * len + t] = BigInt(id)), (mask[i * len + t] = 1n))));
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, [rows.length, len]),
    attention_mask: new ort.Tensor('int64', mask, [rows.length, len]),
  });
  await session.release();
  return out.logits.data as Float32Array;
}

const ROWS = [
  [0, 31414, 232, 2, 2, 5, 2],
  [0, 50264, 2, 2, 713, 16, 10, 1296, 9, 5, 3034, 8, 4, 2],
  [0, 2, 2, 2],
  [0, ...Array.from({ length: 60 }, (_, i) => 1000 + i * 13), 2, 2, 7, 2],
];

describe('forged RoBERTa graph', () => {
  it('declares input_ids/attention_mask int64 [batch, seq] and logits float [batch, 1]', async () => {
    const s = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
    expect(s.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(s.outputNames).toEqual(['logits']);
    await s.release();
  });

  it('matches an independent float64 forward pass within 1e-4, padded batch included', async () => {
    const got = await run(join(dir, 'onnx', 'model.onnx'), ROWS);
    const want = ROWS.map((r) => referenceLogit(config, weights, r));
    let max = 0;
    ROWS.forEach((_, i) => (max = Math.max(max, Math.abs(got[i] - want[i]))));
    console.log(`forge vs reference: max |diff| = ${max.toExponential(2)} over ${ROWS.length} rows; logits ${Array.from(got, (v) => v.toFixed(4))}`);
    expect(max).toBeLessThanOrEqual(1e-4);
    expect(new Set(want.map((v) => v.toFixed(5))).size).toBe(ROWS.length);
  });

  it('padding does not change a row’s logit', async () => {
    const alone = await run(join(dir, 'onnx', 'model.onnx'), [ROWS[0]]);
    const padded = await run(join(dir, 'onnx', 'model.onnx'), ROWS);
    expect(Math.abs(alone[0] - padded[0])).toBeLessThanOrEqual(1e-5);
  });

  it('is deterministic per seed, different across seeds', async () => {
    const a = join(await mkdtemp(join(tmpdir(), 'forge-a-')), 'm');
    const b = join(await mkdtemp(join(tmpdir(), 'forge-b-')), 'm');
    await forgeModel({ preset: 'tiny', seed: 7, outDir: a });
    await forgeModel({ preset: 'tiny', seed: 8, outDir: b });
    const base = await readFile(join(dir, 'onnx', 'model.onnx'));
    expect((await readFile(join(a, 'onnx', 'model.onnx'))).equals(base)).toBe(true);
    expect((await readFile(join(b, 'onnx', 'model.onnx'))).equals(base)).toBe(false);
  });

  it('writes the HF folder layout with a forged label', async () => {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['RobertaForSequenceClassification']);
    expect(config.num_labels).toBe(1);
    expect(config.vocab_size).toBe(50265);
    expect(config.cappy_forged).toEqual({ preset: 'tiny', seed: 7, note: 'random weights, not Cappy' });
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
      expect(JSON.parse(await readFile(join(dir, f), 'utf8'))).toBeTypeOf('object');
    }
  });

  it('external data gives the same logits', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'forge-ext-')), 'm');
    const r = await forgeModel({ preset: 'tiny', seed: 7, outDir: out, externalData: true });
    expect(r.files).toContain('onnx/model.onnx_data');
    expect(existsSync(join(out, 'onnx', 'model.onnx_data'))).toBe(true);
    const inline = await run(join(dir, 'onnx', 'model.onnx'), ROWS);
    const external = await run(join(out, 'onnx', 'model.onnx'), ROWS);
    expect(Array.from(external)).toEqual(Array.from(inline));
  });
});
