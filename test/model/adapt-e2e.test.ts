// `cappy adapt` on the real training graph (lib/adapt/graph: the gradient
// graph our builder makes, run by ONNX Runtime on the CPU), on forged tiny
// models (random weights, not Cappy):
// - overfit: 32 labelled pairs reach a dev MSE of 1e-3 or less (the curve is printed);
// - one optimizer step equals a float64 AdamW reference fed the graph's own
//   gradient (compared on logits);
// - the output folder's Scorer scores equal the trainer's eval-mode forward
//   to 1e-5, and `cappy convert` of its model.safetensors gives the same scores;
// - a real SIGTERM to `node bin/cappy.js adapt`, then --resume, ends in the
//   same bits as a run never stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openTrainingGraph } from '../../lib/adapt/graph/index.js';
import { adapt } from '../../lib/adapt/train.js';
import { readOnnxWeights } from '../../lib/adapt/onnx-weights.js';
import { buildMicroBatch } from '../../lib/adapt/data/plan.js';
import { encodeRows } from '../../lib/adapt/data/tokenize.js';
import { readLabelledPairs } from '../../lib/adapt/data/jsonl.js';
import { convertModelDir } from '../../lib/convert/convert.js';
import { forgeModel, PRESETS } from '../../lib/forge/index.js';
import { Scorer } from '../../lib/index.js';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { readSafetensors } from '../support/read-safetensors.js';

const repo = resolve(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'cappy.js');
const tinyDir = inject('tinyModelDir'); // forged tiny, seed 7
let root: string;
let trainPath: string;

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
  'tree',
  'river',
];
function pairs(n: number, seed: number) {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0), s);
  return Array.from({ length: n }, () => {
    const words = Array.from({ length: 2 + (next() % 7) }, () => WORDS[next() % WORDS.length]);
    return { instruction: `question ${next() % 997}: which ${words[0]}?`, response: words.join(' '), label: (next() % 1000) / 999 };
  });
}
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-adapt-e2e-'));
  trainPath = join(root, 'train.jsonl');
  await writeFile(trainPath, jsonl(pairs(32, 11)));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('adapt on the ONNX Runtime training graph (forged tiny model)', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof adapt>>;

  beforeAll(async () => {
    out = join(root, 'overfit');
    result = await adapt({
      model: tinyDir,
      data: trainPath,
      eval: trainPath,
      out,
      batchSize: 8,
      gradAccum: 1,
      epochs: 60,
      lr: 2e-3,
      warmupRatio: 0.1,
      dropout: 0,
      seed: 1,
      threads: 2,
    });
  });

  it('overfits 32 labelled pairs to a dev MSE of at most 1e-3', () => {
    const l = result.losses;
    const curve = [0, 1, 2, 4, 9, 19, 39, 79, 119, 159, 199, 239]
      .filter((i) => i < l.length)
      .map((i) => `step ${i + 1}: ${l[i].toExponential(3)}`);
    console.log(
      `overfit curve (train loss per step):\n  ${curve.join('\n  ')}\n  dev MSE before ${result.evalBefore!.mse.toExponential(3)}, after ${result.evalAfter!.mse.toExponential(3)}; Spearman ${result.evalBefore!.spearman?.toFixed(3)} -> ${result.evalAfter!.spearman?.toFixed(4)}`,
    );
    expect(result.totalSteps).toBe(240);
    expect(result.evalAfter!.mse).toBeLessThanOrEqual(1e-3);
    expect(result.evalBefore!.mse).toBeGreaterThan(1e-2);
  });

  it("the output's Scorer scores equal the trainer's eval-mode forward to 1e-5; cappy convert of model.safetensors gives the same scores", async () => {
    const rows = pairs(32, 11);
    const weights = await readSafetensors(join(out, 'model.safetensors'));
    const graph = await openTrainingGraph(PRESETS.tiny, { dropout: 0, intraOpThreads: 1 });
    const tok = await Tokenizer.fromFile(join(out, 'tokenizer.json'), { maxLength: 512, truncation: 'longest_first' });
    const enc = await encodeRows(tok, rows, { typeIds: false });
    const all = Uint32Array.from(rows.keys());
    const { labels: _l, rowWeights: _w, ...batch } = buildMicroBatch(all, enc, 1);
    const trainer = await graph.forward(batch, weights);
    await graph.dispose();
    const scorer = await Scorer.load(out, { intraOpThreads: 1 });
    const served = await scorer.scoreBatch(rows.map((r) => [r.instruction, r.response] as [string, string]));
    await scorer.dispose();
    served.forEach((s, i) => expect(Math.abs(s - trainer[i])).toBeLessThanOrEqual(1e-5));

    const converted = join(root, 'converted');
    await convertModelDir(out, converted);
    const again = await Scorer.load(converted, { intraOpThreads: 1 });
    const scores2 = await again.scoreBatch(rows.map((r) => [r.instruction, r.response] as [string, string]));
    await again.dispose();
    scores2.forEach((s, i) => expect(Math.abs(s - served[i])).toBeLessThanOrEqual(1e-6));
    const fromOnnx = (await readOnnxWeights(join(converted, 'onnx', 'model.onnx'), PRESETS.tiny)).weights;
    for (const [name, w] of weights)
      expect(Buffer.from(fromOnnx.get(name)!.buffer).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength)), name).toBe(true);
  });
});

