// int8 against fp32, and against what a Node user would run instead, on the
// same forged weights (random, not Cappy) and the same real-text pairs, in one
// run. Each runner is its own child process, so peak RSS is that runner's.
//
//   npx tsx bench/score-dtypes.ts [--preset base] [--pairs 48] [--latency 20] [--sets 32] [--skip-transformers]
//                                 [--accuracy-only] [--dir FOLDER (a converted model instead of a forged preset)]
//
// Runners: the engine (fp32, int8); onnxruntime-node over HF-tokenized rows in
// length-sorted batches (fp32, int8); transformers.js the way its docs run a
// cross-encoder, batches in input order (fp32, and dtype 'int8', which loads
// the same onnx/model_int8.onnx). transformers.js's own q8 (model_quantized.onnx)
// is made by optimum in Python, so it cannot be made here from these weights.
// Accuracy: the engine's int8 vs fp32 scores on the pairs, and rank() over
// candidate sets (support/agreement.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { forgeModel, Scorer } from '../lib/index.js';
import { absDiffs, candidateSets, rankAgreement, std, type Diffs } from '../support/agreement.js';
import { textPairs } from './support/text-pairs.js';
import { percentile } from '../lib/bench/load.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'base' },
    pairs: { type: 'string', default: '48' },
    batch: { type: 'string', default: '32' },
    latency: { type: 'string', default: '20' },
    sets: { type: 'string', default: '32' },
    'skip-transformers': { type: 'boolean', default: false },
    'accuracy-only': { type: 'boolean', default: false },
    dir: { type: 'string' },
    runner: { type: 'string' },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const N = Number(args.pairs);
const BATCH = Number(args.batch);
const LATENCY = Number(args.latency);
const threads = availableParallelism();
const root = resolve(import.meta.dirname, '..');
// --dir: a folder holding onnx/model.onnx and onnx/model_int8.onnx (a converted checkpoint); else a forged preset.
const dir = args.dir ? resolve(args.dir) : join(root, 'bench', '.cache', `${preset}-seed1-dtypes`);
const label = args.dir ? dir : `preset ${preset} (random weights, not Cappy)`;

interface RunnerResult {
  pairsPerSec: number;
  p50: number;
  p99: number;
  peakRssMB: number;
  scores: number[];
}

