// Round trip on CPU: the forged tiny model's weights, written as safetensors,
// pytorch_model.bin and flax_model.msgpack by the test writers, converted
// back by `convertModelDir`, give the forged ONNX's logits exactly
// (onnxruntime-node runs both). fp16/bf16 storage converts exactly to the
// graph of the rounded weights. Then the whole path: `cappy pull` from a fake
// hub, resolveModelRef, Scorer.load.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerConvert } from '../../lib/cli/commands/convert.js';
import { registerPull } from '../../lib/cli/commands/pull.js';
import { convertModelDir } from '../../lib/convert/convert.js';
import { decodeToFloat32 } from '../../lib/convert/dtypes.js';
import { buildRobertaGraph, forgeModel, forgedWeights, PRESETS, robertaConfigJson, robertaParameterShapes } from '../../lib/forge/index.js';
import { expectedParameters, parseEncoderConfig } from '../../lib/convert/architecture.js';
import { pullModel } from '../../lib/hub/pull.js';
import { resolveModelRef } from '../../lib/hub/repo.js';
import { Scorer } from '../../lib/index.js';
import { runRows } from '../../support/ort-rows.js';
import { startFakeHub } from '../standalone/hub-fake.js';
import {
  checkpointWriters,
  tensorBytes,
  toFlaxTree,
  writeFlaxMsgpack,
  writeSafetensors,
  writeTorchBin,
  type TensorSpec,
} from '../support/weight-writers.js';

const forgedDir = inject('tinyModelDir'); // forged tiny, seed 7
const SEED = 7;
const config = PRESETS.tiny;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-roundtrip-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function specs(dtype: TensorSpec['dtype'] = 'F32'): TensorSpec[] {
  return [...forgedWeights(config, SEED)].map(([name, w]) => ({ name, shape: w.shape, dtype, data: w.data }));
}

