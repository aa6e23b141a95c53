// Training-step cost on the CPU: one micro-batch's forward + backward through
// the training graph (lib/adapt/graph, TrainingGraph.accumulate) against a
// forward pass of the same padded batch through the Scorer's inference
// session (scoreIds), alternating on the same batches in one run, per preset.
// The optimizer step (AdamW over all weights, lib/adapt/optimize) is timed
// apart, after the micro-batches, and amortized as the recipe does: one
// update per --accum micro-batches (16), in the "recipe pairs/s" figure.
//
// Micro-batches are --batch rows with token lengths drawn from the lognormal
// mix of bench/score-cpu.ts (8..512, median 96), each padded to its longest
// row (as fixed micro-batches are). Each preset runs in a child process, so
// its peak RSS (getrusage maxrss) is its own; it holds the Scorer too, so a
// second child trains alone on the longest batch for the training-only peak.
// Weights are forged (seeded random), which changes nothing about speed. The
// printed ratio is the result; absolute figures on a shared 2-core box mean
// little. Both arms' process CPU time is recorded too: with --threads 1 (no
// ORT pool spinning) its ratio is the work ratio, which load on a shared
// machine disturbs far less than wall time.
//
//   npx tsx bench/adapt.ts [--presets small,base] [--batches 6] [--batch 8] [--accum 16] [--threads N]
//     [--dropout 0.1] [--large-tokens 128] [--variants gemm-rows[,matmul-rows,gemm-scatter...]] [--profile DIR]
//
// --variants times several spellings of the training graph against each
// other, alternating on the same batches in one process (how W^T is applied:
// gemm or matmul; embedding-table gradients: rows summed outside the graph or
// scatter in it); the first one is the one reported as the training step.
// A variant may add '+' session settings (+mp, +nomp, +daz, +ext, see
// sessionSettings), e.g. --variants gemm-rows,gemm-rows+mp.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { MicroBatch, ParameterSet } from '../lib/adapt/contract.js';
import { openTrainingGraph } from '../lib/adapt/graph/index.js';
import { AdamW } from '../lib/adapt/optimize/index.js';
import { drawLengths, LOGNORMAL_8_512, seededRandom } from '../lib/bench/workload.js';
import { forgedWeightEntries, PRESETS, type Preset } from '../lib/forge/index.js';
import { cpuFeatures, Scorer } from '../lib/index.js';
import { forgedBenchModel } from './support/forged-model.js';

const { values: args } = parseArgs({
  options: {
    presets: { type: 'string', default: 'small,base' },
    batches: { type: 'string', default: '6' },
    batch: { type: 'string', default: '8' },
    accum: { type: 'string', default: '16' },
    threads: { type: 'string' },
    dropout: { type: 'string', default: '0.1' },
    'large-tokens': { type: 'string', default: '128' },
    variants: { type: 'string', default: 'gemm-rows' },
    profile: { type: 'string' },
    child: { type: 'string' },
    out: { type: 'string', default: join(resolve(import.meta.dirname), 'results', 'adapt.json') },
  },
});
const BATCH = Number(args.batch);
const BATCHES = Number(args.batches);
const ACCUM = Number(args.accum);
const threads = args.threads ? Number(args.threads) : availableParallelism();
const PAPER_PAIRS = 102_400;

interface PresetResult {
  preset: string;
  parameters: number;
  microBatches: number;
  realTokens: number;
  paddedTokens: number;
  trainMs: number;
  forwardMs: number;
  /** Train step time / forward time, over the same batches. */
  ratio: number;
  /** The same from process CPU time (user + system). */
  cpuRatio: number;
  trainCpuMs: number;
  forwardCpuMs: number;
  trainPairsPerSec: number;
  trainTokensPerSec: number;
  /** One AdamW update over every parameter (the second one timed; the first pays for page faults), ms. */
  optimizerMs: number;
  /** Pairs/s of the recipe: --accum micro-batches (at their mean time here) then one AdamW update. */
  recipePairsPerSec: number;
  forwardPairsPerSec: number;
  peakRssMb: number;
  /** Peak RSS of a process that only trains, on the longest micro-batch. */
  trainOnlyRssMb?: number;
  /** Seconds per micro-batch, each. */
  trainEach: number[];
  forwardEach: number[];
  /** With several --variants: each one's train time over the same batches, ms. */
  variantMs?: Record<string, number>;
  profile?: string;
}