describe('a BERT cross-encoder (forged bert-tiny)', () => {
  it("trains with token types the Scorer agrees with: served scores equal the trainer's forward to 1e-5", async () => {
    const bertDir = join(root, 'bert-tiny');
    await forgeModel({ preset: 'bert-tiny', seed: 3, outDir: bertDir });
    const out = join(root, 'bert-out');
    const rows = pairs(16, 31);
    const data = join(root, 'bert.jsonl');
    await writeFile(data, jsonl(rows));
    const res = await adapt({ model: bertDir, data, out, batchSize: 4, gradAccum: 2, epochs: 2, lr: 1e-3, warmupRatio: 0, threads: 1 });
    expect(res.totalSteps).toBe(4);
    const weights = await readSafetensors(join(out, 'model.safetensors'));
    expect(weights.has('bert.pooler.dense.weight')).toBe(true);
    const tok = await Tokenizer.fromFile(join(out, 'tokenizer.json'), { maxLength: 512, truncation: 'longest_first' });
    const enc = await encodeRows(tok, rows, { typeIds: true });
    const { labels: _l, rowWeights: _w, ...batch } = buildMicroBatch(Uint32Array.from(rows.keys()), enc, 1);
    expect(batch.tokenTypeIds!.some((t) => t === 1n)).toBe(true);
    const graph = await openTrainingGraph(PRESETS['bert-tiny'], { dropout: 0, intraOpThreads: 1 });
    const trainer = await graph.forward(batch, weights);
    const withoutTypes = await graph.forward({ ...batch, tokenTypeIds: undefined }, weights);
    await graph.dispose();
    const scorer = await Scorer.load(out, { intraOpThreads: 1 });
    const served = await scorer.scoreBatch(rows.map((r) => [r.instruction, r.response] as [string, string]));
    await scorer.dispose();
    served.forEach((x, i) => expect(Math.abs(x - trainer[i])).toBeLessThanOrEqual(1e-5));
    // The types matter: without them the logits move by far more than the tolerance.
    expect(Math.max(...served.map((x, i) => Math.abs(x - withoutTypes[i])))).toBeGreaterThan(1e-3);
  });
});

describe('one optimizer step on the real graph', () => {
  it("equals a float64 AdamW step fed the graph's own gradient (weights and logits)", async () => {
    const rows = pairs(16, 23);
    const data = join(root, 'one-step.jsonl');
    await writeFile(data, jsonl(rows));
    const lr = 1e-3;
    const wd = 0.01;
    const out = join(root, 'one-step');
    // 16 rows, 4 micro-batches of 4 in file order, one step at the full lr (no warmup), dropout off.
    const res = await adapt({
      model: tinyDir,
      data,
      out,
      batchSize: 4,
      gradAccum: 4,
      epochs: 1,
      lr,
      weightDecay: wd,
      warmupRatio: 0,
      dropout: 0,
      shuffle: false,
      threads: 1,
    });
    expect(res.totalSteps).toBe(1);
    expect(res.lrs).toEqual([lr]);
    const after = await readSafetensors(join(out, 'model.safetensors'));

    const base = (await readOnnxWeights(join(tinyDir, 'onnx', 'model.onnx'), PRESETS.tiny)).weights;
    const graph = await openTrainingGraph(PRESETS.tiny, { dropout: 0, intraOpThreads: 1 });
    try {
      const tok = await Tokenizer.fromFile(join(tinyDir, 'tokenizer.json'), { maxLength: 512, truncation: 'longest_first' });
      const enc = await encodeRows(tok, (await readLabelledPairs(data)).rows, { typeIds: false });
      const grads = new Map([...base].map(([n, w]) => [n, new Float32Array(w.length)]));
      let loss = 0;
      for (let m = 0; m < 4; m++)
        loss += (
          await graph.accumulate(
            buildMicroBatch(
              Uint32Array.from([0, 1, 2, 3], (r) => 4 * m + r),
              enc,
              1 / 16,
            ),
            base,
            grads,
            0,
          )
        ).loss;
      expect(res.losses[0]).toBeCloseTo(loss, 12);
      // torch.optim.AdamW's first step, in float64 (m and v start at 0, t = 1).
      const ref = new Map<string, Float64Array>();
      let worst = 0;
      for (const [name, p0] of base) {
        const g = grads.get(name)!;
        const r = Float64Array.from(p0, (p, i) => {
          const m = (1 - 0.9) * g[i];
          const v = (1 - 0.999) * g[i] * g[i];
          return p * (1 - lr * wd) - (lr / (1 - 0.9)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999) + 1e-8));
        });
        ref.set(name, r);
        const got = after.get(name)!;
        for (let i = 0; i < r.length; i++)
          worst = Math.max(worst, Math.abs(got[i] - r[i]) / Math.max(Math.abs(r[i]) * 2 ** -24, 2 ** -149));
      }
      expect(worst).toBeLessThanOrEqual(1.01); // one float32 rounding of the float64 value (half an ulp is <= |r|·2^-24)
      // And the model they make scores the same (logits, eval mode).
      const all = Uint32Array.from(rows.keys());
      const { labels: _l, rowWeights: _w, ...batch } = buildMicroBatch(all, enc, 1);
      const ours = await graph.forward(batch, after);
      const theirs = await graph.forward(batch, new Map([...ref].map(([n, r]) => [n, Float32Array.from(r)])));
      ours.forEach((x, i) => expect(Math.abs(x - theirs[i])).toBeLessThanOrEqual(1e-6));
    } finally {
      await graph.dispose();
    }
  });
});

