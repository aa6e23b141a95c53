// BERT convert round trip: a forged bert-tiny's weights, written as
// safetensors, pytorch_model.bin and flax_model.msgpack (kernels [in, out],
// embedding/scale names) by the test writers, converted back by
// `convertModelDir`, give the forged ONNX's logits exactly, with nonzero
// token_type_ids (onnxruntime-node runs both). Then Scorer.load on the
// converted folder scores as the forged one.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertModelDir } from '../../lib/convert/convert.js';
import { expectedParameters, parseEncoderConfig } from '../../lib/convert/architecture.js';
import { bertConfigJson, forgedWeights, forgeModel, PRESETS, robertaParameterShapes } from '../../lib/forge/index.js';
import { Scorer } from '../../lib/index.js';
import { checkpointWriters, toFlaxTree, type TensorSpec } from '../support/weight-writers.js';

const SEED = 5;
const config = PRESETS['bert-tiny'];
let root: string;
let forgedDir: string;
let forged: Float32Array;

// [CLS]=2 [SEP]=3; different lengths so rows are padded; type 1 after the first [SEP].
const ROWS = [
  { ids: [2, 713, 16, 10, 3, 1296, 2527, 3], types: [0, 0, 0, 0, 0, 1, 1, 1] },
  { ids: [2, 3999, 3, 4, 3], types: [0, 0, 0, 1, 1] },
  { ids: [2, ...Array.from({ length: 60 }, (_, i) => ((i * 7919) % 3990) + 5), 3, 9, 3], types: [...Array<number>(62).fill(0), 1, 1] },
];

async function logits(onnxPath: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnxPath);
  try {
    const len = Math.max(...ROWS.map((r) => r.ids.length));
    const ids = new BigInt64Array(ROWS.length * len); // [PAD] = 0
    const mask = new BigInt64Array(ROWS.length * len);
    const types = new BigInt64Array(ROWS.length * len);
    ROWS.forEach((r, i) =>
      r.ids.forEach((id, t) => {
        ids[i * len + t] = BigInt(id);
        mask[i * len + t] = 1n;
        types[i * len + t] = BigInt(r.types[t]);
      }),
    );
    const dims = [ROWS.length, len];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', types, dims),
    });
    return Float32Array.from(out.logits.data as Float32Array);
  } finally {
    await session.release();
  }
}

function specs(): TensorSpec[] {
  return [...forgedWeights(config, SEED)].map(([name, w]) => ({ name, shape: w.shape, dtype: 'F32', data: w.data }));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-convert-bert-'));
  forgedDir = join(root, 'forged');
  await forgeModel({ preset: 'bert-tiny', seed: SEED, outDir: forgedDir });
  // The engine's ORT loads before onnxruntime-node's (see bert.test.ts).
  const warm = await Scorer.load(forgedDir);
  await warm.dispose();
  forged = await logits(join(forgedDir, 'onnx', 'model.onnx'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function hfFolder(name: string, write: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(bertConfigJson(config)));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) await copyFile(join(forgedDir, f), join(dir, f));
  await write(dir);
  return dir;
}

describe('BERT round trip through each checkpoint format', () => {
  it("expects the forge's parameter names and shapes", () => {
    const mine = expectedParameters(parseEncoderConfig(bertConfigJson(config)));
    expect(new Map(mine.map((p) => [p.name, p.shape]))).toEqual(robertaParameterShapes(config));
  });

  const formats = checkpointWriters(() => specs());

  for (const [format, write] of Object.entries(formats)) {
    it(`${format}: converted logits equal the forged model's`, async () => {
      const src = await hfFolder(`src-${format}`, write);
      const res = await convertModelDir(src, join(root, `out-${format}`));
      expect(res.format).toBe(format);
      expect(res.config.family).toBe('bert');
      expect(res.unused).toEqual([]);
      expect(await logits(res.onnxPath)).toEqual(forged);
    });
  }

  it('the flax tree uses HF flax names (kernel, embedding, scale) and the converted folder scores as the forged one', async () => {
    const tree = toFlaxTree(specs()) as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(tree.bert.embeddings.word_embeddings as object)).toEqual(['embedding']);
    expect(Object.keys(tree.bert.pooler.dense as object).sort()).toEqual(['bias', 'kernel']);
    expect(Object.keys(tree.classifier).sort()).toEqual(['bias', 'kernel']);
    const out = join(root, 'out-flax');
    expect(JSON.parse(await readFile(join(out, 'config.json'), 'utf8')).architectures).toEqual(['BertForSequenceClassification']);
    const pairs: [string, string][] = [
      ['which planet is known as the red planet?', 'mars is the fourth planet from the sun'],
      ['how long is a marathon', 'about forty two kilometres'],
    ];
    const converted = await Scorer.load(out);
    const reference = await Scorer.load(forgedDir);
    try {
      expect(await converted.scoreBatch(pairs)).toEqual(await reference.scoreBatch(pairs));
    } finally {
      await converted.dispose();
      await reference.dispose();
    }
  });
});