function microBatches(preset: Preset, count: number, fixedTokens?: number): MicroBatch[] {
  const c = PRESETS[preset];
  const random = seededRandom(1);
  const out: MicroBatch[] = [];
  for (let b = 0; b < count; b++) {
    const lengths = fixedTokens ? new Array<number>(BATCH).fill(fixedTokens) : drawLengths(LOGNORMAL_8_512, BATCH, random);
    const seqLen = Math.max(...lengths);
    const ids = new BigInt64Array(BATCH * seqLen).fill(BigInt(c.padId));
    const mask = new BigInt64Array(BATCH * seqLen);
    lengths.forEach((len, r) => {
      for (let t = 0; t < len; t++) {
        ids[r * seqLen + t] = BigInt(3 + Math.floor(random() * (c.vocabSize - 3)));
        mask[r * seqLen + t] = 1n;
      }
    });
    out.push({
      rows: BATCH,
      seqLen,
      inputIds: ids,
      attentionMask: mask,
      tokenTypeIds: c.family === 'bert' ? new BigInt64Array(BATCH * seqLen) : undefined,
      labels: Float32Array.from(lengths, () => random()),
      rowWeights: new Float32Array(BATCH).fill(1 / (16 * BATCH)),
    });
  }
  return out;
}

/**
 * Session settings named after a variant's '+', over openTrainingGraph's defaults: mp / nomp (ORT's memory
 * pattern on / off; off is the default), daz (denormals as zero), ext (optimization 'extended').
 */
function sessionSettings(settings: string[]): NonNullable<Parameters<typeof openTrainingGraph>[2]>['session'] {
  const session: NonNullable<Parameters<typeof openTrainingGraph>[2]>['session'] = {};
  for (const s of settings) {
    if (s === 'mp' || s === 'nomp') session.memoryPattern = s === 'mp';
    else if (s === 'daz') session.sessionConfig = { ...session.sessionConfig, 'session.set_denormal_as_zero': '1' };
    else if (s === 'ext') session.optimization = 'extended';
    else throw new Error(`unknown session setting +${s} (mp, nomp, daz, ext)`);
  }
  return session;
}

