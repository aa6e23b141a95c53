// The adapt() loop end to end around an honest stand-in for the training
// graph (test/support/adapt-fake-graph.ts: a bag-of-embeddings regression
// over the real model's parameters, its hand-derived gradient checked here by
// central finite differences): reading the forged tiny model's weights back
// out of its ONNX graph, the schedule the steps run at, the output folder,
// abort and resume to the same bits, and the refusals that must leave --out
// untouched. The real ONNX Runtime graph runs in adapt-e2e.test.ts.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adapt, type AdaptEvent, type AdaptOptions } from '../../lib/adapt/train.js';
import { readOnnxWeights } from '../../lib/adapt/onnx-weights.js';
import { buildMicroBatch } from '../../lib/adapt/data/plan.js';
import { AbortError, InvalidInputError } from '../../lib/errors/index.js';
import { forgedWeights, forgeModel, PRESETS } from '../../lib/forge/index.js';
import { Scorer } from '../../lib/index.js';
import { BagOfEmbeddingsGraph } from '../support/adapt-fake-graph.js';
import { referenceLogits } from '../support/reference-roberta.js';
import { readSafetensors } from '../support/read-safetensors.js';

const tinyDir = inject('tinyModelDir'); // forged tiny, seed 7
let root: string;
let trainPath: string;
let devPath: string;

const WORDS = [
  'red',
  'blue',
  'green',
  'cat',
  'dog',
  'bird',
  'runs',
  'sleeps',
  'sings',
  'fast',
  'slow',
  'loud',
  'quiet',
  'big',
  'small',
  'old',
];
function pairs(n: number, seed: number) {
  const out: { instruction: string; response: string; label: number }[] = [];
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0), s);
  for (let i = 0; i < n; i++) {
    const len = 2 + (next() % 6);
    const words = Array.from({ length: len }, () => WORDS[next() % WORDS.length]);
    out.push({ instruction: `which ${words[0]}?`, response: words.join(' '), label: (next() % 1000) / 999 });
  }
  return out;
}
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-adapt-loop-'));
  trainPath = join(root, 'train.jsonl');
  devPath = join(root, 'dev.jsonl');
  await writeFile(trainPath, jsonl(pairs(32, 1)));
  await writeFile(devPath, jsonl(pairs(12, 2)));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const RUN: AdaptOptions = { batchSize: 4, gradAccum: 2, epochs: 3, lr: 5e-2, warmupRatio: 0.25, seed: 3, threads: 1 };

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('weights from a forged folder', () => {
  it('the ONNX initializers give back every forged parameter bit for bit (RoBERTa and BERT)', async () => {
    const roberta = await readOnnxWeights(join(tinyDir, 'onnx', 'model.onnx'), PRESETS.tiny);
    const bertDir = join(root, 'bert-tiny');
    await forgeModel({ preset: 'bert-tiny', seed: 9, outDir: bertDir });
    const bert = await readOnnxWeights(join(bertDir, 'onnx', 'model.onnx'), PRESETS['bert-tiny']);
    for (const [got, want] of [
      [roberta.weights, forgedWeights('tiny', 7)],
      [bert.weights, forgedWeights('bert-tiny', 9)],
    ] as const) {
      expect([...got.keys()]).toEqual([...want.keys()]);
      for (const [name, w] of want) expect(bits(got.get(name)!).equals(bits(w.data)), name).toBe(true);
    }
    expect(roberta.notes).toEqual([]);
  });
});

describe('the stand-in graph', () => {
  it('its gradient matches central finite differences', async () => {
    const graph = new BagOfEmbeddingsGraph(PRESETS.tiny, { dropout: 0.3 });
    const weights = new Map([...forgedWeights('tiny', 7)].map(([n, w]) => [n, w.data.slice()]));
    const grads = new Map([...weights].map(([n, w]) => [n, new Float32Array(w.length)]));
    const data = {
      count: 3,
      ids: Int32Array.of(0, 50, 60, 2, 0, 70, 2, 0, 50, 50, 80, 2),
      offsets: Uint32Array.of(0, 4, 7, 12),
      labels: Float32Array.of(0.2, 0.9, 0.5),
      pairTypeId: 0,
      padId: 1,
    };
    const batch = buildMicroBatch(Uint32Array.of(0, 1, 2), data, 1 / 3);
    await graph.accumulate(batch, weights, grads, 12345, undefined);
    const h = 1e-2;
    for (const [name, idx] of [
      ['classifier.out_proj.bias', 0],
      ['classifier.out_proj.weight', 5],
      ['roberta.embeddings.word_embeddings.weight', 50 * 32 + 3],
      ['roberta.embeddings.word_embeddings.weight', 80 * 32 + 31],
    ] as const) {
      const w = weights.get(name)!;
      const x = w[idx];
      w[idx] = x + h;
      const up = graph.lossOf(batch, weights, 12345);
      w[idx] = x - h;
      const down = graph.lossOf(batch, weights, 12345);
      w[idx] = x;
      // The loss is quadratic in each single weight, so the central difference is exact up to rounding.
      const fd = (up - down) / (Math.fround(x + h) - Math.fround(x - h));
      expect(grads.get(name)![idx]).toBeCloseTo(fd, 5);
    }
  });
});