describe('a real SIGTERM to `cappy adapt`, then --resume', () => {
  function run(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }>; stderr: () => string } {
    const child = spawn(process.execPath, [bin, 'adapt', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    child.stdout!.resume();
    const done = new Promise<{ code: number | null; stderr: string }>((ok) => child.on('exit', (code) => ok({ code, stderr: err })));
    return { child, done, stderr: () => err };
  }

  it('writes a checkpoint, exits 143, and the resumed run ends in the same bits as one never stopped', async () => {
    const data = join(root, 'sigterm.jsonl');
    await writeFile(data, jsonl(pairs(32, 5)));
    const settings = { batchSize: 4, gradAccum: 2, epochs: 12, lr: 1e-3, seed: 5, threads: 1 }; // 48 steps, the config's dropout (0.1)
    const ref = await adapt({ model: tinyDir, data, out: join(root, 'sigterm-ref'), ...settings });
    const out = join(root, 'sigterm-run');
    const flags = [
      '--model',
      tinyDir,
      '--data',
      data,
      '--out',
      out,
      '--batch-size',
      '4',
      '--grad-accum',
      '2',
      '--epochs',
      '12',
      '--lr',
      '1e-3',
      '--seed',
      '5',
      '--threads',
      '1',
    ];
    const first = run(flags);
    // Plain progress lines (stderr is not a terminal): one per step here. Stop somewhere in the middle.
    await new Promise<void>((ok, fail) => {
      const poll = setInterval(() => {
        const steps = [...first.stderr().matchAll(/step (\d+)\/48/g)].map((m) => Number(m[1]));
        if (steps.length && steps.at(-1)! >= 8) {
          clearInterval(poll);
          first.child.kill('SIGTERM');
          ok();
        }
      }, 20);
      first.done.then((r) => (clearInterval(poll), fail(new Error(`exited before the signal: ${r.code} ${r.stderr}`))));
    });
    const stopped = await first.done;
    expect(stopped.stderr).toMatch(/SIGTERM: stopping after this micro-batch and writing a checkpoint/);
    expect(stopped.stderr).toMatch(/adapt stopped after step \d+ of 48; checkpoint in .*sigterm-run\.checkpoint/);
    expect(stopped.code).toBe(143);
    expect(existsSync(out)).toBe(false);
    const ckpt = JSON.parse(await readFile(join(`${out}.checkpoint`, 'checkpoint.json'), 'utf8'));
    expect(ckpt.step).toBeGreaterThanOrEqual(8);
    expect(ckpt.step).toBeLessThan(48);
    expect(ckpt.losses).toEqual(ref.losses.slice(0, ckpt.step));

    const second = run(['--resume', `${out}.checkpoint`]);
    const resumed = await second.done;
    expect(resumed.stderr).toMatch(new RegExp(`resuming at step ${ckpt.step} of 48 steps`));
    expect(resumed.code).toBe(0);
    expect((await readFile(join(out, 'model.safetensors'))).equals(await readFile(join(root, 'sigterm-ref', 'model.safetensors')))).toBe(
      true,
    );
    expect(JSON.parse(await readFile(join(out, 'adapt.json'), 'utf8')).loss).toEqual(ref.losses);
    expect(existsSync(`${out}.checkpoint`)).toBe(false);
  });
});