/** One timed pass after a short warm-up, then single-pair latencies. */
async function measure(score: (pairs: [string, string][]) => Promise<ArrayLike<number>>): Promise<RunnerResult> {
  const pairs = textPairs(N);
  await score(pairs.slice(0, 4)); // warm-up: allocation, kernel selection
  const t = performance.now();
  const scores = Array.from(await score(pairs));
  const pairsPerSec = (N * 1000) / (performance.now() - t);
  const lat: number[] = [];
  for (let i = 0; i < LATENCY; i++) {
    const s = performance.now();
    await score([pairs[i % N]]);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  return { pairsPerSec, p50: percentile(lat, 50), p99: percentile(lat, 99), peakRssMB: process.resourceUsage().maxRSS / 1024, scores };
}

async function runner(name: string): Promise<RunnerResult> {
  const [kind, dtype] = name.split(':') as [string, 'fp32' | 'int8'];
  if (kind === 'engine') {
    const scorer = await Scorer.load(dir, { dtype, intraOpThreads: threads });
    return measure((p) => scorer.scoreBatch(p));
  }
  if (kind === 'ort-node') {
    const ort = await import('onnxruntime-node');
    const { hfEncodePairs, hfTokenizer } = await import('../support/hf.js');
    const { runRowsBatched } = await import('../support/ort-rows.js');
    const hf = hfTokenizer(join(dir, 'tokenizer.json'), 512, 'LongestFirst');
    const session = await ort.InferenceSession.create(join(dir, 'onnx', dtype === 'fp32' ? 'model.onnx' : 'model_int8.onnx'), {
      intraOpNumThreads: threads,
    });
    return measure(async (pairs) => {
      const rows = await hfEncodePairs(hf, pairs);
      const order = rows.map((_, i) => i).sort((a, b) => rows[b].length - rows[a].length);
      return runRowsBatched(ort, session, rows, BATCH, order);
    });
  }
  const tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.localModelPath = dirname(dir);
  const id = basename(dir);
  const tokenizer = await tf.AutoTokenizer.from_pretrained(id);
  const model = await tf.AutoModelForSequenceClassification.from_pretrained(id, { dtype });
  return measure(async (pairs) => {
    const out: number[] = [];
    for (let s = 0; s < pairs.length; s += BATCH) {
      const b = pairs.slice(s, s + BATCH);
      const inputs = tokenizer(
        b.map((p) => p[0]),
        { text_pair: b.map((p) => p[1]), padding: true, truncation: true, max_length: 512 },
      );
      const { logits } = (await model(inputs)) as { logits: { data: Float32Array } };
      out.push(...logits.data);
    }
    return out;
  });
}

/** rank() over candidate sets with both engine dtypes, in this process. */
async function rankSets(): Promise<ReturnType<typeof rankAgreement> & { diffs: Diffs; fp32Std: number; pairs: number }> {
  const sets = candidateSets(Number(args.sets), 8);
  const scoresOf = async (dtype: 'fp32' | 'int8') => {
    const s = await Scorer.load(dir, { dtype, intraOpThreads: threads });
    const all = await Promise.all(
      sets.map(async (set) => {
        const scores = new Float32Array(set.candidates.length);
        for (const r of await s.rank(set.instruction, set.candidates)) scores[r.index] = r.score;
        return scores;
      }),
    );
    await s.dispose();
    return all;
  };
  const ref = await scoresOf('fp32');
  const got = await scoresOf('int8');
  const flat = (x: Float32Array[]) => x.flatMap((s) => Array.from(s));
  const d = absDiffs(flat(ref), flat(got));
  return { ...rankAgreement(ref, got, d.maxResidual), diffs: d, fp32Std: std(flat(ref)), pairs: sets.length * 8 };
}

/** The engine's int8 vs fp32 scores on the text pairs, in this process (for --accuracy-only). */
async function textPairDiffs(): Promise<Diffs & { fp32Std: number }> {
  const pairs = textPairs(N);
  const scores = async (dtype: 'fp32' | 'int8') => {
    const s = await Scorer.load(dir, { dtype, intraOpThreads: threads });
    const out = await s.scoreBatch(pairs);
    await s.dispose();
    return out;
  };
  const ref = await scores('fp32');
  return { ...absDiffs(ref, await scores('int8')), fp32Std: std(ref) };
}

async function main(): Promise<void> {
  if (args.runner) {
    process.stdout.write(JSON.stringify(await runner(args.runner)) + '\n');
    return;
  }
  if (!existsSync(join(dir, 'onnx', 'model_int8.onnx')) || !existsSync(join(dir, 'onnx', 'model.onnx'))) {
    if (args.dir) throw new Error(`${dir} needs onnx/model.onnx and onnx/model_int8.onnx (cappy convert --dtype fp32,int8)`);
    console.error(`forging ${preset} (seed 1, fp32 + int8) into ${dir} ...`);
    await forgeModel({ preset, seed: 1, outDir: dir, dtypes: ['fp32', 'int8'] });
  }
  const describe = (d: Diffs) =>
    `max |diff| ${d.max.toFixed(4)}, mean ${d.mean.toFixed(4)} (common offset ${d.offset.toFixed(4)}, residual std ${d.residualStd.toFixed(4)})`;
  const reportRanks = (ranks: Awaited<ReturnType<typeof rankSets>>) =>
    console.log(
      `rank() over ${Number(args.sets)} sets of 8 (${ranks.pairs} pairs): ${describe(ranks.diffs)}; fp32 score std ${ranks.fp32Std.toFixed(4)}, ` +
        `median top-2 gap ${ranks.medianTopGap.toFixed(4)}; top-1 agreement ${(100 * ranks.top1).toFixed(1)}%, Kendall tau mean ${ranks.meanTau.toFixed(3)} ` +
        `min ${ranks.minTau.toFixed(3)}, contested ${(100 * ranks.contested).toFixed(0)}% (top-1 there ${(100 * ranks.top1Contested).toFixed(0)}%)`,
    );
  if (args['accuracy-only']) {
    const text = await textPairDiffs();
    console.log(`\nint8 vs fp32, ${label}, engine, ${N} text pairs: ${describe(text)}; fp32 score std ${text.fp32Std.toFixed(4)}`);
    const ranks = await rankSets();
    reportRanks(ranks);
    const file = join(root, 'bench', 'results', `accuracy-dtypes-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(file, JSON.stringify({ preset, pairs: N, sets: Number(args.sets), text, ranks }, null, 2));
    console.log(`wrote ${file}`);
    return;
  }
  const names = ['engine:int8', 'engine:fp32', 'ort-node:int8', 'ort-node:fp32'];
  if (!args['skip-transformers']) names.push('transformers.js:fp32', 'transformers.js:int8');
  const results: Record<string, RunnerResult> = {};
  for (const name of names) {
    console.error(`running ${name} ...`);
    const argv = [
      '--import',
      'tsx',
      import.meta.filename,
      '--runner',
      name,
      '--preset',
      preset,
      '--pairs',
      String(N),
      '--batch',
      String(BATCH),
      '--latency',
      String(LATENCY),
    ];
    if (args.dir) argv.push('--dir', dir);
    const out = execFileSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 ** 2 });
    results[name] = JSON.parse(out.trim().split('\n').pop()!) as RunnerResult;
  }
  console.error('rank() agreement over candidate sets ...');
  const ranks = await rankSets();
  const textDiff = absDiffs(results['engine:int8'].scores, results['engine:fp32'].scores);

  const anchor = results['transformers.js:fp32'] ?? results['ort-node:fp32'];
  const anchorName = results['transformers.js:fp32'] ? 'transformers.js fp32' : 'onnxruntime-node fp32';
  console.log(`\nCPU dtypes, ${label}, ${N} real-text pairs, ${threads} threads, ${cpus()[0]?.model ?? 'unknown CPU'}`);
  console.log(
    `${'runner'.padEnd(22)} ${'pairs/s'.padStart(8)} ${'vs anchor'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'peak RSS MB'.padStart(12)}`,
  );
  for (const [k, r] of Object.entries(results)) {
    console.log(
      `${k.padEnd(22)} ${r.pairsPerSec.toFixed(2).padStart(8)} ${(r.pairsPerSec / anchor.pairsPerSec).toFixed(2).padStart(8)}x ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${r.peakRssMB.toFixed(0).padStart(12)}`,
    );
  }
  const ratios = {
    int8VsTransformersFp32: results['transformers.js:fp32']
      ? results['engine:int8'].pairsPerSec / results['transformers.js:fp32'].pairsPerSec
      : undefined,
    int8VsEngineFp32: results['engine:int8'].pairsPerSec / results['engine:fp32'].pairsPerSec,
  };
  console.log(`anchor: ${anchorName}`);
  console.log(
    `engine int8 / transformers.js fp32: ${ratios.int8VsTransformersFp32?.toFixed(2) ?? 'n/a'}x (target >= 15x); engine int8 / engine fp32: ${ratios.int8VsEngineFp32.toFixed(2)}x (target >= 2x)`,
  );
  console.log(
    `int8 vs fp32 on the ${N} text pairs: ${describe(textDiff)}; fp32 score std ${std(results['engine:fp32'].scores).toFixed(4)}`,
  );
  reportRanks(ranks);
  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `score-dtypes-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const summary = Object.fromEntries(Object.entries(results).map(([k, { scores: _s, ...r }]) => [k, r]));
  writeFileSync(
    file,
    JSON.stringify({ preset, pairs: N, batch: BATCH, threads, cpu: cpus()[0]?.model, results: summary, ratios, textDiff, ranks }, null, 2),
  );
  console.log(`wrote ${file}`);
}

await main();
