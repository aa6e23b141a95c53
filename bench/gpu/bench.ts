// The engine half of the GPU benchmark (bench/gpu/run.sh drives it; see
// docs/gpu.md). Bundled into one .mjs by bench/gpu/stage.sh, because the GPU
// machine has Node but no node_modules.
//
//   node bench.mjs check   --work DIR --device cuda|auto|cpu
//   node bench.mjs prepare --work DIR [--preset large] [--pairs 4096]
//   node bench.mjs engine  --work DIR --dtype fp32|fp16 --device cuda --out FILE [--quick]
//   node bench.mjs report  --work DIR --out FILE
//
// check loads a forged tiny model on the device, prints info.execution (or
// the DeviceUnavailableError) and compares it with CPU; exit code 3 when the
// device is unavailable, so run.sh stops before spending GPU time. prepare forges the model and writes the pair sets; engine writes parity
// logits, throughput and latency for one dtype; report joins the engine and
// HF files (hf_bench.py) into one JSON with ratios and MFU, and prints a table.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceUnavailableError, forgeModel, Scorer, type Device } from '../../lib/index.js';
import { Tokenizer } from '../../lib/tokenizer/index.js';

const { positionals, values: args } = parseArgs({
  allowPositionals: true,
  options: {
    work: { type: 'string' },
    preset: { type: 'string', default: 'large' },
    pairs: { type: 'string', default: '4096' },
    dtype: { type: 'string', default: 'fp32' },
    device: { type: 'string', default: 'cuda' },
    out: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});

type PairList = [string, string][];
interface PairSet {
  name: string;
  maxLength: number;
  pairs: PairList;
}
interface Pairs {
  parity: PairList;
  sets: PairSet[];
  latency: { maxLength: number; pair: [string, string] };
}

// Peak dense fp16 tensor rate used for MFU (H100/H200 SXM datasheet) and
// RoBERTa-large's cost per token (2 x 325M weights in the matmuls).
const PEAK_FLOPS = 989e12;
const FLOPS_PER_TOKEN = 0.65e9;

const WORDS = (
  'the model scores each answer and picks the best one for a question about planets rivers mountains code ' +
  'review history music science water light time people world city system data number power energy market ' +
  'health school family story country problem service result money house report office policy student group'
).split(' ');

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pair of about `tokens` tokens: every word above is one token with its leading space. */
function pairOf(tokens: number, rand: () => number): [string, string] {
  const words = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const q = Math.max(1, Math.min(24, Math.floor((tokens - 4) / 4)));
  return [words(q), words(Math.max(1, tokens - 4 - q))];
}

/** Lengths 8..512 from a lognormal with median ~100 tokens, as real instruction/answer pairs skew short. */
function lognormalLength(rand: () => number): number {
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Math.max(8, Math.min(512, Math.round(Math.exp(Math.log(100) + 0.8 * z))));
}

function work(): string {
  if (!args.work) throw new Error('--work DIR is required');
  return args.work;
}

async function prepare(): Promise<void> {
  const dir = work();
  const n = Number(args.pairs);
  const model = join(dir, 'fp32');
  if (!existsSync(join(model, 'onnx', 'model.onnx'))) {
    const t0 = performance.now();
    await forgeModel({ preset: args.preset as 'large', seed: 1, outDir: model });
    console.error(`forged ${args.preset} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const rand = rng(7);
  const pairs: Pairs = {
    parity: Array.from({ length: 64 }, (_, i) => pairOf(8 + ((i * 37) % 500), rand)),
    sets: [
      { name: 'lognormal', maxLength: 512, pairs: Array.from({ length: n }, () => pairOf(lognormalLength(rand), rand)) },
      // Longer than the cap, so truncation makes every pair exactly the fixed length.
      { name: 'fixed128', maxLength: 128, pairs: Array.from({ length: n }, () => pairOf(160, rand)) },
      { name: 'fixed384', maxLength: 384, pairs: Array.from({ length: Math.ceil(n / 2) }, () => pairOf(420, rand)) },
    ],
    latency: { maxLength: 64, pair: pairOf(80, rand) },
  };
  writeFileSync(join(dir, 'pairs.json'), JSON.stringify(pairs));
  const tok = await Tokenizer.fromFile(join(model, 'tokenizer.json'), { maxLength: 512, truncation: 'longest_first' });
  const lens = pairs.sets[0].pairs.map(([q, r]) => tok.encode(q, r).ids.length);
  console.error(
    `pairs: ${pairs.sets.map((s) => `${s.name} ${s.pairs.length}`).join(', ')}; lognormal mean ${(lens.reduce((a, b) => a + b, 0) / lens.length).toFixed(1)} tokens`,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function engine(): Promise<void> {
  const dir = work();
  const dtype = args.dtype as 'fp32' | 'fp16';
  const device = args.device as Device;
  const model = join(dir, dtype);
  const pairs = JSON.parse(readFileSync(join(dir, 'pairs.json'), 'utf8')) as Pairs;
  const repeats = args.quick ? 1 : 3;
  const common = { device, intraOpThreads: Math.min(8, availableParallelism()) };
  const result: Record<string, unknown> = { dtype, device };

  // Parity: exact fp32 (no TF32) so the 1e-4 bound tests the engine, not the tensor cores.
  const exact = await Scorer.load(model, { ...common, providerOptions: device === 'cpu' ? {} : { use_tf32: '0' } });
  result.execution = exact.info.execution;
  result.parity = Array.from(await exact.scoreBatch(pairs.parity));
  await exact.dispose();

  const sets: Record<string, unknown>[] = [];
  for (const set of pairs.sets) {
    const list = args.quick ? set.pairs.slice(0, 64) : set.pairs;
    const scorer = await Scorer.load(model, { ...common, maxLength: set.maxLength });
    await scorer.scoreBatch(list.slice(0, 256)); // warm-up: kernels, arenas, pinned buffers
    const times: number[] = [];
    let real = 0;
    let computed = 0;
    for (let r = 0; r < repeats; r++) {
      const before = scorer.stats();
      const t0 = performance.now();
      await scorer.scoreBatch(list);
      times.push((performance.now() - t0) / 1000);
      const after = scorer.stats();
      real = after.realTokens - before.realTokens;
      computed = after.computedTokens - before.computedTokens;
    }
    const s = median(times);
    sets.push({
      name: set.name,
      pairs: list.length,
      seconds: s,
      pairsPerSec: list.length / s,
      tokensPerSec: real / s,
      padFraction: computed === 0 ? 0 : 1 - real / computed,
      mfu: ((real / s) * FLOPS_PER_TOKEN) / PEAK_FLOPS,
    });
    console.error(`engine ${dtype} ${set.name}: ${(list.length / s).toFixed(0)} pairs/s, ${(real / s).toFixed(0)} tokens/s`);
    await scorer.dispose();
  }
  result.throughput = sets;

  const single = await Scorer.load(model, { ...common, maxLength: pairs.latency.maxLength, maxWaitMs: 0 });
  const [q, a] = pairs.latency.pair;
  for (let i = 0; i < 20; i++) await single.score(q, a);
  const ms: number[] = [];
  for (let i = 0; i < (args.quick ? 20 : 300); i++) {
    const t0 = performance.now();
    await single.score(q, a);
    ms.push(performance.now() - t0);
  }
  result.latency = { tokens: single.tokenizer.encode(q, a).ids.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
  await single.dispose();
  writeFileSync(args.out ?? join(dir, `engine-${dtype}.json`), JSON.stringify(result, null, 2));
}

function maxAbsDiff(a: number[], b: number[]): number {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

function report(): void {
  const dir = work();
  const read = (f: string) => (existsSync(join(dir, f)) ? JSON.parse(readFileSync(join(dir, f), 'utf8')) : undefined);
  const e32 = read('engine-fp32.json');
  const e16 = read('engine-fp16.json');
  const hf = read('hf.json');
  const out: Record<string, unknown> = { engineFp32: e32, engineFp16: e16, hf };
  const parity: Record<string, unknown> = {};
  if (e32 && hf?.parity?.fp32) {
    const d = maxAbsDiff(e32.parity, hf.parity.fp32);
    parity.fp32 = { maxAbsDiff: d, bound: 1e-4, pass: d <= 1e-4 };
  }
  if (e16 && hf?.parity?.fp32) {
    const d = maxAbsDiff(e16.parity, hf.parity.fp32);
    const dh = hf.parity.fp16 ? maxAbsDiff(e16.parity, hf.parity.fp16) : undefined;
    parity.fp16 = { maxAbsDiffVsHfFp32: d, maxAbsDiffVsHfFp16: dh, bound: 2e-2, pass: d <= 2e-2 };
  }
  out.parity = parity;
  const rows: string[] = [];
  const ratios: Record<string, number> = {};
  for (const name of ['lognormal', 'fixed128', 'fixed384']) {
    const ours = e16?.throughput?.find((s: { name: string }) => s.name === name);
    const theirs = hf?.throughput?.find((s: { name: string }) => s.name === name);
    if (ours && theirs) ratios[name] = ours.pairsPerSec / theirs.pairsPerSec;
    const fmt = (s?: { pairsPerSec: number; tokensPerSec: number }) =>
      s ? `${s.pairsPerSec.toFixed(0).padStart(7)} pairs/s ${s.tokensPerSec.toFixed(0).padStart(8)} tok/s` : '        n/a';
    const fp32 = e32?.throughput?.find((s: { name: string }) => s.name === name);
    rows.push(
      `${name.padEnd(10)} engine fp16 ${fmt(ours)} | HF fp16 eager ${fmt(theirs)} | x${ratios[name]?.toFixed(2) ?? 'n/a'}` +
        (ours ? ` | MFU ${(100 * ours.mfu).toFixed(1)}%` : '') +
        ` | engine fp32 ${fmt(fp32)}`,
    );
  }
  out.ratiosEngineFp16OverHfFp16 = ratios;
  out.mfuFormula = `tokens/s x ${FLOPS_PER_TOKEN} / ${PEAK_FLOPS}`;
  writeFileSync(args.out ?? join(dir, 'gpu-bench.json'), JSON.stringify(out, null, 2));
  console.log(rows.join('\n'));
  console.log(`parity: ${JSON.stringify(parity)}`);
  for (const [label, e] of [
    ['fp32', e32],
    ['fp16', e16],
  ] as const) {
    if (e?.latency)
      console.log(
        `latency engine ${label} @${e.latency.tokens} tokens: p50 ${e.latency.p50Ms.toFixed(2)} ms, p99 ${e.latency.p99Ms.toFixed(2)} ms`,
      );
  }
  if (hf?.latency)
    console.log(
      `latency HF fp16 @${hf.latency.tokens} tokens: p50 ${hf.latency.p50Ms.toFixed(2)} ms, p99 ${hf.latency.p99Ms.toFixed(2)} ms`,
    );
}

async function check(): Promise<void> {
  const tiny = join(work(), 'tiny');
  if (!existsSync(join(tiny, 'onnx', 'model.onnx'))) await forgeModel({ preset: 'tiny', seed: 3, outDir: tiny });
  const device = args.device as Device;
  let scorer: Scorer;
  try {
    scorer = await Scorer.load(tiny, { device });
  } catch (e) {
    if (!(e instanceof DeviceUnavailableError)) throw e;
    console.log(`${device}: ${e.name} (${e.code}), missing ${JSON.stringify(e.missing)}\n${e.message}`);
    process.exitCode = 3;
    return;
  }
  console.log(`${device}: ${JSON.stringify(scorer.info.execution)}`);
  const rand = rng(11);
  const pairs = Array.from({ length: 200 }, () => pairOf(8 + Math.floor(rand() * 300), rand));
  const cpu = await Scorer.load(tiny);
  const [a, b] = await Promise.all([scorer.scoreBatch(pairs), cpu.scoreBatch(pairs)]);
  const diff = maxAbsDiff(Array.from(a), Array.from(b));
  console.log(`${device} vs cpu on ${pairs.length} pairs (tiny, fp32): max |diff| ${diff.toExponential(2)}`);
  // The same without pinned buffers and without binding: if the default
  // differs from these, the fault is in that layer.
  for (const variant of [{ pinnedBuffers: false }, { ioBinding: false, batchesInFlight: 1 }]) {
    const other = await Scorer.load(tiny, { device, ...variant });
    const c = await other.scoreBatch(pairs);
    const d = maxAbsDiff(Array.from(c), Array.from(b));
    console.log(`${device} ${JSON.stringify(variant)} vs cpu: max |diff| ${d.toExponential(2)} (${JSON.stringify(other.info.execution)})`);
    await other.dispose();
  }
  await Promise.all([scorer.dispose(), cpu.dispose()]);
}

const command = positionals[0];
mkdirSync(work(), { recursive: true });
if (command === 'check') await check();
else if (command === 'prepare') await prepare();
else if (command === 'engine') await engine();
else if (command === 'report') report();
else throw new Error(`unknown command ${command ?? ''}: check, prepare, engine or report`);