/** An HF model folder holding `write`'s weights file, the forged tokenizer and a config without the forged mark. */
async function hfFolder(name: string, write: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(robertaConfigJson(config)));
  await copyFile(join(forgedDir, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  await copyFile(join(forgedDir, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  await write(dir);
  return dir;
}

// Fixed rows: padding, a long row, ids across the vocabulary.
const ROWS = [
  [0, 713, 16, 10, 1296, 2, 2, 2527, 2],
  [0, 50264, 4, 2],
  [0, ...Array.from({ length: 60 }, (_, i) => ((i * 7919) % 50260) + 4), 2],
];

async function logits(onnxPath: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnxPath);
  try {
    return await runRows(ort, session, ROWS);
  } finally {
    await session.release();
  }
}

describe('round trip through each checkpoint format', () => {
  let forged: Float32Array;
  beforeAll(async () => {
    forged = await logits(join(forgedDir, 'onnx', 'model.onnx'));
  });

  it("expects the forge's parameter names and shapes", () => {
    const mine = expectedParameters(parseEncoderConfig(robertaConfigJson(config)));
    expect(new Map(mine.map((p) => [p.name, p.shape]))).toEqual(robertaParameterShapes(config));
  });

  const formats = checkpointWriters(() => specs());

  for (const [format, write] of Object.entries(formats)) {
    it(`${format}: converted logits equal the forged model's`, async () => {
      const src = await hfFolder(`src-${format}`, write);
      const out = join(root, `out-${format}`);
      const res = await convertModelDir(src, out);
      expect(res.format).toBe(format);
      expect(res.unused).toEqual([]);
      const converted = await logits(res.onnxPath);
      expect(converted).toEqual(forged);
      expect(JSON.parse(await readFile(join(out, 'config.json'), 'utf8')).cappy_forged).toBeUndefined();
      expect((await readFile(join(out, 'tokenizer.json'))).equals(await readFile(join(forgedDir, 'tokenizer.json')))).toBe(true);
    });
  }

  for (const dtype of ['F16', 'BF16'] as const) {
    it(`${dtype} storage converts exactly to the graph of the rounded weights`, async () => {
      const ts = specs(dtype);
      const src = await hfFolder(`src-${dtype}`, (d) => writeSafetensors(join(d, 'model.safetensors'), ts));
      const res = await convertModelDir(src, join(root, `out-${dtype}`));
      const rounded = new Map(ts.map((t) => [t.name, decodeToFloat32(tensorBytes(t), dtype, t.data.length, t.name)]));
      const refPath = join(root, `ref-${dtype}.onnx`);
      await buildRobertaGraph(config, (n) => ({ shape: robertaParameterShapes(config).get(n)!, data: rounded.get(n)! })).write(refPath);
      const got = await logits(res.onnxPath);
      expect(got).toEqual(await logits(refPath));
      // Rounding moved the logits, so the comparison above is not vacuous.
      expect(got).not.toEqual(forged);
    });
  }
});

describe('--dtype: fp16 and int8 graphs from a checkpoint', () => {
  it('fp32,fp16,int8 in one conversion: each graph gives the forged graph of its dtype exactly', async () => {
    const src = await hfFolder('src-dtypes', (d) => writeSafetensors(join(d, 'model.safetensors'), specs()));
    const res = await convertModelDir(src, join(root, 'out-dtypes'), { dtype: ['fp32', 'fp16', 'int8'] });
    const forgedAll = join(root, 'forged-dtypes');
    await forgeModel({ preset: 'tiny', seed: SEED, outDir: forgedAll, dtypes: ['fp32', 'fp16', 'int8'] });
    const fp32 = await logits(join(forgedAll, 'onnx', 'model.onnx'));
    expect(await logits(res.onnxPaths.fp32!)).toEqual(fp32);
    for (const d of ['fp16', 'int8'] as const) {
      expect(res.onnxPaths[d]).toBe(join(root, 'out-dtypes', 'onnx', `model_${d}.onnx`));
      const got = await logits(res.onnxPaths[d]!);
      expect(got).toEqual(await logits(join(forgedAll, 'onnx', `model_${d}.onnx`)));
      expect(got).not.toEqual(fp32); // rounding moved them: the equality above is not vacuous
    }
    // Converting again with fp32 only removes the other dtypes' files (they would hold stale weights).
    await convertModelDir(src, join(root, 'out-dtypes'));
    await expect(readFile(join(root, 'out-dtypes', 'onnx', 'model_int8.onnx'))).rejects.toThrow(/ENOENT/);
  });
});

describe('cappy pull end to end', () => {
  it('pulls from a fake hub, converts, and Scorer.load finds it by repo id (also through the commands)', async () => {
    const src = await hfFolder('hub-src', async (d) => {
      await writeTorchBin(join(d, 'pytorch_model.bin'), specs());
      await writeFlaxMsgpack(join(d, 'flax_model.msgpack'), toFlaxTree(specs()));
    });
    const file = async (name: string, lfs: boolean) => ({ data: await readFile(join(src, name)), lfs });
    const hub = await startFakeHub('btan2/cappy-large', {
      'config.json': await file('config.json', false),
      'tokenizer.json': await file('tokenizer.json', true),
      'tokenizer_config.json': await file('tokenizer_config.json', false),
      'pytorch_model.bin': await file('pytorch_model.bin', true),
      'flax_model.msgpack': await file('flax_model.msgpack', true),
    });
    const env = { HF_ENDPOINT: hub.endpoint, CAPPY_HOME: join(root, 'home') };
    try {
      hub.cutAfter = { bytes: 100_000, times: 1 };
      const res = await pullModel('btan2/cappy-large', { env });
      // The command itself, on the same hub and a second cache.
      const cliHome = join(root, 'cli-home');
      Object.assign(process.env, { HF_ENDPOINT: hub.endpoint, CAPPY_HOME: cliHome });
      const program = new Command('cappy').exitOverride();
      registerPull(program);
      registerConvert(program);
      await program.parseAsync(['node', 'cappy', 'pull', 'btan2/cappy-large']);
      expect(resolveModelRef('btan2/cappy-large', { CAPPY_HOME: cliHome })).toBe(join(cliHome, 'models', 'btan2--cappy-large'));
      const cliOut = join(root, 'cli-convert');
      await program.parseAsync(['node', 'cappy', 'convert', src, '--out', cliOut, '--from', 'flax']);
      expect(await logits(join(cliOut, 'onnx', 'model.onnx'))).toEqual(await logits(join(forgedDir, 'onnx', 'model.onnx')));
      const dir = resolveModelRef('btan2/cappy-large', env);
      expect(dir).toBe(res.modelDir);
      const pairs: [string, string][] = [
        ['Which planet is known as the Red Planet?', 'Mars'],
        ['Translate to French: good morning', 'Bonjour'],
      ];
      const pulled = await Scorer.load(dir as string);
      const reference = await Scorer.load(forgedDir);
      try {
        expect(await pulled.scoreBatch(pairs)).toEqual(await reference.scoreBatch(pairs));
        expect(pulled.info.model.forged).toBeUndefined();
      } finally {
        await pulled.dispose();
        await reference.dispose();
      }
    } finally {
      await hub.close();
    }
  });
});
