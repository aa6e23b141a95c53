// CPU scoring throughput: this engine against the peers a Node user would
// pick instead, on the same forged weights and the same real-text pairs, in
// one run. Absolute numbers on a shared 2-core box mean little; the ratios
// printed at the end are the result.
//
//   npx tsx bench/score-cpu.ts [--preset small] [--pairs 256] [--batch 32] [--repeats 3]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { Scorer, forgeModel } from '../lib/index.js';
import { hfEncodePairs, hfTokenizer } from '../test/support/hf.js';
import { textPairs } from './support/text-pairs.js';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    pairs: { type: 'string', default: '256' },
    batch: { type: 'string', default: '32' },
    repeats: { type: 'string', default: '3' },
    latency: { type: 'string', default: '50' },
    'skip-transformers': { type: 'boolean', default: false },
  },
});
const preset = args.preset as 'tiny' | 'small' | 'base' | 'large';
const N = Number(args.pairs);
const BATCH = Number(args.batch);
const REPEATS = Number(args.repeats);
const threads = availableParallelism();
const root = resolve(import.meta.dirname, '..');

async function modelDir(): Promise<string> {
  const dir = join(root, 'bench', '.cache', `${preset}-seed1`);
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    console.error(`forging ${preset} (seed 1) into ${dir} ...`);
    await forgeModel({ preset, seed: 1, outDir: dir });
  }
  return dir;
}

async function timeIt(label: string, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: first runs pay for allocation and kernel selection
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.error(`  ${label}: median ${median.toFixed(0)} ms over ${REPEATS}`);
  return median;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** onnxruntime-node over HF-tokenized rows, in the given batch order. */
async function ortNodeRun(session: ort.InferenceSession, rows: number[][], order: number[]): Promise<{ padded: number }> {
  let padded = 0;
  for (let s = 0; s < order.length; s += BATCH) {
    const batch = order.slice(s, s + BATCH).map((i) => rows[i]);
    const len = Math.max(...batch.map((r) => r.length));
    padded += len * batch.length;
    const ids = new BigInt64Array(batch.length * len).fill(1n);
    const mask = new BigInt64Array(batch.length * len);
    batch.forEach((r, i) => r.forEach((id, t) => ((ids[i * len + t] = BigInt(id)), (mask[i * len + t] = 1n))));
    await session.run({
      input_ids: new ort.Tensor('int64', ids, [batch.length, len]),
      attention_mask: new ort.Tensor('int64', mask, [batch.length, len]),
    });
  }
  return { padded };
}

async function main(): Promise<void> {
  const dir = await modelDir();
  const pairs = textPairs(N);
  const hf = hfTokenizer(join(dir, 'tokenizer.json'), 512, 'LongestFirst');
  const rows = await hfEncodePairs(hf, pairs);
  const realTokens = rows.reduce((s, r) => s + r.length, 0);
  console.error(`${N} pairs, ${realTokens} tokens (mean ${(realTokens / N).toFixed(0)}), preset ${preset}, ${threads} threads`);

  const results: Record<string, { pairsPerSec: number; padFraction?: number }> = {};

  // This engine.
  const scorer = await Scorer.load(dir, { intraOpThreads: threads });
  const engineMs = await timeIt('cappy-engine scoreBatch', () => scorer.scoreBatch(pairs));
  const st = scorer.stats();
  results['cappy-engine'] = { pairsPerSec: (N * 1000) / engineMs, padFraction: st.padFraction };

  // onnxruntime-node, batches in input order and sorted by length.
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), { intraOpNumThreads: threads });
  const inputOrder = rows.map((_, i) => i);
  const sortedOrder = inputOrder.slice().sort((a, b) => rows[b].length - rows[a].length);
  let padded = 0;
  const naiveMs = await timeIt(`onnxruntime-node batches of ${BATCH}`, async () => ({ padded } = await ortNodeRun(session, rows, inputOrder)));
  results['onnxruntime-node naive'] = { pairsPerSec: (N * 1000) / naiveMs, padFraction: 1 - realTokens / padded };
  const sortedMs = await timeIt(`onnxruntime-node sorted batches of ${BATCH}`, async () => ({ padded } = await ortNodeRun(session, rows, sortedOrder)));
  results['onnxruntime-node sorted'] = { pairsPerSec: (N * 1000) / sortedMs, padFraction: 1 - realTokens / padded };

  // transformers.js, the way its docs run a cross-encoder.
  if (!args['skip-transformers']) {
    const tf = await import('@huggingface/transformers');
    tf.env.allowRemoteModels = false;
    tf.env.localModelPath = resolve(dir, '..');
    const name = `${preset}-seed1`;
    const tokenizer = await tf.AutoTokenizer.from_pretrained(name);
    const model = await tf.AutoModelForSequenceClassification.from_pretrained(name, { dtype: 'fp32' });
    const tfMs = await timeIt(`transformers.js batches of ${BATCH}`, async () => {
      for (let s = 0; s < N; s += BATCH) {
        const b = pairs.slice(s, s + BATCH);
        const inputs = tokenizer(b.map((p) => p[0]), { text_pair: b.map((p) => p[1]), padding: true, truncation: true, max_length: 512 });
        await model(inputs);
      }
    });
    results['transformers.js'] = { pairsPerSec: (N * 1000) / tfMs };
  }

  // Single-pair latency, the server case.
  const lat: number[] = [];
  for (let i = 0; i < Number(args.latency); i++) {
    const t = performance.now();
    await scorer.score(pairs[i % N][0], pairs[i % N][1]);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  await scorer.dispose();
  await session.release();

  const anchor = results['transformers.js'] ?? results['onnxruntime-node naive'];
  console.log(`\nCPU scoring, preset ${preset} (random weights), ${N} real-text pairs, ${threads} threads`);
  console.log(`${'runner'.padEnd(28)} ${'pairs/s'.padStart(9)} ${'pad %'.padStart(7)} ${'vs anchor'.padStart(10)}`);
  for (const [k, v] of Object.entries(results)) {
    const pad = v.padFraction === undefined ? '' : (100 * v.padFraction).toFixed(1);
    console.log(`${k.padEnd(28)} ${v.pairsPerSec.toFixed(1).padStart(9)} ${pad.padStart(7)} ${(v.pairsPerSec / anchor.pairsPerSec).toFixed(2).padStart(9)}x`);
  }
  console.log(`anchor: ${results['transformers.js'] ? 'transformers.js' : 'onnxruntime-node naive'}`);
  console.log(`cappy-engine single-pair latency: p50 ${percentile(lat, 50).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms`);

  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `score-cpu-${preset}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ preset, pairs: N, batch: BATCH, threads, realTokens, results, latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99) } }, null, 2));
  console.log(`wrote ${out}`);
}

await main();