async function child(preset: Preset, fixedTokens?: number): Promise<PresetResult> {
  const c = PRESETS[preset];
  const weights: ParameterSet = new Map();
  for (const [name, w] of forgedWeightEntries(preset, 1)) weights.set(name, w.data);
  const grads: ParameterSet = new Map([...weights].map(([k, v]) => [k, new Float32Array(v.length)]));
  const parameters = [...weights.values()].reduce((s, v) => s + v.length, 0);
  const batches = microBatches(preset, fixedTokens ? 1 : BATCHES, fixedTokens);
  const scorer = await Scorer.load(await forgedBenchModel(preset), { intraOpThreads: threads });
  const profileDir = args.profile ? resolve(args.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const variants = args.variants.split(',');
  const graphs: Awaited<ReturnType<typeof openTrainingGraph>>[] = [];
  for (const v of variants) {
    const [spelling, ...settings] = v.split('+');
    const [linear, tables] = spelling.split('-') as ['gemm' | 'matmul', 'rows' | 'scatter'];
    const profilePrefix = profileDir && graphs.length === 0 ? join(profileDir, `train-${preset}`) : undefined;
    const session = sessionSettings(settings);
    graphs.push(
      await openTrainingGraph(c, { dropout: Number(args.dropout), intraOpThreads: threads }, { linear, tables, profilePrefix, session }),
    );
  }
  const forward = (b: MicroBatch) => scorer.scoreIds(b.inputIds, b.attentionMask, b.rows, b.seqLen, b.tokenTypeIds);
  // Warm-up: first runs pay for allocation and kernel selection.
  await forward(batches[0]);
  for (const tg of graphs) await tg.accumulate(batches[0], weights, grads, 0);
  const trainEach: number[] = [];
  const forwardEach: number[] = [];
  const variantMs = variants.map(() => 0);
  const cpu = { train: 0, forward: 0 };
  const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  for (const [i, b] of batches.entries()) {
    let t = performance.now();
    let u = process.cpuUsage();
    await forward(b);
    cpu.forward += cpuMs(process.cpuUsage(u));
    forwardEach.push((performance.now() - t) / 1000);
    // Rotate the order so no variant always runs right after the forward.
    for (let k = 0; k < graphs.length; k++) {
      const v = (i + k) % graphs.length;
      t = performance.now();
      u = process.cpuUsage();
      await graphs[v].accumulate(b, weights, grads, i + 1);
      const ms = performance.now() - t;
      variantMs[v] += ms;
      if (v === 0) {
        trainEach.push(ms / 1000);
        cpu.train += cpuMs(process.cpuUsage(u));
      }
    }
  }
  const profile = profileDir ? graphs[0].endProfiling() : undefined;
  for (const tg of graphs) await tg.dispose();
  await scorer.dispose();
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  const adamw = new AdamW(new Map([...weights].map(([k, v]) => [k, v.length])));
  adamw.update(weights, grads, 2e-5);
  const t0 = performance.now();
  adamw.update(weights, grads, 2e-5);
  const optimizerMs = performance.now() - t0;
  const microMs = (sum(trainEach) * 1000) / trainEach.length;
  const realTokens = batches.reduce((s, b) => s + b.attentionMask.reduce((a, v) => a + Number(v), 0), 0);
  const pairs = batches.length * BATCH;
  return {
    preset,
    parameters,
    microBatches: batches.length,
    realTokens,
    paddedTokens: batches.reduce((s, b) => s + b.rows * b.seqLen, 0),
    trainMs: sum(trainEach) * 1000,
    forwardMs: sum(forwardEach) * 1000,
    ratio: sum(trainEach) / sum(forwardEach),
    cpuRatio: cpu.train / cpu.forward,
    trainCpuMs: cpu.train,
    forwardCpuMs: cpu.forward,
    trainPairsPerSec: pairs / sum(trainEach),
    trainTokensPerSec: realTokens / sum(trainEach),
    optimizerMs,
    recipePairsPerSec: (ACCUM * BATCH) / ((ACCUM * microMs + optimizerMs) / 1000),
    forwardPairsPerSec: pairs / sum(forwardEach),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    trainEach,
    forwardEach,
    variantMs: variants.length > 1 ? Object.fromEntries(variants.map((v, k) => [v, variantMs[k]])) : undefined,
    profile,
  };
}

function runChild(preset: string, extra: string[] = []): PresetResult {
  const passOn = Object.entries(args).flatMap(([k, v]) =>
    k === 'presets' || k === 'out' || k === 'child' || v === undefined ? [] : [`--${k}`, String(v)],
  );
  const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', preset, ...passOn, ...extra], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${preset}: child failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PresetResult;
}

/** Trains alone on the longest of the micro-batches (warm-up and one step), for the training-only peak RSS. */
async function trainOnly(preset: Preset): Promise<Pick<PresetResult, 'preset' | 'peakRssMb'>> {
  const weights: ParameterSet = new Map();
  for (const [name, w] of forgedWeightEntries(preset, 1)) weights.set(name, w.data);
  const grads: ParameterSet = new Map([...weights].map(([k, v]) => [k, new Float32Array(v.length)]));
  const longest = microBatches(preset, BATCHES).reduce((a, b) => (b.seqLen > a.seqLen ? b : a));
  const tg = await openTrainingGraph(PRESETS[preset], { dropout: Number(args.dropout), intraOpThreads: threads });
  await tg.accumulate(longest, weights, grads, 0);
  await tg.accumulate(longest, weights, grads, 1);
  await tg.dispose();
  return { preset, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

if (args.child) {
  const [preset, tokens] = args.child.split(':');
  const result = tokens === 'rss' ? await trainOnly(preset as Preset) : await child(preset as Preset, tokens ? Number(tokens) : undefined);
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const cpu = cpuFeatures();
  const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const loadBefore = load();
  console.log(`cpu: ${cpu.model ?? 'unknown'}; ISA: ${cpu.int8KernelDescription}; ${threads} ORT threads; load ${loadBefore}`);
  console.log(`micro-batches of ${BATCH} rows, lognormal lengths 8..512 (median 96), dropout ${args.dropout}, graph ${args.variants}\n`);
  const results: PresetResult[] = [];
  for (const preset of args.presets.split(',')) {
    const r = runChild(preset);
    r.trainOnlyRssMb = runChild(`${preset}:rss`).peakRssMb;
    results.push(r);
    console.log(
      `${preset.padEnd(6)} ${(r.parameters / 1e6).toFixed(1)}M params: train ${r.trainPairsPerSec.toFixed(2)} pairs/s, ${r.trainTokensPerSec.toFixed(0)} tokens/s; ` +
        `forward ${r.forwardPairsPerSec.toFixed(2)} pairs/s; step/forward ${r.ratio.toFixed(2)} wall, ${r.cpuRatio.toFixed(2)} CPU time (target <= 3.5); ` +
        `peak RSS ${r.peakRssMb.toFixed(0)} MB with the Scorer, ${r.trainOnlyRssMb?.toFixed(0)} MB training alone`,
    );
    console.log(
      `       AdamW update ${(r.optimizerMs / 1000).toFixed(2)} s; the recipe (${ACCUM} micro-batches of ${BATCH}, then one update): ${r.recipePairsPerSec.toFixed(2)} pairs/s`,
    );
    if (r.variantMs)
      console.log(
        `       variants, train ms over the same batches: ${Object.entries(r.variantMs)
          .map(([k, v]) => `${k} ${v.toFixed(0)} (${(v / r.forwardMs).toFixed(2)}x forward)`)
          .join(', ')}`,
      );
  }
  // The large preset: one micro-batch of fixed length (all that fits a CI-class machine's time), then
  // the paper's 102,400 pairs at that speed, scaled to the lognormal mix's mean length by tokens.
  const largeTokens = Number(args['large-tokens']);
  let large: (PresetResult & { hoursFor102400: number; basis: string }) | undefined;
  if (largeTokens > 0) {
    const r = runChild(`large:${largeTokens}`);
    const mix = results.find((x) => x.preset === 'base');
    const meanTokens = mix ? mix.paddedTokens / (mix.microBatches * BATCH) : largeTokens;
    // Per pair: its share of the micro-batch time at the mix's length, plus its share of one AdamW update.
    const secondsPerPair = (r.trainMs / 1000 / BATCH / largeTokens) * meanTokens + r.optimizerMs / 1000 / (ACCUM * BATCH);
    large = {
      ...r,
      hoursFor102400: (PAPER_PAIRS * secondsPerPair) / 3600,
      basis: `one micro-batch of ${BATCH} x ${largeTokens} tokens measured, scaled linearly by padded tokens to the mix's ${meanTokens.toFixed(0)} per row (attention's quadratic part ignored), plus one AdamW update (${(r.optimizerMs / 1000).toFixed(1)} s) per ${ACCUM * BATCH} pairs`,
    };
    console.log(
      `large  ${(r.parameters / 1e6).toFixed(1)}M params: ${BATCH} x ${largeTokens} tokens: train ${(r.trainMs / 1000).toFixed(1)} s, forward ${(r.forwardMs / 1000).toFixed(1)} s, ratio ${r.ratio.toFixed(2)} wall, ${r.cpuRatio.toFixed(2)} CPU time; peak RSS ${r.peakRssMb.toFixed(0)} MB with the Scorer`,
    );
    console.log(
      `       the paper's ${PAPER_PAIRS} pairs (1 epoch, batch 8 x 16 accumulation) would take ~${large.hoursFor102400.toFixed(0)} h here (${large.basis})`,
    );
  }
  const loadAfter = load();
  console.log(`\nload ${loadBefore} -> ${loadAfter}`);
  mkdirSync(resolve(args.out, '..'), { recursive: true });
  writeFileSync(
    args.out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        cpu: cpu.model,
        isa: cpu.int8KernelDescription,
        threads,
        batch: BATCH,
        dropout: Number(args.dropout),
        variants: args.variants,
        loadavg: [loadBefore, loadAfter],
        presets: results,
        large,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${args.out}`);
}