describe('adapt() around the stand-in graph', () => {
  let events: AdaptEvent[];
  let made: BagOfEmbeddingsGraph[];
  let out: string;
  let result: Awaited<ReturnType<typeof adapt>>;

  beforeAll(async () => {
    events = [];
    made = [];
    out = join(root, 'out-full');
    result = await adapt({
      ...RUN,
      model: tinyDir,
      data: trainPath,
      eval: devPath,
      out,
      openGraph: BagOfEmbeddingsGraph.factory(made),
      onEvent: (e) => events.push(e),
    });
  });

  it('runs ceil(rows x epochs / (batch x accum)) steps at the linear warmup schedule and learns', () => {
    expect(result.totalSteps).toBe(12); // 32 x 3 / 8
    const warmup = 3; // round(0.25 x 12)
    const want = Array.from({ length: 12 }, (_, k) => 5e-2 * (k < warmup ? k / warmup : (12 - k) / (12 - warmup)));
    expect(result.lrs).toEqual(want);
    expect(result.lrs[0]).toBe(0);
    expect(result.losses.length).toBe(12);
    expect(result.evalAfter!.mse).toBeLessThan(result.evalBefore!.mse);
    const steps = events.filter((e): e is Extract<AdaptEvent, { type: 'step' }> => e.type === 'step');
    expect(steps.map((e) => e.step)).toEqual([...Array(12).keys()].map((k) => k + 1));
    expect(steps.every((e) => e.pairsPerSecond > 0 && e.etaSeconds >= 0 && e.rows === 8)).toBe(true);
    expect(events.filter((e) => e.type === 'eval').map((e) => (e as { when: string }).when)).toEqual(['before', 'after']);
  });

  it('opens the graph with the config dropout and the threads asked for, feeds full steps, disposes it', () => {
    expect(made.length).toBe(1);
    expect(made[0].options).toMatchObject({ dropout: 0.1, intraOpThreads: 1, device: 'cpu' });
    expect(made[0].disposed).toBe(true);
    const acc = made[0].calls.filter((c) => c.kind === 'accumulate');
    expect(acc.length).toBe(24);
    expect(acc.every((c) => c.rows === 4 && Math.abs(c.weightSum - 0.5) < 1e-7)).toBe(true);
    expect(new Set(acc.map((c) => c.dropoutSeed)).size).toBe(24);
  });

  it('writes a model folder: the base config and tokenizer, the graph and safetensors of the trained weights, adapt.json', async () => {
    expect(result.out).toBe(out);
    expect((await readdir(out)).sort()).toEqual([
      'adapt.json',
      'config.json',
      'model.safetensors',
      'onnx',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(await readdir(join(out, 'onnx'))).toEqual(['model.onnx']);
    for (const f of ['config.json', 'tokenizer.json'])
      expect((await readFile(join(out, f))).equals(await readFile(join(tinyDir, f)))).toBe(true);
    const trained = await readSafetensors(join(out, 'model.safetensors'));
    const fromOnnx = (await readOnnxWeights(join(out, 'onnx', 'model.onnx'), PRESETS.tiny)).weights;
    const base = forgedWeights('tiny', 7);
    expect([...trained.keys()].sort()).toEqual([...base.keys()].sort());
    const moved = [];
    for (const [name, w] of trained) {
      expect(bits(w).equals(bits(fromOnnx.get(name)!)), name).toBe(true);
      if (!bits(w).equals(bits(base.get(name)!.data))) moved.push(name);
    }
    // The stand-in trains these three only; AdamW leaves a parameter with a zero gradient exactly where it was.
    expect(moved.sort()).toEqual(['classifier.out_proj.bias', 'classifier.out_proj.weight', 'roberta.embeddings.word_embeddings.weight']);
    const meta = JSON.parse(await readFile(join(out, 'adapt.json'), 'utf8'));
    expect(meta).toMatchObject({
      format: 'cappy-adapt',
      steps: 12,
      loss: result.losses,
      lr: result.lrs,
      evalBefore: result.evalBefore,
      evalAfter: result.evalAfter,
    });
    expect(meta.settings).toMatchObject({ lr: 5e-2, batchSize: 4, gradAccum: 2, epochs: 3, dropout: 0.1, seed: 3, shuffle: true });
    expect(meta.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.base.forged).toMatchObject({ preset: 'tiny', seed: 7 });
    expect(existsSync(`${out}.checkpoint`)).toBe(false);
  });

  it('Scorer loads the output and scores with the trained weights (float64 reference, 1e-4)', async () => {
    const scorer = await Scorer.load(out, { intraOpThreads: 1 });
    try {
      expect(scorer.info.model.forged).toBeTruthy();
      const rows = pairs(6, 9);
      const got = await scorer.scoreBatch(rows.map((r) => [r.instruction, r.response] as [string, string]));
      const trained = await readSafetensors(join(out, 'model.safetensors'));
      const shapes = forgedWeights('tiny', 7);
      const W = new Map([...trained].map(([n, data]) => [n, { shape: shapes.get(n)!.shape, data }]));
      const { Tokenizer } = await import('../../lib/tokenizer/index.js');
      const tok = await Tokenizer.fromFile(join(out, 'tokenizer.json'), { maxLength: 512, truncation: 'longest_first' });
      const ids = rows.map((r) => Array.from(tok.encode(r.instruction, r.response).ids));
      const want = referenceLogits(
        PRESETS.tiny,
        W,
        ids,
        ids.map((x) => x.map(() => 1)),
      );
      got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(1e-4));
    } finally {
      await scorer.dispose();
    }
  });
});

describe('interrupt and resume', () => {
  async function straight(out: string) {
    return adapt({ ...RUN, model: tinyDir, data: trainPath, eval: devPath, out, openGraph: BagOfEmbeddingsGraph.factory() });
  }

  it('an abort mid-step writes a checkpoint; --resume ends in the same bits as an unstopped run', async () => {
    const ref = await straight(join(root, 'ref'));
    const out = join(root, 'resumed');
    const controller = new AbortController();
    const made: BagOfEmbeddingsGraph[] = [];
    const factory = async (...args: Parameters<ReturnType<typeof BagOfEmbeddingsGraph.factory>>) => {
      const g = await BagOfEmbeddingsGraph.factory(made)(...args);
      g.beforeAccumulate = (i) => i === 11 && controller.abort(); // micro-batch 2 of step 6
      return g;
    };
    const events: AdaptEvent[] = [];
    const err = await adapt({
      ...RUN,
      model: tinyDir,
      data: trainPath,
      eval: devPath,
      out,
      openGraph: factory,
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).message).toMatch(/stopped after step 5 of 12; checkpoint in .*resumed\.checkpoint/);
    expect(events.at(-1)).toMatchObject({ type: 'checkpoint', step: 5, reason: 'abort' });
    expect(existsSync(out)).toBe(false);
    const ckpt = JSON.parse(await readFile(join(`${out}.checkpoint`, 'checkpoint.json'), 'utf8'));
    expect(ckpt).toMatchObject({ step: 5, totalSteps: 12, dataPosition: 40, rng: { seed: 3 } });
    expect(ckpt.losses).toEqual(ref.losses.slice(0, 5));

    // Settings and data are checked against the checkpoint.
    await expect(adapt({ resume: `${out}.checkpoint`, lr: 1e-3, openGraph: BagOfEmbeddingsGraph.factory() })).rejects.toThrow(
      /--lr 0\.001 differs from the checkpoint's 0\.05/,
    );
    const other = join(root, 'other.jsonl');
    await writeFile(other, jsonl(pairs(32, 77)));
    await expect(adapt({ resume: `${out}.checkpoint`, data: other, openGraph: BagOfEmbeddingsGraph.factory() })).rejects.toThrow(
      /is not the data the checkpoint/,
    );

    // Everything else comes from the checkpoint.
    const resumed = await adapt({ resume: `${out}.checkpoint`, openGraph: BagOfEmbeddingsGraph.factory() });
    expect(resumed.losses).toEqual(ref.losses);
    expect(resumed.evalAfter).toEqual(ref.evalAfter);
    expect(resumed.evalBefore).toEqual(ref.evalBefore);
    expect((await readFile(join(out, 'model.safetensors'))).equals(await readFile(join(root, 'ref', 'model.safetensors')))).toBe(true);
    expect((await readFile(join(out, 'onnx', 'model.onnx'))).equals(await readFile(join(root, 'ref', 'onnx', 'model.onnx')))).toBe(true);
    expect(existsSync(`${out}.checkpoint`)).toBe(false);
  });

  it('--save-every checkpoints resume to the same bits, dropout on', async () => {
    const opts = { ...RUN, dropout: 0.3, model: tinyDir, data: trainPath, saveEvery: 4 };
    const ref = await adapt({ ...opts, out: join(root, 'save-ref'), openGraph: BagOfEmbeddingsGraph.factory() });
    const out = join(root, 'save-run');
    const controller = new AbortController();
    const seen: number[] = [];
    await expect(
      adapt({
        ...opts,
        out,
        checkpointOnAbort: false, // as if killed: only the --save-every checkpoint is left
        signal: controller.signal,
        openGraph: BagOfEmbeddingsGraph.factory(),
        onEvent: (e) => {
          if (e.type === 'checkpoint') seen.push(e.step);
          if (e.type === 'step' && e.step === 10) controller.abort();
        },
      }),
    ).rejects.toThrow(AbortError);
    expect(seen).toEqual([4, 8]);
    const resumed = await adapt({ resume: `${out}.checkpoint`, openGraph: BagOfEmbeddingsGraph.factory() });
    expect(resumed.losses).toEqual(ref.losses);
    expect((await readFile(join(out, 'model.safetensors'))).equals(await readFile(join(root, 'save-ref', 'model.safetensors')))).toBe(true);
  });
});

describe('bad input: a typed error, nothing at --out', () => {
  async function refused(options: AdaptOptions, message: RegExp) {
    const out = join(root, `refused-${Math.random().toString(36).slice(2)}`);
    let opened = 0;
    const err = await adapt({
      ...RUN,
      model: tinyDir,
      data: trainPath,
      out,
      ...options,
      openGraph: async (c, o) => (opened++, new BagOfEmbeddingsGraph(c, o)),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).code).toBe('INVALID_INPUT');
    expect((err as Error).message).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(root)).filter((f) => f.includes('refused-'))).toEqual([]);
    expect(opened).toBe(0);
  }

  it('an empty file, a missing field, a label that is not finite, a non-numeric lr', async () => {
    const empty = join(root, 'empty.jsonl');
    await writeFile(empty, '');
    await refused({ data: empty }, /empty\.jsonl: no rows \(the file is empty\)/);
    const missing = join(root, 'missing.jsonl');
    await writeFile(missing, '{"instruction":"a","response":"b","label":1}\n{"instruction":"a","label":1}\n');
    await refused({ data: missing }, /missing\.jsonl:2: missing field "response"/);
    const inf = join(root, 'inf.jsonl');
    await writeFile(inf, '{"instruction":"a","response":"b","label":-1e400}\n');
    await refused({ data: inf }, /inf\.jsonl:1: "label" must be a finite number, got -Infinity/);
    await refused({ eval: inf }, /inf\.jsonl:1: "label" must be a finite number/);
    await refused({ lr: 'abc' as unknown as number }, /lr must be a number above 0 to 1, got 'abc'/);
    await refused({ lr: Number.NaN }, /lr must be a number/);
    await refused({ epochs: 2, trainSize: 10 }, /give --epochs or --train-size, not both/);
    await refused({ maxLength: 600 }, /--max-length 600 is longer than the 512 tokens/);
  });

  it('an --out that holds another model, unless --overwrite', async () => {
    const out = join(root, 'occupied');
    await mkdir(out);
    await writeFile(join(out, 'config.json'), '{"other": true}\n');
    const err = await adapt({ ...RUN, model: tinyDir, data: trainPath, out, openGraph: BagOfEmbeddingsGraph.factory() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/already holds another model; choose another folder or pass --overwrite/);
    expect(await readFile(join(out, 'config.json'), 'utf8')).toBe('{"other": true}\n');
    await adapt({
      ...RUN,
      epochs: 1,
      model: tinyDir,
      data: trainPath,
      out,
      overwrite: true,
      dtype: ['fp32', 'int8'],
      openGraph: BagOfEmbeddingsGraph.factory(),
    });
    expect(JSON.parse(await readFile(join(out, 'adapt.json'), 'utf8')).steps).toBe(4);
    expect((await readdir(join(out, 'onnx'))).sort()).toEqual(['model.onnx', 'model_int8.onnx']);
    const int8 = await Scorer.load(out, { dtype: 'int8', intraOpThreads: 1 });
    expect(int8.info.model.dtype).toBe('int8');
    expect(Number.isFinite((await int8.scoreBatch([['a', 'b']]))[0])).toBe(true);
    await int8.dispose();
    expect((await readdir(root)).filter((f) => f.startsWith('.occupied'))).toEqual([]);
  });
});
